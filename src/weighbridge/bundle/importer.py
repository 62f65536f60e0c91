"""``weighbridge bundle import``: take a bundle into an air-gapped registry, trusting nothing it says.

1. The archive is read as a stream; every member must be listed in the index with its size and SHA-256 and is
   hashed while it is staged (``archive.read_bundle``). Links, devices, extra, missing or repeated members, and
   any changed byte stop the import before anything is recorded (``BundleError``, exit 2).
2. Each model's lockfile must pin exactly the files the index lists, and the manifest digest recomputed from
   those files must be the one the index and the lockfile state.
3. Each model is rebuilt as a folder (hard links to the staged blobs, paths checked to stay inside it), its
   signature is verified when a key is given, and it is **scanned again** (``inspect``) and decided by the
   **local** policy. The exporting registry's decision is kept in the decision's note, never used.
4. Only versions the local policy admits are published into the mirror's blob store (each blob hashed again on
   the way in); the others are recorded as the policy decided (rejected, needs-review) and wait for a person.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ..core.bundle import BundleError, BundleModel, ImportOutcome, ImportResult
from ..core.findings import WeighbridgeError
from ..core.registry import Decision, SignatureStatus
from ..core.report import Target, TargetKind
from ..integrity import lockfile
from ..integrity.manifest import manifest_digest
from ..registry import Registry, RegistryError
from ..registry.names import model_name
from .archive import StagedBundle, read_bundle

Inspector = Callable[[str], Any]


class _HashingReader:
    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.digest.update(data)
        return data


def import_bundle(
    registry: Registry,
    bundle: Path,
    *,
    policy: Path,
    actor: str,
    store: Any | None = None,
    public_key: Path | None = None,
    staging: Path | None = None,
    inspector: Inspector | None = None,
) -> ImportResult:
    """Import ``bundle``: see the module docstring. ``store`` is the mirror's ``BlobStore`` to publish admitted
    versions into (``None``: record only). ``staging`` holds the unpacked bundle while it is checked (default:
    the store's quarantine, else the system's temporary folder); it is removed afterwards."""
    from ..policy import load_policy

    load_policy(policy)  # a bad policy is a usage error before the bundle is read
    if public_key is not None and not public_key.is_file():
        raise WeighbridgeError(f"no such public key file: {public_key}")
    if staging is None and store is not None:
        staging = store.quarantine
    try:
        handle = open(bundle, "rb")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise WeighbridgeError(f"cannot read {bundle}: {exc.strerror or exc}") from None
    with handle, tempfile.TemporaryDirectory(prefix="bundle-", dir=staging) as tmp:
        reader = _HashingReader(handle)
        staged = read_bundle(reader, Path(tmp) / "staged")  # type: ignore[arg-type]
        while reader.read(1024 * 1024):  # tar padding after the end-of-archive marker counts too
            pass
        bundle_sha = reader.digest.hexdigest()
        locks = [_check_model(staged, model) for model in staged.index.models]
        outcomes = []
        for n, model in enumerate(staged.index.models):
            tree = _tree(staged, model, Path(tmp) / "trees" / str(n))
            outcomes.append(
                _decide(
                    registry,
                    staged,
                    model,
                    locks[n],
                    tree,
                    bundle_sha=bundle_sha,
                    policy=policy,
                    actor=actor,
                    store=store,
                    public_key=public_key,
                    inspector=inspector,
                )
            )
    return ImportResult(bundle=str(bundle), sha256=bundle_sha, outcomes=tuple(outcomes))


def _check_model(staged: StagedBundle, model: BundleModel) -> lockfile.Lockfile:
    try:
        model_name(model.name)
    except RegistryError as exc:
        raise BundleError(f"bundle model {model.name!r}: {exc}") from None
    where = f"the bundle's lockfile of {model.name}"
    try:
        lock = lockfile.loads(staged.meta(model.lock).read_text(encoding="utf-8"), where=where)
    except UnicodeDecodeError:
        raise BundleError(f"{where} is not UTF-8 text") from None
    except WeighbridgeError as exc:
        raise BundleError(str(exc)) from None
    pinned = {(f.path, f.size, f.sha256) for f in lock.files}
    listed = {(f.path, f.size, f.sha256) for f in model.files}
    if pinned != listed:
        odd = sorted(pinned ^ listed)[0]
        raise BundleError(f"{where} does not pin the files the bundle lists (first difference: {odd[0]})")
    recomputed = manifest_digest((f.path, f.sha256) for f in model.files)
    if not (recomputed == model.manifest_digest == lock.manifest_digest):
        raise BundleError(
            f"{model.name}: the manifest digest of its files is {recomputed[:12]}…, the bundle says "
            f"{model.manifest_digest[:12]}… and its lockfile {lock.manifest_digest[:12]}…"
        )
    try:
        record = json.loads(staged.meta(model.record).read_bytes())
    except (ValueError, UnicodeDecodeError):
        raise BundleError(f"the bundle's registry record of {model.name} is not JSON") from None
    if not isinstance(record, dict) or not isinstance(record.get("registry"), dict):
        raise BundleError(f"the bundle's registry record of {model.name} is malformed")
    return lock


def _tree(staged: StagedBundle, model: BundleModel, root: Path) -> Path:
    """The model's files as a folder of hard links to the staged blobs (copies across filesystems)."""
    root.mkdir(parents=True)
    base = root.resolve()
    for item in model.files:
        dest = root / item.path
        if base not in dest.resolve().parents:
            raise BundleError(f"{model.name}: file path {item.path!r} leaves the model folder")
        dest.parent.mkdir(parents=True, exist_ok=True)
        blob = staged.blob(item.sha256)
        try:
            os.link(blob, dest)
        except OSError:
            shutil.copyfile(blob, dest)
    return root


