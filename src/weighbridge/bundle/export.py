"""``weighbridge bundle export``: admitted versions, their registry records, lockfiles and signatures, and the
bytes of their files, into one tar archive for an air-gapped registry.

Only admitted versions are exported. Each file's bytes come from the mirror's blob store when it holds them,
else from the version's recorded source (a local folder or file, the Hugging Face cache, the Ollama store —
never the network), and are hashed while they are written: a byte that differs from what was admitted stops
the export and leaves no archive behind. The archive is written to ``FILE.partial`` and renamed at the end.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .. import __version__
from ..core.bundle import INDEX_NAME, BundleError, BundleIndex, BundleMember, BundleModel, ExportResult
from ..core.findings import WeighbridgeError
from ..core.registry import Decision, FileDigest, VersionRecord
from ..integrity import lockfile
from ..registry import Registry
from .archive import BundleWriter, blob_member, index_bytes

SIGNATURE_LIMIT = 4 * 1024 * 1024


class ExportRefused(WeighbridgeError):
    """A version that may not leave: not admitted (exit 1)."""


@dataclass(frozen=True)
class _Planned:
    model: BundleModel
    record: bytes
    lock: bytes
    signature: bytes | None
    version: VersionRecord


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``NAME`` or ``NAME@VERSION`` (a revision or manifest digest prefix). Registry names hold no ``@``."""
    name, at, version = spec.rpartition("@")
    if not at:
        return spec, None
    if not name or not version:
        raise WeighbridgeError(f"invalid model {spec!r}: expected NAME or NAME@VERSION")
    return name, version


