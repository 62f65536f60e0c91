"""Air-gap bundles: export admitted models from one registry, import them into a fresh one that trusts nothing the
bundle says (hashes, lockfiles, signatures checked; scan and local policy run again)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.formats.gguf_writer import GGUFWriter
from tests.provenance.folders import card, folder
from tests.registry.reports import LENIENT

from weighbridge.bundle import ExportRefused, export_bundle, import_bundle
from weighbridge.core.bundle import INDEX_NAME, BundleError
from weighbridge.core.mirror import ServedVersion
from weighbridge.core.registry import Decision, SignatureStatus
from weighbridge.formats.gguf import ValueType
from weighbridge.mirror import BlobStore, Gate
from weighbridge.registry import Registry, open_registry

APACHE_ONLY = """name: apache-only
intended_use:
  commercial: true
rules:
  allowed_license_families: [mit]
  max_scan_severity: critical
"""
NO_CRITICAL = """name: no-critical
intended_use:
  commercial: false
rules:
  max_scan_severity: medium
"""


@dataclass
class Side:
    reg: Registry
    store: BlobStore
    policy: Path


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHBRIDGE_HOME", str(tmp_path / "wb-home"))
    monkeypatch.delenv("WEIGHBRIDGE_DATABASE_URL", raising=False)
    monkeypatch.delenv("WEIGHBRIDGE_MIRROR_STORE", raising=False)


def _side(tmp_path: Path, name: str) -> Iterator[Side]:
    policy = tmp_path / f"{name}-lenient.yaml"
    policy.write_text(LENIENT, encoding="utf-8")
    with open_registry(f"sqlite:///{tmp_path / f'{name}.db'}") as reg:
        yield Side(reg, BlobStore(tmp_path / f"{name}-store"), policy)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Side]:
    yield from _side(tmp_path, "connected")


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Side]:
    yield from _side(tmp_path, "airgapped")


def tiny_gguf() -> bytes:
    w = GGUFWriter()
    w.string("general.architecture", "llama")
    w.array("tokenizer.ggml.tokens", ValueType.STRING, ["<s>", "</s>"])
    w.tensor("tok.weight", [64, 2], 0)
    return w.build()


def apache_model(root: Path) -> Path:
    return folder(
        root,
        {
            "README.md": card("license: apache-2.0\n", "# Tiny\n\nA tiny model.\n"),
            "config.json": '{"model_type": "llama"}',
            "weights/tiny.gguf": tiny_gguf(),
        },
    )


@pytest.fixture
def bundle(source: Side, tmp_path: Path) -> Path:
    model = apache_model(tmp_path / "models" / "acme-tiny")
    version, decision = source.reg.admit(str(model), policy_path=source.policy, actor="exporter")
    assert decision.decision is Decision.ADMITTED
    out = tmp_path / "acme.wbundle"
    result = export_bundle(source.reg, ["acme-tiny"], out)
    assert result.models == (f"acme-tiny@{version.manifest_digest}",)
    return out


def test_round_trip_admits_under_the_local_policy_and_publishes(
    bundle: Path, source: Side, target: Side
) -> None:
    result = import_bundle(target.reg, bundle, policy=target.policy, actor="importer", store=target.store)
    assert result.sha256 == hashlib.sha256(bundle.read_bytes()).hexdigest()
    [outcome] = result.outcomes
    assert (
        outcome.decision is Decision.ADMITTED
        and outcome.published
        and outcome.exported_decision == "admitted"
    )
    exported = source.reg.get_version("acme-tiny")
    imported = target.reg.get_version("acme-tiny")
    assert imported.manifest_digest == exported.manifest_digest and imported.files == exported.files
    assert imported.source == exported.source
    [entry] = target.reg.history("acme-tiny")
    assert entry.actor == "importer" and entry.policy == "lenient"
    assert f"imported from bundle sha256:{result.sha256[:16]}" in entry.reason
    served = Gate(target.reg, target.store).resolve("acme-tiny")
    assert isinstance(served, ServedVersion)
    for item in served.files:
        assert target.store.path(item.sha256).read_bytes() == (Path(exported.source) / item.path).read_bytes()
    assert not list(target.store.quarantine.iterdir())  # staging is cleaned up


def test_the_local_policy_alone_decides(bundle: Path, target: Side, tmp_path: Path) -> None:
    strict = tmp_path / "mit-only.yaml"
    strict.write_text(APACHE_ONLY, encoding="utf-8")
    [outcome] = import_bundle(
        target.reg, bundle, policy=strict, actor="importer", store=target.store
    ).outcomes
    assert outcome.decision is Decision.REJECTED and not outcome.published
    assert outcome.exported_decision == "admitted"  # what the other side decided changes nothing
    assert any("licence" in line or "license" in line for line in (outcome.reason, *outcome.reasons))
    assert target.reg.get_version("acme-tiny").decision is Decision.REJECTED
    assert not list(target.store.iter_digests())


def test_only_admitted_versions_are_exported(source: Side, tmp_path: Path) -> None:
    model = apache_model(tmp_path / "models" / "acme-other")
    source.reg.admit(str(model), policy_path=None, actor="exporter")  # no policy: needs review
    out = tmp_path / "x.wbundle"
    with pytest.raises(ExportRefused, match="acme-other@.* is needs-review, not admitted"):
        export_bundle(source.reg, ["acme-other"], out)
    assert not out.exists() and not (tmp_path / "x.wbundle.partial").exists()


def test_export_refuses_bytes_changed_since_admission(source: Side, tmp_path: Path) -> None:
    model = apache_model(tmp_path / "models" / "acme-tiny")
    source.reg.admit(str(model), policy_path=source.policy, actor="exporter")
    (model / "config.json").write_text('{"model_type": "mamba"}')  # same size: only the hash tells
    out = tmp_path / "x.wbundle"
    with pytest.raises(BundleError, match="config.json: .*no longer hash to the recorded"):
        export_bundle(source.reg, ["acme-tiny"], out)
    assert not out.exists() and not (tmp_path / "x.wbundle.partial").exists()
    (model / "config.json").write_text("{}")
    with pytest.raises(BundleError, match="config.json: shorter than the 23 bytes recorded at admission"):
        export_bundle(source.reg, ["acme-tiny"], out)
    assert not out.exists() and not (tmp_path / "x.wbundle.partial").exists()


def test_export_reads_from_the_mirror_store_when_it_holds_the_bytes(source: Side, tmp_path: Path) -> None:
    from weighbridge.mirror import publish_folder

    model = apache_model(tmp_path / "models" / "acme-tiny")
    source.reg.admit(str(model), policy_path=source.policy, actor="exporter")
    publish_folder(source.reg, source.store, "acme-tiny", model)
    for item in model.rglob("*"):
        if item.is_file():
            item.unlink()  # the source is gone; the store still has the admitted bytes
    result = export_bundle(source.reg, ["acme-tiny"], tmp_path / "x.wbundle", store=source.store)
    assert result.files == 3


# --- tampered bundles: each one stops the import with one line, and nothing is recorded ---


Member = tuple[tarfile.TarInfo, bytes | None]


def rewrite(bundle: Path, out: Path, change: Callable[[list[Member]], list[Member]]) -> Path:
    members: list[Member] = []
    with tarfile.open(bundle) as tar:
        for info in tar.getmembers():
            handle = tar.extractfile(info)
            members.append((info, handle.read() if handle is not None else None))
    members = change(members)
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out


def _reg(name: str, data: bytes) -> Member:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _flip_blob(members: list[Member]) -> list[Member]:
    out = []
    for info, data in members:
        if info.name.startswith("blobs/") and data is not None and not data.startswith(b"GGUF"):
            data = data[:-1] + bytes([data[-1] ^ 1])
        out.append((info, data))
    return out


def _symlink_blob(members: list[Member]) -> list[Member]:
    out = []
    for info, data in members:
        if info.name.startswith("blobs/") and data is not None and data.startswith(b"GGUF"):
            link = tarfile.TarInfo(info.name)
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
            out.append((link, None))
        else:
            out.append((info, data))
    return out


def _hardlink_blob(members: list[Member]) -> list[Member]:
    out = []
    for info, data in members:
        if info.name.startswith("blobs/") and data is not None and data.startswith(b"GGUF"):
            link = tarfile.TarInfo(info.name)
            link.type, link.linkname = tarfile.LNKTYPE, INDEX_NAME
            out.append((link, None))
        else:
            out.append((info, data))
    return out


def _forge_index(change: Callable[[dict[str, object]], None]) -> Callable[[list[Member]], list[Member]]:
    def apply(members: list[Member]) -> list[Member]:
        info, data = members[0]
        assert info.name == INDEX_NAME and data is not None
        doc = json.loads(data)
        change(doc)
        return [(info, json.dumps(doc).encode()), *members[1:]]

    return apply


def _traversal_path(doc: dict[str, object]) -> None:
    models = doc["models"]
    assert isinstance(models, list)
    models[0]["files"][0]["path"] = "../../../../tmp/evil"


TAMPERINGS: dict[str, tuple[Callable[[list[Member]], list[Member]], str]] = {
    "changed byte": (_flip_blob, "was changed: its bytes hash to"),
    "extra member": (
        lambda m: [*m, _reg("notes.txt", b"trust me")],
        "extra member 'notes.txt' is not listed",
    ),
    "extra traversal member": (
        lambda m: [*m, _reg("../../evil.sh", b"#!/bin/sh")],
        "extra member '../../evil.sh'",
    ),
    "missing member": (
        lambda m: [x for x in m if not x[0].name.startswith("locks/")],
        "locks/0.lock listed in",
    ),
    "symlink member": (_symlink_blob, "is a symbolic link"),
    "hard link member": (_hardlink_blob, "is a hard link"),
    "repeated member": (lambda m: [*m, m[1]], "appears twice"),
    "index not first": (lambda m: [*m[1:], m[0]], "the first member is"),
    "traversal path in the index": (_forge_index(_traversal_path), "unsafe file path '../../../../tmp/evil'"),
    "unknown schema": (_forge_index(lambda d: d.update(schema="weighbridge.bundle/9")), "unsupported schema"),
}


@pytest.mark.parametrize("case", sorted(TAMPERINGS))
def test_tampered_bundles_are_refused_and_nothing_is_recorded(
    case: str, bundle: Path, target: Side, tmp_path: Path
) -> None:
    change, message = TAMPERINGS[case]
    forged = rewrite(bundle, tmp_path / "forged.tar", change)
    with pytest.raises(BundleError, match=message.replace("(", r"\(").replace(".", r"\.")) as caught:
        import_bundle(target.reg, forged, policy=target.policy, actor="importer", store=target.store)
    assert "\n" not in str(caught.value)
    assert target.reg.list_versions() == [] and not list(target.store.iter_digests())
    assert not list(target.store.quarantine.iterdir())


@pytest.mark.parametrize("damage", ["truncated", "not a tar", "empty"])
def test_unreadable_bundles_are_refused(damage: str, bundle: Path, target: Side, tmp_path: Path) -> None:
    raw = bundle.read_bytes()
    broken = tmp_path / "broken.tar"
    broken.write_bytes(
        {"truncated": raw[: len(raw) // 2], "not a tar": b"PK\x03\x04 not a tar" * 100, "empty": b""}[damage]
    )
    with pytest.raises(BundleError):
        import_bundle(target.reg, broken, policy=target.policy, actor="importer", store=target.store)
    assert target.reg.list_versions() == []


def test_a_consistently_forged_bundle_is_caught_by_the_fresh_scan(
    bundle: Path, target: Side, tmp_path: Path
) -> None:
    """An attacker who rewrites a file *and* every hash, the lockfile and the index gets past the integrity
    checks — and into the scanner: the importing side's own scan and policy reject the model."""
    from weighbridge.integrity import lockfile
    from weighbridge.integrity.manifest import manifest_digest

    evil = (
        b"cos\nsystem\n(S'echo pwned'\ntR."  # a pickle that would call os.system (bytes only, never loaded)
    )

    def forge(members: list[Member]) -> list[Member]:
        index = json.loads(members[0][1] or b"")
        model = index["models"][0]
        sha = hashlib.sha256(evil).hexdigest()
        model["files"].append({"path": "pytorch_model.bin", "size": len(evil), "sha256": sha})
        model["manifest_digest"] = manifest_digest((f["path"], f["sha256"]) for f in model["files"])
        lock = lockfile.Lockfile(
            target=model["source"],
            source="folder",
            revision=None,
            manifest_digest=model["manifest_digest"],
            files=tuple(lockfile.LockedFile(f["path"], f["size"], f["sha256"]) for f in model["files"]),
        )
        lock_bytes = lockfile.dumps(lock).encode()
        rest: list[Member] = []
        for info, data in members[1:]:
            rest.append(_reg(info.name, lock_bytes) if info.name == model["lock"] else (info, data))
        for member in index["members"]:
            if member["name"] == model["lock"]:
                member.update(size=len(lock_bytes), sha256=hashlib.sha256(lock_bytes).hexdigest())
        index["members"].append({"name": f"blobs/sha256/{sha}", "size": len(evil), "sha256": sha})
        return [(_reg(INDEX_NAME, json.dumps(index).encode())), *rest, _reg(f"blobs/sha256/{sha}", evil)]

    forged = rewrite(bundle, tmp_path / "forged.tar", forge)
    policy = tmp_path / "no-critical.yaml"
    policy.write_text(NO_CRITICAL, encoding="utf-8")
    [outcome] = import_bundle(
        target.reg, forged, policy=policy, actor="importer", store=target.store
    ).outcomes
    assert outcome.decision is Decision.REJECTED and not outcome.published
    assert any("critical" in line for line in (outcome.reason, *outcome.reasons)), outcome
    assert (
        target.reg.get_version("acme-tiny").decision is Decision.REJECTED
    )  # recorded, with the scan's findings
    assert not list(target.store.iter_digests())


