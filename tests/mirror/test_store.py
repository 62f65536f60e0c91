from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from weighbridge.mirror.store import BlobStore, StoreError, digest


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_ingest_streams_into_a_content_address(store: BlobStore, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    source = tmp_path / "w.bin"
    source.write_bytes(data)
    blob = store.ingest_file(source, expected_sha256=_sha(data), expected_size=len(data))
    path = Path(blob.path)
    assert path == store.blobs / _sha(data)[:2] / _sha(data)
    assert path.read_bytes() == data and blob.size == len(data)
    assert not os.access(path, os.W_OK) or os.geteuid() == 0  # stored read-only
    assert list(store.quarantine.iterdir()) == []  # no temporary left behind
    assert list(store.iter_digests()) == [_sha(data)]
    again = store.ingest_file(source)  # same bytes again: same address
    assert again.sha256 == blob.sha256 and store.verify(blob.sha256).ok


def test_mismatch_cap_and_bad_digests_leave_nothing(store: BlobStore, tmp_path: Path) -> None:
    source = tmp_path / "w.bin"
    source.write_bytes(b"hello")
    with pytest.raises(StoreError, match="expected sha256:"):
        store.ingest_file(source, expected_sha256="0" * 64)
    with pytest.raises(StoreError, match="cap of 3 bytes"):
        store.ingest_file(source, max_bytes=3)
    with pytest.raises(StoreError, match="expected 4 bytes"):
        store.ingest_file(source, expected_size=4)
    with pytest.raises(StoreError, match="malformed SHA-256"):
        store.ingest_file(source, expected_sha256="../../etc/passwd")
    for bad in ("abc", "g" * 64, "../" + "a" * 61, "A" * 63):
        with pytest.raises(StoreError, match="malformed"):
            store.path(bad)
    assert digest("SHA256:" + "A" * 64) == "a" * 64
    assert list(store.iter_digests()) == [] and list(store.quarantine.iterdir()) == []
    with pytest.raises(StoreError, match="cannot read"):
        store.ingest_file(tmp_path / "absent")


def test_serve_time_check_is_a_stat_until_something_changes(store: BlobStore, tmp_path: Path) -> None:
    data = b"admitted bytes" * 1000
    source = tmp_path / "w.bin"
    source.write_bytes(data)
    record = store.ingest_file(source).record()
    quick = store.check(record.sha256, record, expected_size=len(data))
    assert quick.ok and not quick.rehashed
    unknown = store.check(record.sha256, None, expected_size=len(data))  # nothing recorded: full hash
    assert unknown.ok and unknown.rehashed
    path = store.path(record.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(b"X" + data[1:])  # same size, new mtime: re-hashed, found corrupt
    changed = store.check(record.sha256, record, expected_size=len(data))
    assert not changed.ok and changed.rehashed and "hash to" in (changed.problem or "")
    path.write_bytes(data + b"!")  # size differs: corrupt without reading
    grown = store.check(record.sha256, record, expected_size=len(data))
    assert not grown.ok and not grown.rehashed and "bytes, admitted as" in (grown.problem or "")
    path.write_bytes(data)  # restored: re-hash passes and gives a fresh record
    healed = store.check(record.sha256, record, expected_size=len(data))
    assert healed.ok and healed.rehashed and healed.record is not None
    path.unlink()
    assert store.check(record.sha256, record).missing


def test_adopt_moves_only_files_from_quarantine(store: BlobStore, tmp_path: Path) -> None:
    staged = store.quarantine_dir("intake-1") / "model.bin"
    staged.write_bytes(b"downloaded")
    blob = store.adopt(staged, expected_sha256=_sha(b"downloaded"))
    assert not staged.exists() and Path(blob.path).read_bytes() == b"downloaded"
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"x")
    with pytest.raises(StoreError, match="not inside the store's quarantine"):
        store.adopt(outside)
    for bad in ("../x", "a/b", "", ".hidden"):
        with pytest.raises(StoreError, match="invalid quarantine folder"):
            store.quarantine_dir(bad)


def test_ingest_memory_stays_flat(store: BlobStore, tmp_path: Path) -> None:
    import tracemalloc

    chunk = b"z" * (1024 * 1024)
    tracemalloc.start()
    blob = store.ingest_chunks(chunk for _ in range(64))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert blob.size == 64 * len(chunk)
    assert peak < 8 * 1024 * 1024  # 64 MiB through, a few chunks held at once at most