def export_bundle(
    registry: Registry, specs: Sequence[str], output: Path, *, store: Any | None = None
) -> ExportResult:
    """Write the bundle of ``specs`` to ``output``. ``store`` is the mirror's ``BlobStore`` (optional)."""
    if not specs:
        raise WeighbridgeError("name at least one model to export")
    planned: list[_Planned] = []
    seen: set[tuple[str, str]] = set()
    for spec in specs:
        name, version = parse_spec(spec)
        record = registry.get_version(name, version)
        if (record.model, record.manifest_digest) in seen:
            continue
        seen.add((record.model, record.manifest_digest))
        if record.decision is not Decision.ADMITTED:
            raise ExportRefused(
                f"{record.model}@{record.manifest_digest[:12]} is {record.decision.value}, not "
                "admitted: only admitted versions are exported"
            )
        if not record.files:
            raise BundleError(f"{record.model}@{record.manifest_digest[:12]} has no recorded files to export")
        planned.append(_plan(registry, record, len(planned)))
    index = _index(planned)
    partial = output.with_name(output.name + ".partial")
    digest = hashlib.sha256()
    try:
        with open(partial, "wb") as raw:
            sink = _HashingWriter(raw, digest)
            writer = BundleWriter(sink)  # type: ignore[arg-type]
            try:
                _write(writer, index, planned, _Sources(store))
            except BaseException:
                writer.abort()
                raise
            writer.close()
        os.replace(partial, output)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise WeighbridgeError(f"cannot write {output}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    files = {f.sha256: f.size for p in planned for f in p.model.files}
    return ExportResult(
        path=str(output),
        sha256=digest.hexdigest(),
        size=output.stat().st_size,
        models=tuple(f"{p.model.name}@{p.model.manifest_digest}" for p in planned),
        files=len(files),
        file_bytes=sum(files.values()),
    )


def _write(writer: BundleWriter, index: BundleIndex, planned: list[_Planned], sources: _Sources) -> None:
    writer.add_bytes(INDEX_NAME, index_bytes(index))
    for item in planned:
        writer.add_bytes(item.model.record, item.record)
        writer.add_bytes(item.model.lock, item.lock)
        if item.model.signature is not None and item.signature is not None:
            writer.add_bytes(item.model.signature, item.signature)
    written: set[str] = set()
    for item in planned:
        for file in item.model.files:
            if file.sha256 in written:
                continue
            member = BundleMember(blob_member(file.sha256), file.size, file.sha256)
            with sources.open(item.version, file) as source:
                writer.add_stream(member.name, member, source, f"{item.model.name}: {file.path}")
            written.add(file.sha256)


class _HashingWriter:
    def __init__(self, sink: IO[bytes], digest: Any) -> None:
        self.sink, self.digest = sink, digest

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.sink.write(data)

    def flush(self) -> None:
        self.sink.flush()


def _plan(registry: Registry, record: VersionRecord, n: int) -> _Planned:
    detail = registry.version_detail(record.model, record.manifest_digest)
    doc = {
        "schema": "weighbridge.bundle-record/1",
        "exported_at": _now(),
        "exported_by": f"weighbridge {__version__}",
        "registry": detail,
    }
    lock = lockfile.Lockfile(
        target=record.source,
        source=_source_kind(record),
        revision=record.revision,
        manifest_digest=record.manifest_digest,
        files=tuple(lockfile.LockedFile(f.path, f.size, f.sha256) for f in record.files),
    )
    signature = _signature(record)
    model = BundleModel(
        name=record.model,
        source=record.source,
        revision=record.revision,
        manifest_digest=record.manifest_digest,
        files=record.files,
        record=f"records/{n}.json",
        lock=f"locks/{n}.lock",
        signature=f"signatures/{n}.sig" if signature is not None else None,
    )
    return _Planned(
        model=model,
        record=json.dumps(doc, indent=1, sort_keys=True).encode("utf-8"),
        lock=lockfile.dumps(lock).encode("utf-8"),
        signature=signature,
        version=record,
    )


def _index(planned: list[_Planned]) -> BundleIndex:
    members: list[BundleMember] = []
    for item in planned:
        members.append(_member(item.model.record, item.record))
        members.append(_member(item.model.lock, item.lock))
        if item.model.signature is not None and item.signature is not None:
            members.append(_member(item.model.signature, item.signature))
    blobs: dict[str, BundleMember] = {}
    for item in planned:
        for f in item.model.files:
            blobs.setdefault(f.sha256, BundleMember(blob_member(f.sha256), f.size, f.sha256))
    return BundleIndex(
        models=tuple(p.model for p in planned),
        members=(*members, *blobs.values()),
        tool_version=__version__,
        created_at=_now(),
    )


def _member(name: str, data: bytes) -> BundleMember:
    return BundleMember(name, len(data), hashlib.sha256(data).hexdigest())


def _source_kind(record: VersionRecord) -> str:
    if record.source.startswith("hf:"):
        return "hf"
    if record.source.startswith("ollama:"):
        return "ollama"
    if len(record.files) == 1 and Path(record.source).name == record.files[0].path:
        return "file"
    return "folder"


def _signature(record: VersionRecord) -> bytes | None:
    """The OpenSSF model signature next to a local source (``model.sig`` in a folder, ``FILE.sig``), when it is
    not one of the recorded files already."""
    if record.source.startswith(("hf:", "ollama:")):
        return None
    from ..integrity.signing import default_signature_path

    try:
        path = default_signature_path(record.source)
        if path.name in {f.path for f in record.files} or not path.is_file():
            return None
        if path.stat().st_size > SIGNATURE_LIMIT:
            raise BundleError(f"{path}: signature larger than {SIGNATURE_LIMIT} bytes")
        return path.read_bytes()
    except OSError:
        return None


class _Sources:
    """Where each file's bytes are: the mirror's store when it holds them, else the resolved source (resolved
    once per version)."""

    def __init__(self, store: Any | None) -> None:
        self.store = store
        self.snapshots: dict[int, dict[str, str]] = {}

    @contextmanager
    def open(self, record: VersionRecord, file: FileDigest) -> Iterator[IO[bytes]]:
        path = self._locate(record, file)
        try:
            handle = open(path, "rb")  # noqa: SIM115 (closed by the with below)
        except OSError as exc:
            raise BundleError(
                f"{record.model}: cannot read {file.path} at {path}: {exc.strerror or exc}"
            ) from None
        with handle:
            yield handle

    def _locate(self, record: VersionRecord, file: FileDigest) -> str:
        if self.store is not None and self.store.has(file.sha256):
            return str(self.store.path(file.sha256))
        if record.id not in self.snapshots:
            try:
                from ..sources import resolve

                snapshot = resolve(record.source)
            except WeighbridgeError as exc:
                raise BundleError(
                    f"{record.model}: {file.path} is not in the mirror's store and its source "
                    f"cannot be read: {exc}"
                ) from None
            self.snapshots[record.id] = {item.rel: item.abspath for item in snapshot.files}
        found = self.snapshots[record.id].get(file.path)
        if found is None:
            raise BundleError(
                f"{record.model}: {file.path} is neither in the mirror's store nor at its source "
                f"{record.source}"
            )
        return found


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