def test_signatures_are_verified_on_import(source: Side, target: Side, tmp_path: Path) -> None:
    from tests.integrity_lock.keys import write_key_pair

    from weighbridge.integrity.signing import sign_model

    model = apache_model(tmp_path / "models" / "acme-tiny")
    private, public = write_key_pair(tmp_path)
    sign_model(str(model), private_key=private)
    source.reg.admit(str(model), policy_path=source.policy, actor="exporter")
    out = tmp_path / "signed.wbundle"
    export_bundle(source.reg, ["acme-tiny"], out)
    [outcome] = import_bundle(
        target.reg, out, policy=target.policy, actor="importer", store=target.store, public_key=public
    ).outcomes
    assert outcome.signature is SignatureStatus.VERIFIED and outcome.decision is Decision.ADMITTED
    assert target.reg.get_version("acme-tiny").signature is SignatureStatus.VERIFIED
    _, other = write_key_pair(tmp_path, "someone-else")
    with open_registry(f"sqlite:///{tmp_path / 'third.db'}") as third:
        [refused] = import_bundle(
            third, out, policy=target.policy, actor="importer", public_key=other
        ).outcomes
        assert refused.decision is Decision.REJECTED and refused.signature is SignatureStatus.INVALID
        assert refused.reason.startswith("signature does not verify")


