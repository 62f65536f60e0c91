"""hf:org/name[@revision] from a fake Hugging Face cache laid out exactly as huggingface_hub writes it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import huggingface_hub
import pytest

from weighbridge.core.findings import Check, Severity, WeighbridgeError
from weighbridge.core.report import TargetKind
from weighbridge.sources import hf, resolve

COMMIT = "a" * 8 + "0123456789abcdef0123456789abcdef"
OTHER = "b" * 40


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class FakeCache:
    """Writes ``models--org--name`` with refs, blobs and relative snapshot links, like huggingface_hub."""

    def __init__(self, root: Path, repo_id: str = "org/name") -> None:
        self.root = root
        self.repo = root / ("models--" + repo_id.replace("/", "--"))
        (self.repo / "blobs").mkdir(parents=True, exist_ok=True)
        (self.repo / "refs").mkdir(exist_ok=True)

    def ref(self, name: str, commit: str) -> None:
        path = self.repo / "refs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(commit)

    def add(self, commit: str, rel: str, data: bytes, *, lfs: bool) -> Path:
        name = hashlib.sha256(data).hexdigest() if lfs else git_sha1(data)
        blob = self.repo / "blobs" / name
        blob.write_bytes(data)
        return self.link(commit, rel, name)

    def link(self, commit: str, rel: str, blob_name: str) -> Path:
        link = self.snapshot(commit) / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        up = "../" * (rel.count("/") + 2)
        link.symlink_to(f"{up}blobs/{blob_name}")
        return link

    def snapshot(self, commit: str) -> Path:
        path = self.repo / "snapshots" / commit
        path.mkdir(parents=True, exist_ok=True)
        return path


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCache:
    root = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(root))

    def no_network(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("the network must not be touched without download=True")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", no_network)
    fake = FakeCache(root)
    fake.ref("main", COMMIT)
    fake.add(COMMIT, "config.json", b'{"model_type": "bert"}', lfs=False)
    fake.add(COMMIT, "model.safetensors", b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ", lfs=True)
    fake.add(COMMIT, "1_Pooling/config.json", b'{"pooling": "mean"}', lfs=False)
    return fake


def test_main_branch_resolves_offline(cache: FakeCache) -> None:
    snap = resolve("hf:org/name")
    snapshot_dir = cache.snapshot(COMMIT)
    assert snap.target.kind is TargetKind.HF
    assert snap.target.input == "hf:org/name"
    assert snap.target.revision == COMMIT
    assert snap.target.path == str(snapshot_dir)
    assert snap.root == str(snapshot_dir)
    assert [f.rel for f in snap.files] == ["1_Pooling/config.json", "config.json", "model.safetensors"]
    assert snap.notes == ()
    weights = snap.files[2]
    assert weights.abspath == str(snapshot_dir / "model.safetensors")
    assert os.path.islink(weights.abspath)
    data = Path(weights.abspath).read_bytes()
    assert weights.expected_sha256 == hashlib.sha256(data).hexdigest()
    assert weights.digest_source == "hf-cache blob name"
    assert snap.files[1].expected_sha256 is None  # git blobs carry a SHA-1, checked at resolve time


def test_branch_and_tag_through_refs(cache: FakeCache) -> None:
    cache.ref("dev", OTHER)
    cache.ref("v1.0", OTHER)
    cache.add(OTHER, "model.gguf", b"GGUF", lfs=True)
    for rev in ("dev", "v1.0"):
        snap = resolve(f"hf:org/name@{rev}")
        assert snap.target.revision == OTHER
        assert [f.rel for f in snap.files] == ["model.gguf"]


def test_pull_request_ref_with_slashes(cache: FakeCache) -> None:
    cache.ref("refs/pr/1", OTHER)
    cache.add(OTHER, "model.gguf", b"GGUF", lfs=True)
    assert resolve("hf:org/name@refs/pr/1").target.revision == OTHER


@pytest.mark.parametrize("rev", [COMMIT, COMMIT[:7], COMMIT[:12], COMMIT[:10].upper()])
def test_full_and_abbreviated_commits(cache: FakeCache, rev: str) -> None:
    snap = resolve(f"hf:org/name@{rev}")
    assert snap.target.revision == COMMIT
    assert len(snap.files) == 3


def test_commit_without_ref_is_found_in_snapshots(cache: FakeCache) -> None:
    cache.add(OTHER, "weights.bin", b"PK", lfs=True)
    assert resolve(f"hf:org/name@{OTHER[:9]}").target.revision == OTHER


def test_ambiguous_abbreviation_is_an_error(cache: FakeCache) -> None:
    cache.snapshot(COMMIT[:8] + "f" * 32)
    with pytest.raises(WeighbridgeError, match="ambiguous"):
        resolve(f"hf:org/name@{COMMIT[:8]}")


def test_abbreviation_shorter_than_seven_is_not_looked_up(cache: FakeCache) -> None:
    with pytest.raises(WeighbridgeError, match="not in the local Hugging Face cache"):
        resolve(f"hf:org/name@{COMMIT[:6]}")


def test_not_cached_message(tmp_path: Path, cache: FakeCache) -> None:
    expected = (
        f"hf:other/model@main is not in the local Hugging Face cache ({cache.root}); "
        "pass --download to fetch it"
    )
    with pytest.raises(WeighbridgeError) as err:
        resolve("hf:other/model")
    assert str(err.value) == expected


def test_missing_ref_is_not_cached(cache: FakeCache) -> None:
    with pytest.raises(WeighbridgeError, match=r"hf:org/name@release is not in the local Hugging Face cache"):
        resolve("hf:org/name@release")


def test_ref_to_absent_snapshot_is_not_cached(cache: FakeCache) -> None:
    cache.ref("stale", OTHER)
    with pytest.raises(WeighbridgeError, match="@stale is not in the local"):
        resolve("hf:org/name@stale")


def test_corrupt_ref_is_an_error(cache: FakeCache) -> None:
    cache.ref("broken", "not a commit\n")
    with pytest.raises(WeighbridgeError, match="does not hold a commit hash"):
        resolve("hf:org/name@broken")


@pytest.mark.parametrize(
    "spec",
    [
        "hf:",
        "hf:a/b/c",
        "hf:../etc",
        "hf:org/..",
        "hf:org/na--me",
        "hf:org/name@",
        "hf:org/name@../../x",
        "hf:org/name@a//b",
        "hf:/name",
    ],
)
def test_bad_specs(cache: FakeCache, spec: str) -> None:
    with pytest.raises(WeighbridgeError, match="not a"):
        resolve(spec)


def test_repo_without_organisation(cache: FakeCache) -> None:
    legacy = FakeCache(cache.root, "gpt2")
    legacy.ref("main", OTHER)
    legacy.add(OTHER, "pytorch_model.bin", b"PK\x03\x04", lfs=True)
    snap = resolve("hf:gpt2")
    assert [f.rel for f in snap.files] == ["pytorch_model.bin"]


def test_tampered_git_blob_is_critical(cache: FakeCache) -> None:
    (cache.snapshot(COMMIT) / "config.json").write_bytes(b'{"auto_map": {"AutoModel": "evil.Model"}}')
    snap = resolve("hf:org/name")
    assert [(n.rule, n.path, n.severity) for n in snap.notes] == [
        ("WB-SRC-010", "config.json", Severity.CRITICAL)
    ]
    assert "config.json" in [f.rel for f in snap.files]  # still scanned
    assert snap.notes[0].evidence is not None and snap.notes[0].evidence.startswith("expected ")


def test_tampered_lfs_blob_keeps_the_claimed_digest(cache: FakeCache) -> None:
    link = cache.snapshot(COMMIT) / "model.safetensors"
    claimed = os.path.basename(os.readlink(link))
    Path(link).write_bytes(b"tampered")
    snap = resolve("hf:org/name")
    weights = next(f for f in snap.files if f.rel == "model.safetensors")
    assert weights.expected_sha256 == claimed
    assert hashlib.sha256(b"tampered").hexdigest() != claimed
    assert snap.notes == ()  # the engine compares while it hashes


def test_large_git_blob_is_not_rehashed(cache: FakeCache, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hf, "GIT_VERIFY_LIMIT", 10)
    snap = resolve("hf:org/name")
    assert {(n.rule, n.severity) for n in snap.notes} == {("WB-SRC-014", Severity.INFO)}
    assert sorted(n.path for n in snap.notes) == ["1_Pooling/config.json", "config.json"]


def test_missing_blob_is_critical_and_not_listed(cache: FakeCache) -> None:
    cache.link(COMMIT, "tokenizer.json", "c" * 64)
    snap = resolve("hf:org/name")
    assert "tokenizer.json" not in [f.rel for f in snap.files]
    assert [(n.rule, n.path, n.severity) for n in snap.notes] == [
        ("WB-SRC-011", "tokenizer.json", Severity.CRITICAL)
    ]


def test_link_leaving_the_blob_store(cache: FakeCache, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.pkl"
    elsewhere.write_bytes(b"\x80\x04N.")
    (cache.snapshot(COMMIT) / "extra.pkl").symlink_to(elsewhere)
    (cache.snapshot(COMMIT) / "gone.pkl").symlink_to(tmp_path / "gone.pkl")
    snap = resolve("hf:org/name")
    extra = next(f for f in snap.files if f.rel == "extra.pkl")
    assert extra.expected_sha256 is None
    assert "gone.pkl" not in [f.rel for f in snap.files]
    assert [(n.rule, n.path, n.severity) for n in snap.notes] == [
        ("WB-SRC-012", "extra.pkl", Severity.HIGH),
        ("WB-SRC-012", "gone.pkl", Severity.HIGH),
    ]


def test_plain_file_in_snapshot(cache: FakeCache) -> None:
    (cache.snapshot(COMMIT) / "README.md").write_text("# hi")
    snap = resolve("hf:org/name")
    readme = next(f for f in snap.files if f.rel == "README.md")
    assert readme.expected_sha256 is None
    assert [(n.rule, n.severity) for n in snap.notes] == [("WB-SRC-015", Severity.LOW)]


def test_blob_not_named_by_digest(cache: FakeCache) -> None:
    (cache.repo / "blobs" / "weird").write_bytes(b"x")
    cache.link(COMMIT, "weird.bin", "weird")
    snap = resolve("hf:org/name")
    assert "weird.bin" in [f.rel for f in snap.files]
    assert [(n.rule, n.path) for n in snap.notes] == [("WB-SRC-013", "weird.bin")]


def test_fifo_blob_is_never_listed(cache: FakeCache) -> None:
    os.mkfifo(cache.repo / "blobs" / ("d" * 64))
    cache.link(COMMIT, "model-2.safetensors", "d" * 64)
    snap = resolve("hf:org/name")
    assert "model-2.safetensors" not in [f.rel for f in snap.files]
    assert [(n.rule, n.path) for n in snap.notes] == [("WB-SRC-003", "model-2.safetensors")]


def test_cache_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert hf.hub_cache_dir() == tmp_path / ".cache" / "huggingface" / "hub"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hf.hub_cache_dir() == tmp_path / "xdg" / "huggingface" / "hub"
    monkeypatch.setenv("HF_HOME", "~/hfhome")
    assert hf.hub_cache_dir() == tmp_path / "hfhome" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "direct"))
    assert hf.hub_cache_dir() == tmp_path / "direct"


def test_cache_under_hf_home_resolves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    fake = FakeCache(tmp_path / "home" / "hub")
    fake.ref("main", COMMIT)
    fake.add(COMMIT, "model.gguf", b"GGUF", lfs=True)
    assert [f.rel for f in resolve("hf:org/name").files] == ["model.gguf"]


def test_download_fetches_then_resolves_from_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    calls: list[tuple[str, dict[str, Any]]] = []

    def fake_download(repo_id: str, **kwargs: Any) -> str:
        calls.append((repo_id, kwargs))
        fake = FakeCache(root)
        fake.ref("v2", OTHER)
        fake.add(OTHER, "model.safetensors", b"weights", lfs=True)
        return str(fake.snapshot(OTHER))

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_download)
    snap = resolve("hf:org/name@v2", download=True)
    assert calls == [("org/name", {"revision": "v2", "cache_dir": str(root)})]
    assert snap.target.revision == OTHER
    assert [f.rel for f in snap.files] == ["model.safetensors"]


def test_download_failure_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))

    def failing(repo_id: str, **kwargs: Any) -> str:
        raise OSError("Repository Not Found for url\nmore detail")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", failing)
    with pytest.raises(WeighbridgeError) as err:
        resolve("hf:org/name", download=True)
    assert str(err.value) == "could not download hf:org/name@main: Repository Not Found for url"


def test_scan_reports_tampered_blobs_as_critical(cache: FakeCache) -> None:
    import weighbridge

    clean = weighbridge.scan("hf:org/name")
    assert [f for f in clean.findings if f.check is Check.INTEGRITY] == []
    assert [r.path for r in clean.files] == ["1_Pooling/config.json", "config.json", "model.safetensors"]

    (cache.snapshot(COMMIT) / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}  evil")
    (cache.snapshot(COMMIT) / "config.json").write_bytes(b'{"model_type": "evil"}')
    report = weighbridge.scan("hf:org/name")
    critical = {
        (f.path, f.rule)
        for f in report.findings
        if f.check is Check.INTEGRITY and f.severity is Severity.CRITICAL
    }
    assert ("config.json", "WB-SRC-010") in critical  # git blob SHA-1, checked while resolving
    assert any(path == "model.safetensors" for path, _ in critical)  # LFS SHA-256, checked while hashing
    assert report.target.revision == COMMIT
