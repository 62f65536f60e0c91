"""The real, unmodified huggingface_hub and transformers clients against the mirror on a loopback port."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from tests.mirror.helpers import recorded
from tests.mirror.served import COMMIT, REPO, Mirror, running_mirror, sha256

from weighbridge.core.registry import DecisionAction
from weighbridge.mirror import publish_folder

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mirror]:
    with running_mirror(tmp_path_factory.mktemp("mirror")) as served:
        yield served


def test_snapshot_download_is_byte_identical_at_the_recorded_commit(mirror: Mirror, tmp_path: Path) -> None:
    path = Path(snapshot_download(REPO, endpoint=mirror.url, cache_dir=tmp_path / "hf"))
    assert path.name == COMMIT  # the hf: source's pinned commit
    assert (tmp_path / "hf" / f"models--{REPO.replace('/', '--')}" / "refs" / "main").read_text() == COMMIT
    got = {p.relative_to(path).as_posix(): p for p in path.rglob("*") if p.is_file()}
    assert set(got) == {f.path for f in mirror.version.files}
    for item in mirror.version.files:
        assert sha256(got[item.path]) == item.sha256 == sha256(mirror.folder / item.path)


def test_hf_hub_download_and_the_api_views(mirror: Mirror, tmp_path: Path) -> None:
    for revision in ("main", COMMIT):
        path = hf_hub_download(
            REPO,
            "1_Pooling/config.json",
            revision=revision,
            endpoint=mirror.url,
            cache_dir=tmp_path / revision,
        )
        assert Path(path).read_bytes() == (mirror.folder / "1_Pooling" / "config.json").read_bytes()
    api = HfApi(endpoint=mirror.url)
    info = api.model_info(REPO, files_metadata=True)
    assert info.sha == COMMIT and info.id == REPO
    assert {s.rfilename for s in info.siblings or []} == {f.path for f in mirror.version.files}
    weights = next(s for s in info.siblings or [] if s.rfilename == "model.safetensors")
    assert weights.lfs is not None and weights.lfs.sha256 == sha256(mirror.folder / "model.safetensors")
    assert sorted(api.list_repo_files(REPO)) == sorted(f.path for f in mirror.version.files)
    top = {e.path: type(e).__name__ for e in api.list_repo_tree(REPO)}
    assert (
        top["1_Pooling"] == "RepoFolder"
        and top["config.json"] == "RepoFile"
        and "1_Pooling/config.json" not in top
    )
    inner = [e.path for e in api.list_repo_tree(REPO, path_in_repo="1_Pooling")]
    assert inner == ["1_Pooling/config.json"]
    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree(REPO, path_in_repo="additional_chat_templates"))


def test_head_headers_and_ranges(mirror: Mirror) -> None:
    weights = next(f for f in mirror.version.files if f.path == "model.safetensors")
    url = f"{mirror.url}/{REPO}/resolve/main/model.safetensors"
    head = httpx.head(url)
    assert head.status_code == 200
    assert head.headers["X-Repo-Commit"] == COMMIT
    assert head.headers["X-Linked-Etag"].strip('"') == weights.sha256 == head.headers["ETag"].strip('"')
    assert int(head.headers["X-Linked-Size"]) == weights.size == int(head.headers["Content-Length"])
    assert not [h for h in head.headers if h.lower().startswith("x-xet")]
    part = httpx.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.headers["Content-Range"] == f"bytes 100-199/{weights.size}"
    with open(mirror.folder / "model.safetensors", "rb") as handle:
        handle.seek(100)
        assert part.content == handle.read(100)
    tail = httpx.get(url, headers={"Range": f"bytes={weights.size - 10}-"})
    assert tail.status_code == 206 and len(tail.content) == 10
    assert httpx.get(url, headers={"Range": f"bytes={weights.size + 5}-"}).status_code == 416


@pytest.mark.slow
def test_transformers_from_pretrained_through_the_mirror(mirror: Mirror, tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import json
        from transformers import AutoConfig, AutoTokenizer
        config = AutoConfig.from_pretrained("REPO")
        tokenizer = AutoTokenizer.from_pretrained("REPO")
        print(json.dumps({"model_type": config.model_type, "hidden": config.hidden_size,
                          "ids": tokenizer("weighbridge mirror")["input_ids"]}))
    """).replace("REPO", REPO)
    out = _client(script, mirror.url, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert doc["model_type"] == "bert" and doc["hidden"] == 384 and doc["ids"][0] == 101
    snapshots = list((tmp_path / "hf" / "hub" / f"models--{REPO.replace('/', '--')}" / "snapshots").iterdir())
    assert [s.name for s in snapshots] == [COMMIT]
    for item in ("config.json", "tokenizer.json"):
        assert sha256(snapshots[0] / item) == sha256(mirror.folder / item)


def test_hf_download_cli(mirror: Mirror, tmp_path: Path) -> None:
    hf = Path(sys.executable).parent / "hf"
    if not hf.is_file():
        pytest.skip(f"no hf CLI next to {sys.executable}")
    out = _run([str(hf), "download", REPO, "--local-dir", str(tmp_path / "dl")], mirror.url, tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    for item in mirror.version.files:
        assert sha256(tmp_path / "dl" / item.path) == item.sha256
    recorded(mirror.registry, tmp_path / "held", "acme/cli-held", action=DecisionAction.REVOKE)
    refused = _run([str(hf), "download", "acme/cli-held"], mirror.url, tmp_path, debug=True)
    assert refused.returncode != 0
    assert "acme/cli-held@main: revoked: revoke by test" in refused.stdout + refused.stderr


def _client(script: str, endpoint: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a client in a fresh interpreter: huggingface_hub reads HF_ENDPOINT when it is imported."""
    return _run([sys.executable, "-c", script], endpoint, tmp_path)


def _run(
    command: list[str], endpoint: str, tmp_path: Path, *, debug: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE", "TRANSFORMERS"))}
    env.update(
        HF_ENDPOINT=endpoint,
        HF_HOME=str(tmp_path / "hf"),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        TRANSFORMERS_VERBOSITY="error",
        NO_PROXY="127.0.0.1",
        PYTHONPATH=os.pathsep.join([str(REPO_ROOT / "src"), env.get("PYTHONPATH", "")]),
    )
    if debug:  # the hf CLI shortens gated-repo errors to one generic line; its debug mode prints the server's
        env["HF_DEBUG"] = "1"
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=240, check=False)


def test_refused_pulls_reach_the_client_with_the_reason(mirror: Mirror, tmp_path: Path) -> None:
    reg = mirror.registry
    recorded(reg, tmp_path / "pending", "acme/pending", action=None)
    recorded(reg, tmp_path / "revoked", "acme/revoked", action=DecisionAction.APPROVE)
    publish_folder(reg, mirror.store, "acme/revoked", tmp_path / "revoked")
    assert Path(
        hf_hub_download("acme/revoked", "config.json", endpoint=mirror.url, cache_dir=tmp_path / "ok")
    ).is_file()
    reg.decide("acme/revoked", DecisionAction.REVOKE, actor="secteam", reason="publisher account compromised")
    recorded(reg, tmp_path / "rejected", "acme/rejected", action=DecisionAction.REJECT)

    cases = [
        ("acme/pending", GatedRepoError, "acme/pending@main: awaiting review: no policy"),
        (
            "acme/revoked",
            GatedRepoError,
            "acme/revoked@main: revoked: publisher account compromised (by secteam",
        ),
        ("acme/rejected", GatedRepoError, "acme/rejected@main: rejected: reject by test"),
        (
            "acme/unknown",
            RepositoryNotFoundError,
            "acme/unknown@main: not admitted: the registry holds no such",
        ),
    ]
    for repo, error, words in cases:
        with pytest.raises(error) as caught:
            hf_hub_download(repo, "config.json", endpoint=mirror.url, cache_dir=tmp_path / "c1")
        assert words in str(caught.value)
        with pytest.raises(error) as caught:
            snapshot_download(repo, endpoint=mirror.url, cache_dir=tmp_path / "c2")
        assert words in str(caught.value)
    with pytest.raises(RevisionNotFoundError, match="no such version"):
        hf_hub_download(REPO, "config.json", revision="v9.9", endpoint=mirror.url, cache_dir=tmp_path / "c3")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(REPO, "no-such-file.bin", endpoint=mirror.url, cache_dir=tmp_path / "c4")
    refused = reg.mirror.pulls(outcome=None)
    assert any(
        p.repo == "acme/revoked" and p.refusal is not None and p.refusal.value == "revoked" for p in refused
    )


@pytest.mark.slow
def test_the_reason_reaches_transformers_too(mirror: Mirror, tmp_path: Path) -> None:
    recorded(mirror.registry, tmp_path / "held", "acme/held", action=DecisionAction.QUARANTINE)
    script = textwrap.dedent("""
        from transformers import AutoConfig
        try:
            AutoConfig.from_pretrained("acme/held")
        except Exception as exc:
            print("ERROR", type(exc).__name__, exc)
    """)
    out = _client(script, mirror.url, tmp_path)
    assert "acme/held@main: quarantined: quarantine by test" in out.stdout, out.stdout + out.stderr[-2000:]


def _raw(url: str, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """A request with the path sent exactly as written (no client-side normalisation of ../ or %2e)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "path",
    [
        f"/{REPO}/resolve/main/../../../../etc/passwd",
        f"/{REPO}/resolve/main/%2e%2e/%2e%2e/etc/passwd",
        f"/{REPO}/resolve/main/1_Pooling%2F..%2F..%2Fconfig.json",
        f"/{REPO}/resolve/main/..%2fconfig.json",
        f"/{REPO}/resolve/main/%2Fetc%2Fpasswd",
        f"/{REPO}/resolve/..%2F..%2Fmain/config.json",
        f"/{REPO}/resolve/main%00/config.json",
        f"/{REPO}/resolve/main/config.json%00.txt",
        f"/{REPO}/resolve/main/%ff%fe",
        f"/{REPO}/resolve/main/a\\..\\config.json",
        "/..%2F..%2Fetc/resolve/main/passwd",
        "/sentence-transformers/..%2F..%2F/resolve/main/config.json",
        f"/api/models/{REPO}/revision/..%2F..",
        f"/api/models/{REPO}/tree/main/..%2F..",
        "/api/models/../../etc/revision/main",
        f"/{REPO}/resolve/main/",
        f"/{REPO}/resolve/",
        "/api/models/",
    ],
)
def test_traversal_and_malformed_paths_are_refused(mirror: Mirror, path: str) -> None:
    status, headers, body = _raw(mirror.url, path)
    assert status in (400, 403, 404), (status, body[:200])
    assert b"root:" not in body and b"BertModel" not in body
    assert headers.get("x-error-message", "").startswith("weighbridge mirror: ") or status == 404


def test_blob_corrupted_after_admission_is_withheld_and_flagged(mirror: Mirror, tmp_path: Path) -> None:
    reg = mirror.registry
    version = recorded(reg, tmp_path / "rot", "acme/rot")
    publish_folder(reg, mirror.store, "acme/rot", tmp_path / "rot")
    assert Path(
        hf_hub_download("acme/rot", "weights/model.bin", endpoint=mirror.url, cache_dir=tmp_path / "before")
    ).is_file()
    sha = next(f.sha256 for f in version.files if f.path == "weights/model.bin")
    blob = mirror.store.path(sha)
    os.chmod(blob, 0o644)
    data = bytearray(blob.read_bytes())
    data[5] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(GatedRepoError) as caught:
        hf_hub_download("acme/rot", "weights/model.bin", endpoint=mirror.url, cache_dir=tmp_path / "after")
    assert "blob corrupt" in str(caught.value) and "no longer match" in str(caught.value)
    assert sha in reg.mirror.flagged([sha])
    with pytest.raises(GatedRepoError, match="blob corrupt"):  # the whole version is withheld now
        hf_hub_download("acme/rot", "config.json", endpoint=mirror.url, cache_dir=tmp_path / "other")
    status, _, body = _raw(mirror.url, "/acme/rot/resolve/main/weights/model.bin")
    assert status == 403 and bytes(data) not in body


def test_tokens_when_anonymous_pulls_are_off(tmp_path: Path) -> None:
    with running_mirror(tmp_path, allow_anonymous_pull=False) as served:
        secret = served.registry.create_token("ci-puller", ["pull"])
        with pytest.raises(HfHubHTTPError, match="needs a token") as caught:
            hf_hub_download(REPO, "config.json", endpoint=served.url, cache_dir=tmp_path / "a", token=False)
        assert caught.value.response.status_code == 401
        with pytest.raises(HfHubHTTPError, match="needs a token"):
            snapshot_download(REPO, endpoint=served.url, cache_dir=tmp_path / "a2", token=False)
        with pytest.raises(HfHubHTTPError, match="unknown or revoked token"):
            hf_hub_download(
                REPO, "config.json", endpoint=served.url, cache_dir=tmp_path / "b", token="wbt_nope"
            )
        path = hf_hub_download(
            REPO, "config.json", endpoint=served.url, cache_dir=tmp_path / "c", token=secret
        )
        assert Path(path).read_bytes() == (served.folder / "config.json").read_bytes()
        pulls = served.registry.mirror.pulls(outcome=None)
        assert any(p.user == "ci-puller" and p.outcome.value == "served" for p in pulls)


def test_another_weighbridge_mirror_is_an_upstream(mirror: Mirror, tmp_path: Path) -> None:
    from tests.registry.reports import LENIENT

    from weighbridge.core.mirror import IntakeState, ServedVersion
    from weighbridge.mirror import BlobStore, Gate
    from weighbridge.mirror.intake import IntakeError, QuarantinePublisher, intake
    from weighbridge.mirror.upstream import Limits, Upstream
    from weighbridge.registry import open_registry

    policy = tmp_path / "lenient.yaml"
    policy.write_text(LENIENT, encoding="utf-8")
    store = BlobStore(tmp_path / "edge-store")
    with open_registry(str(tmp_path / "edge.db")) as edge, Upstream(mirror.url, limits=Limits()) as upstream:
        result = intake(edge, store, f"hf:{REPO}", upstream=upstream, actor="edge", policy_path=policy)
        assert result.record.key == f"hf:{REPO}@{COMMIT}"  # the same commit as the upstream mirror serves
        if result.record.state is IntakeState.WAITING:
            edge.decide(REPO, DecisionAction.APPROVE, actor="alice", reason="reviewed")
        served = Gate(edge, store, on_missing=QuarantinePublisher(edge, store)).resolve(REPO)
        assert isinstance(served, ServedVersion) and served.commit == COMMIT
        for item in served.files:
            assert sha256(store.path(item.sha256)) == sha256(mirror.folder / item.path)
        mirror.registry.decide("acme/revoked", DecisionAction.REVOKE, actor="secteam", reason="still revoked")
        with pytest.raises(IntakeError, match="revoked"):
            intake(edge, store, "hf:acme/revoked", upstream=upstream, actor="edge", policy_path=policy)


def test_an_interrupted_download_resumes_with_a_range(mirror: Mirror, tmp_path: Path) -> None:
    """huggingface_hub's downloader resumes a broken transfer with ``Range: bytes=N-`` (its retry path)."""
    from huggingface_hub.file_download import http_get

    weights = next(f for f in mirror.version.files if f.path == "model.safetensors")
    before = mirror.registry.mirror.pull_counts().get((REPO, mirror.version.manifest_digest), 0)
    target = tmp_path / "model.safetensors"
    with open(mirror.folder / "model.safetensors", "rb") as source, open(target, "wb") as out:
        out.write(source.read(1_000_000))
        http_get(
            f"{mirror.url}/{REPO}/resolve/{COMMIT}/model.safetensors",
            out,
            resume_size=1_000_000,
            expected_size=weights.size,
        )
    assert sha256(target) == weights.sha256
    after = mirror.registry.mirror.pull_counts().get((REPO, mirror.version.manifest_digest), 0)
    assert after == before  # a resumed download is not counted as a new pull