def _decide(
    registry: Registry,
    staged: StagedBundle,
    model: BundleModel,
    lock: lockfile.Lockfile,
    tree: Path,
    *,
    bundle_sha: str,
    policy: Path,
    actor: str,
    store: Any | None,
    public_key: Path | None,
    inspector: Inspector | None,
) -> ImportOutcome:
    exported = _exported_decision(staged, model)
    signature = SignatureStatus.UNSIGNED
    sig = (
        staged.meta(model.signature)
        if model.signature is not None
        else tree / "model.sig"
        if any(f.path == "model.sig" for f in model.files)
        else None
    )
    if sig is not None and public_key is not None:
        from ..integrity.signing import verify_signature

        check = verify_signature(str(tree), signature=sig, public_key=public_key)
        signature = check.status
        if not check.ok:
            return ImportOutcome(
                model=model.name,
                version=model.manifest_digest,
                decision=Decision.REJECTED,
                reason=f"signature does not verify: {check.detail}",
                signature=signature,
                exported_decision=exported,
            )
    if inspector is None:
        from ..scanning.inspection import inspect

        inspector = inspect
    report = inspector(str(tree))
    if report.manifest_digest != model.manifest_digest:
        return ImportOutcome(
            model=model.name,
            version=model.manifest_digest,
            decision=Decision.REJECTED,
            reason=f"the scan saw other files (manifest {str(report.manifest_digest)[:12]}…) than "
            "the bundle pins; not recorded",
            signature=signature,
            exported_decision=exported,
        )
    target = Target(
        input=model.source,
        kind=_kind(lock.source),
        path=f"bundle:sha256:{bundle_sha}/{model.name}",
        revision=model.revision,
    )
    report = dataclasses.replace(report, target=target)
    note = f"imported from bundle sha256:{bundle_sha[:16]}… (the exporting registry had it {exported})"
    version, entry = registry.admit(
        model.source, policy_path=policy, actor=actor, report=report, name=model.name, note=note
    )
    if signature is SignatureStatus.VERIFIED:
        registry.record_signature(model.name, signature, version=version.manifest_digest)
    published = False
    if entry.decision is Decision.ADMITTED and store is not None:
        from ..mirror import publish_folder

        inside = store.quarantine.resolve() in tree.resolve().parents
        publish_folder(registry, store, model.name, tree, version=version.manifest_digest, move=inside)
        published = True
    return ImportOutcome(
        model=model.name,
        version=version.manifest_digest,
        decision=entry.decision,
        reason=entry.reason,
        reasons=tuple(_reason_lines(entry.reasons)),
        signature=signature,
        published=published,
        exported_decision=exported,
    )


def _exported_decision(staged: StagedBundle, model: BundleModel) -> str:
    try:
        doc = json.loads(staged.meta(model.record).read_bytes())
        return str(doc["registry"]["version"]["decision"])
    except (ValueError, KeyError, TypeError):
        return "unknown"


def _reason_lines(reasons: Any) -> list[str]:
    out = []
    for item in reasons or ():
        if isinstance(item, dict):
            out.append(str(item.get("message") or item.get("reason") or item))
        else:
            out.append(str(item))
    return out


def _kind(source: str) -> TargetKind:
    try:
        return TargetKind(source)
    except ValueError:
        return TargetKind.FOLDER
