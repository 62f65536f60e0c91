"""Intake: fetch ``hf:org/name[@rev]`` (Hub API) or ``ollama:[ns/]name:tag`` (OCI/Ollama registry) from the
upstream into quarantine, inspect it, decide it with the policy through the registry (``Registry.admit``), and
publish it to the served store only when admitted.

- One fetch per model commit: the registry's ``mirror_intake`` row keyed ``hf:org/name@<commit>`` (for Ollama,
  ``ollama:ns/name:tag@sha256:<manifest digest>``) is claimed
  by one process; another intake of the same key waits for it (and takes over if its owner stops sending
  heartbeats, e.g. after ``kill -9``).
- Nothing partial is ever served: downloads land in ``quarantine/intake-<key hash>/`` as ``.part`` files,
  are checked against the upstream's digests, then inspected; only an admitted version's files are moved
  into ``blobs/`` (each re-hashed against the registry), and the gate serves a version only when all its
  blobs are there. A re-run resumes the ``.part`` files and finishes.
- Not admitted → the files stay in quarantine and the intake waits for a person; approving the version
  (dashboard or ``registry approve``) makes the next request publish it (``QuarantinePublisher``).
- Pins: ``pin=True`` takes only exact commits; otherwise ``main`` (or a branch/tag) floats: it is resolved
  upstream at intake time, and a later intake of the same source takes in the new commit if it moved.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..core.findings import WeighbridgeError
from ..core.mirror import IntakeRecord, IntakeState, ServedFile, ServedVersion
from ..core.registry import Decision, LoadedPolicy, VersionRecord
from ..core.report import Report
from ..registry import Registry
from .gate import check_path
from .oci_upstream import fetch_blobs, fetch_manifest
from .publish import publish_folder
from .store import BlobStore
from .upstream import Upstream, UpstreamError, parse_ollama_source, parse_source

_SHA1 = re.compile(r"[0-9a-f]{40}")
ACTIVE = (IntakeState.FETCHING, IntakeState.INSPECTING)


class IntakeError(WeighbridgeError):
    """An intake that could not finish: one line (the registry's intake row says the same)."""


@dataclass(frozen=True)
class IntakeResult:
    record: IntakeRecord
    version: VersionRecord | None
    fetched: bool  # this process fetched (False: another did, or the version was already there)

    @property
    def served(self) -> bool:
        return self.record.state is IntakeState.PUBLISHED


def staging_name(key: str) -> str:
    return "intake-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class _Plan:
    """What one intake fetches and how its quarantine folder is read and published, by source kind."""

    key: str  # the registry's mirror_intake key: the source at an exact commit / manifest digest
    source: str  # what the version is recorded as
    name: str | None  # the registry name (None: the registry chooses, as for a local Ollama model)
    fetch: Callable[[Path, Callable[[int], None]], int]  # into the staging folder; the bytes fetched
    wanted: Callable[[], set[str]]  # the staging folder's files once fetched (anything else is dropped)
    inspect: Callable[[Path], Report]


def _hf_plan(source: str, upstream: Upstream, pin: bool, say: Callable[[str], None]) -> _Plan:
    repo, revision = parse_source(source)
    if pin and not _SHA1.fullmatch(revision):
        raise IntakeError(
            f"{source}: pinned intake takes exact commits (hf:{repo}@<40-hex commit>); "
            "let it float with --float"
        )
    info = upstream.repo_info(repo, revision)
    say(f"{source} is commit {info.commit} upstream ({len(info.files)} files)")

    def fetch(staging: Path, beat: Callable[[int], None]) -> int:
        total = 0
        for item in info.files:
            say(f"fetching {item.path}")
            path = upstream.download(repo, info.commit, item, staging, heartbeat=beat)
            total += path.stat().st_size
            if total > upstream.limits.max_bytes:
                raise UpstreamError(
                    f"hf:{repo}@{info.commit}: more than the {upstream.limits.max_bytes} bytes allowed"
                )
            beat(total)
        return total

    def inspect(staging: Path) -> Report:
        from ..scanning.inspection import inspect as inspect_target

        return inspect_target(str(staging))

    key = f"hf:{repo}@{info.commit}"
    return _Plan(
        key=key,
        source=key,
        name=repo,
        fetch=fetch,
        wanted=lambda: {f.path for f in info.files},
        inspect=inspect,
    )


def _ollama_plan(source: str, upstream: Upstream, pin: bool, say: Callable[[str], None]) -> _Plan:
    """``ollama:[ns/]name:tag`` from an OCI/Ollama registry upstream (another Weighbridge mirror's ``/v2/``)."""
    name = parse_ollama_source(source)
    if pin:
        raise IntakeError(
            f"{source}: an Ollama tag cannot be pinned; its manifest digest is recorded instead"
        )
    model = fetch_manifest(upstream, name)
    spec = f"ollama:{name.namespace}/{name.name}:{name.tag}"
    say(f"{source} is manifest sha256:{model.digest} upstream ({len(model.blobs)} blobs)")

    def fetch(staging: Path, beat: Callable[[int], None]) -> int:
        say(f"fetching {len(model.blobs)} blobs of {spec}")
        total = fetch_blobs(upstream, model, staging, heartbeat=beat)
        beat(total)
        return total

    def inspect(staging: Path) -> Report:
        """The quarantine folder is an Ollama store: the Ollama source reads it as it reads ``~/.ollama``."""
        from ..scanning.engine import scan_snapshot
        from ..scanning.inspection import add_analyses
        from ..sources.ollama import resolve_ollama

        snapshot = resolve_ollama(spec, store=staging)
        return add_analyses(scan_snapshot(snapshot), snapshot)

    return _Plan(
        key=f"{spec}@sha256:{model.digest}",
        source=spec,
        name=None,
        fetch=fetch,
        wanted=lambda: {b.path for b in model.blobs} | {model.manifest_path},
        inspect=inspect,
    )


def intake(
    registry: Registry,
    store: BlobStore,
    source: str,
    *,
    upstream: Upstream,
    actor: str,
    policy_path: Path | None = None,
    pin: bool = False,
    wait: float = 6 * 3600,
    stale_after: float = 60.0,
    log: Callable[[str], None] | None = None,
    policy: LoadedPolicy | None = None,
) -> IntakeResult:
    """Take ``hf:org/name[@rev]`` (from a Hub-API upstream) or ``ollama:[ns/]name:tag`` (from an OCI/Ollama
    registry upstream) into quarantine, decide it, and publish it when admitted."""
    say = log or (lambda _m: None)
    try:
        plan = (_ollama_plan if source.startswith("ollama:") else _hf_plan)(source, upstream, pin, say)
    except UpstreamError as exc:
        raise IntakeError(str(exc)) from None
    key = plan.key
    owner = f"{os.getpid()}@{socket.gethostname()}/{secrets.token_hex(4)}"
    deadline = time.monotonic() + wait
    while True:
        record, mine = registry.mirror.claim_intake(
            key, source, actor=actor, owner=owner, stale_after=stale_after
        )
        if mine:
            break
        if record.state not in ACTIVE:
            return _settled(registry, store, record)
        if time.monotonic() > deadline:
            raise IntakeError(f"{key}: another intake ({record.owner}) is still at it; gave up waiting")
        say(f"{key}: another process is taking it in ({record.state.value}); waiting")
        time.sleep(min(1.0, max(0.05, stale_after / 10)))
    staging = store.quarantine_dir(staging_name(key))
    try:
        with _heartbeat(registry, record.id, owner, every=max(0.2, stale_after / 4)) as lost:

            def beat(_written: int) -> None:
                if lost.is_set():
                    raise IntakeError(f"{key}: another process took this intake over")

            total = plan.fetch(staging, beat)
            _drop_strays(staging, plan.wanted())
            registry.mirror.heartbeat_intake(record.id, owner, state=IntakeState.INSPECTING)
            say(f"inspecting {key}")
            report = plan.inspect(staging)
            beat(total)
            version, decision = registry.admit(
                plan.source,
                policy_path=policy_path,
                policy=policy,
                actor=actor,
                report=report,
                name=plan.name,
            )
        if decision.decision is Decision.ADMITTED:
            _publish_staging(registry, store, version, staging)
            shutil.rmtree(staging, ignore_errors=True)
            final = registry.mirror.finish_intake(
                record.id,
                owner,
                IntakeState.PUBLISHED,
                model=version.model,
                manifest_digest=version.manifest_digest,
                detail=decision.reason,
            )
        else:
            final = registry.mirror.finish_intake(
                record.id,
                owner,
                IntakeState.WAITING,
                model=version.model,
                manifest_digest=version.manifest_digest,
                detail=f"{decision.decision.value}: {decision.reason}",
            )
        return IntakeResult(
            record=final, version=registry.get_version(version.model, version.manifest_digest), fetched=True
        )
    except (WeighbridgeError, OSError) as exc:
        message = str(exc) if isinstance(exc, WeighbridgeError) else f"{key}: {exc.strerror or exc}"
        registry.mirror.finish_intake(record.id, owner, IntakeState.FAILED, detail=message)
        raise IntakeError(message) from None


def _publish_staging(registry: Registry, store: BlobStore, version: VersionRecord, staging: Path) -> None:
    """Move an admitted version's files from its quarantine folder into the store (each re-hashed against the
    registry). An Ollama layout is first presented by the names the registry recorded (``model.gguf``,
    ``template`` …) as links to its blobs, which stay inside the quarantine."""
    if not version.source.startswith("ollama:"):
        publish_folder(registry, store, version.model, staging, version=version.manifest_digest, move=True)
        return
    from ..sources.ollama import resolve_ollama

    snapshot = resolve_ollama(version.source, store=staging)
    named = staging / ".named"
    shutil.rmtree(named, ignore_errors=True)
    named.mkdir()
    for item in snapshot.files:
        if check_path(item.rel) is not None or "/" in item.rel:
            raise IntakeError(f"{version.model}: unexpected layer name {item.rel!r}")
        os.symlink(item.abspath, named / item.rel)
    publish_folder(registry, store, version.model, named, version=version.manifest_digest, move=True)


def _settled(registry: Registry, store: BlobStore, record: IntakeRecord) -> IntakeResult:
    """Another process finished this key: report what it became (publishing it if a person approved it)."""
    version = None
    if record.model and record.manifest_digest:
        version = registry.get_version(record.model, record.manifest_digest)
        if version.decision is Decision.ADMITTED and record.state is IntakeState.WAITING:
            QuarantinePublisher(registry, store).publish(version, key=record.key)
            record = registry.mirror.intake(record.key) or record
    if record.state is IntakeState.FAILED:
        raise IntakeError(record.detail or f"{record.key}: the intake failed")
    return IntakeResult(record=record, version=version, fetched=False)


def _drop_strays(folder: Path, wanted: set[str]) -> None:
    """Remove anything in the staging folder the upstream did not list (left by an older interrupted run)."""
    for path in sorted(folder.rglob("*"), reverse=True):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() or path.is_symlink():
            if rel not in wanted:
                path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


@contextlib.contextmanager
def _heartbeat(registry: Registry, intake_id: int, owner: str, every: float) -> Iterator[threading.Event]:
    """Keep the claim alive from a thread while the work runs; the event is set if the claim was lost."""
    stop, lost = threading.Event(), threading.Event()

    def run() -> None:
        while not stop.wait(every):
            try:
                if not registry.mirror.heartbeat_intake(intake_id, owner):
                    lost.set()
                    return
            except Exception:  # a transient database error: try again next beat
                continue

    thread = threading.Thread(target=run, name="intake-heartbeat", daemon=True)
    thread.start()
    try:
        yield lost
    finally:
        stop.set()
        thread.join(timeout=5)


class QuarantinePublisher:
    """The gate's ``on_missing`` hook: an admitted version whose files still sit in an intake's quarantine
    (a person approved it after intake) is published on the first request that needs it."""

    def __init__(self, registry: Registry, store: BlobStore) -> None:
        self.registry = registry
        self.store = store
        self._lock = threading.Lock()

    def __call__(self, served: ServedVersion, item: ServedFile) -> bool:
        if not served.source.startswith(("hf:", "ollama:")):
            return False
        with self._lock:
            if self.store.has(item.sha256):
                return True
            try:
                version = self.registry.get_version(served.model, served.manifest_digest)
            except WeighbridgeError:
                return False
            self.publish(version)
        return self.store.has(item.sha256)

    def _key_of(self, version: VersionRecord) -> str | None:
        """The intake that fetched ``version``: an ``hf:`` version's source is its key; an Ollama version's key
        adds the upstream manifest digest, so it is found among the intakes waiting for a person."""
        if version.source.startswith("hf:"):
            return version.source
        waiting = self.registry.mirror.intake_queue(states=[IntakeState.WAITING], limit=10_000)
        return next(
            (
                r.key
                for r in waiting
                if r.model == version.model and r.manifest_digest == version.manifest_digest
            ),
            None,
        )

    def publish(self, version: VersionRecord, *, key: str | None = None) -> bool:
        """Publish from the quarantine of the intake ``key`` (by default, the intake that fetched ``version``)."""
        key = key or self._key_of(version)
        if key is None:
            return False
        staging = self.store.quarantine / staging_name(key)
        if version.decision is not Decision.ADMITTED or not staging.is_dir():
            return False
        try:
            _publish_staging(self.registry, self.store, version, staging)
        except WeighbridgeError:
            return False
        shutil.rmtree(staging, ignore_errors=True)
        self.registry.mirror.mark_intake(
            key, IntakeState.PUBLISHED, detail="published after a person approved it"
        )
        return True