def test_an_ollama_model_crosses_the_air_gap_and_is_pulled_with_its_original_manifest(
    source: Side, target: Side, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recorded from an Ollama store on the connected side, exported from that store, imported, and served over
    /v2/ on the air-gapped side: the manifest there is byte for byte the one Ollama pulled."""
    from fastapi.testclient import TestClient
    from tests.mirror.oci_helpers import ollama_model

    from weighbridge.mirror.app import create_mirror_app

    model = ollama_model(3)
    store_dir = tmp_path / "ollama"
    (store_dir / "blobs").mkdir(parents=True)
    for data in model.files.values():
        (store_dir / "blobs" / f"sha256-{hashlib.sha256(data).hexdigest()}").write_bytes(data)
    manifest = store_dir / "manifests" / "registry.ollama.ai" / "acme" / "coder" / "7b"
    manifest.parent.mkdir(parents=True)
    manifest.write_bytes(model.manifest)
    monkeypatch.setenv("OLLAMA_MODELS", str(store_dir))
    version, decision = source.reg.admit("ollama:acme/coder:7b", policy_path=source.policy, actor="exporter")
    assert decision.decision is Decision.ADMITTED
    out = tmp_path / "coder.wbundle"
    export_bundle(source.reg, [version.model], out)  # bytes read from the Ollama store, hashed as written
    monkeypatch.delenv("OLLAMA_MODELS")
    [outcome] = import_bundle(
        target.reg, out, policy=target.policy, actor="importer", store=target.store
    ).outcomes
    assert outcome.decision is Decision.ADMITTED and outcome.published
    client = TestClient(create_mirror_app(target.reg.url, store_root=target.store.root))
    answer = client.get(
        "/v2/acme/coder/manifests/7b",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    assert answer.status_code == 200 and answer.content == model.manifest
    gguf = model.files["model.gguf"]
    blob = client.get(f"/v2/acme/coder/blobs/sha256:{hashlib.sha256(gguf).hexdigest()}")
    assert blob.content == gguf
