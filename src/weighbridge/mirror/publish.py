"""Putting an admitted version's bytes into the served store: from a local folder (``mirror publish``) or
from an intake's quarantine folder. Every file is hashed on the way in and must match what the registry
recorded at admission; only then is it renamed into ``blobs/`` and recorded in the registry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.findings import WeighbridgeError
from ..core.mirror import StoredBlob
from ..core.registry import Decision, VersionRecord
from ..registry import Registry
from .gate import check_path
from .store import BlobStore


class PublishError(WeighbridgeError):
    """A version cannot be published: not admitted, a file missing or not matching the registry."""


@dataclass(frozen=True)
class Published:
    version: VersionRecord
    blobs: tuple[StoredBlob, ...]
    reused: int  # files whose blob the store already held and that still hashed right


def publish_folder(
    registry: Registry,
    store: BlobStore,
    model: str,
    folder: Path,
    *,
    version: str | None = None,
    move: bool = False,
) -> Published:
    """Ingest the files of ``model`` (newest version, or ``version``) from ``folder``. Refused unless the
    version is admitted; each file must hash to the registry's digest. ``move`` adopts files that are
    already inside the store's quarantine instead of copying them."""
    folder = Path(folder)
    record = registry.get_version(model, version)
    if record.decision is not Decision.ADMITTED:
        raise PublishError(
            f"{model}@{record.manifest_digest[:12]} is {record.decision.value}, not admitted: "
            "only admitted versions are published"
        )
    if not record.files:
        raise PublishError(f"{model}@{record.manifest_digest[:12]} has no recorded files")
    known = registry.mirror.blobs([f.sha256 for f in record.files])
    stored: list[StoredBlob] = []
    reused = 0
    for item in record.files:
        if check_path(item.path) is not None:
            raise PublishError(f"{model}: recorded file name {item.path!r} cannot be served")
        previous = known.get(item.sha256)
        if previous is not None and previous.reason is None:
            check = store.check(item.sha256, previous, expected_size=item.size)
            if check.ok and check.record is not None:
                if check.rehashed:
                    registry.mirror.record_blob(check.record)
                reused += 1
                continue
        source = folder / item.path
        if not source.is_file():
            raise PublishError(f"{model}: {item.path} is missing from {folder}")
        blob = (
            store.adopt(source, expected_sha256=item.sha256, expected_size=item.size)
            if move
            else store.ingest_file(source, expected_sha256=item.sha256, expected_size=item.size)
        )
        registry.mirror.record_blob(blob.record())
        stored.append(blob)
    return Published(version=record, blobs=tuple(stored), reused=reused)
