"""skopeo (Debian's, a real OCI client) copies an admitted Ollama model from a running mirror on loopback and
fails, with the mirror's reason, on a refused one. Skipped without skopeo; a failure under CI, which installs it
(tools/ci_services.sh)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.mirror.oci_helpers import OllamaModel, oci_app, ollama_model, record_ollama
from tests.web.server import serve_in_thread

from weighbridge.core.registry import DecisionAction
from weighbridge.mirror import BlobStore
from weighbridge.registry import Registry, open_registry


def _skopeo() -> str:
    found = shutil.which("skopeo")
    if found is None:
        message = (
            "skopeo is not installed: apt-get install skopeo (tools/ci_services.sh does) to run these tests"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{message} (CI is set, so the skopeo tests must run)")
        pytest.skip(message)
    return found


@pytest.fixture
def reg(tmp_path: Path) -> Iterator[Registry]:
    with open_registry(f"sqlite:///{tmp_path / 'registry.db'}") as registry:
        yield registry


@pytest.fixture
def mirror(reg: Registry, store: BlobStore) -> Iterator[str]:
    with serve_in_thread(oci_app(reg, store)) as url:
        yield url.removeprefix("http://")


def _copy(skopeo: str, host: str, ref: str, dest: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(dest.parent),
        "XDG_RUNTIME_DIR": str(dest.parent),
    }
    policy = dest.parent / "policy.json"  # accept anything: the mirror, not a signature policy, is under test
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    return subprocess.run(
        [
            skopeo,
            "--policy",
            str(policy),
            "copy",
            "--src-tls-verify=false",
            "--retry-times",
            "0",
            *extra,
            f"docker://{host}/{ref}",
            f"dir:{dest}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_skopeo_copies_an_admitted_ollama_model_byte_for_byte(
    reg: Registry, store: BlobStore, mirror: str, tmp_path: Path
) -> None:
    skopeo = _skopeo()
    model: OllamaModel = ollama_model()
    record_ollama(reg, store, tmp_path / "m", "ollama:smollm2:135m", model)
    out = tmp_path / "copy"
    done = _copy(skopeo, mirror, "library/smollm2:135m", out)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_bytes())
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    original = json.loads(model.manifest)
    assert manifest["layers"] == original["layers"] and manifest["config"] == original["config"]
    for data in model.files.values():
        sha = hashlib.sha256(data).hexdigest()
        assert (out / sha).read_bytes() == data


def test_skopeo_fails_on_a_refused_model_with_the_reason(
    reg: Registry, store: BlobStore, mirror: str, tmp_path: Path
) -> None:
    skopeo = _skopeo()
    record_ollama(reg, store, tmp_path / "m", "ollama:acme/coder:7b", ollama_model(1))
    reg.decide("ollama:acme/coder:7b", DecisionAction.REVOKE, actor="bob", reason="licence forbids our use")
    refused = _copy(skopeo, mirror, "acme/coder:7b", tmp_path / "refused")
    assert refused.returncode != 0
    assert "acme/coder:7b: revoked: licence forbids our use" in refused.stderr
    absent = _copy(skopeo, mirror, "acme/absent:latest", tmp_path / "absent")
    assert absent.returncode != 0 and "acme/absent:latest: not admitted" in absent.stderr


def test_skopeo_with_a_token_when_anonymous_pulls_are_off(
    reg: Registry, store: BlobStore, tmp_path: Path
) -> None:
    skopeo = _skopeo()
    record_ollama(reg, store, tmp_path / "m", "ollama:smollm2:135m", ollama_model())
    with serve_in_thread(oci_app(reg, store, allow_anonymous_pull=False)) as url:
        host = url.removeprefix("http://")
        anonymous = _copy(skopeo, host, "library/smollm2:135m", tmp_path / "anon")
        assert anonymous.returncode != 0 and "send a Weighbridge token as the password" in anonymous.stderr
        secret = reg.create_token("puller", ["pull"])
        wrong = _copy(skopeo, host, "library/smollm2:135m", tmp_path / "wrong", "--src-creds", "me:wbt_wrong")
        assert wrong.returncode != 0 and "unknown or revoked token" in wrong.stderr
        for how in (("--src-registry-token", secret), ("--src-creds", f"me:{secret}")):
            done = _copy(skopeo, host, "library/smollm2:135m", tmp_path / how[0].strip("-"), *how)
            assert done.returncode == 0, done.stderr


def test_sixteen_concurrent_part_downloads_like_ollama(
    reg: Registry, store: BlobStore, mirror: str, tmp_path: Path
) -> None:
    """Ollama fetches a blob in up to 16 ranged parts at once; each part is answered from the checked blob."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    model = ollama_model(12)
    record_ollama(reg, store, tmp_path / "m", "ollama:smollm2:135m", model)
    gguf = model.files["model.gguf"]
    url = f"http://{mirror}/v2/library/smollm2/blobs/sha256:{hashlib.sha256(gguf).hexdigest()}"
    step = -(-len(gguf) // 16)

    def part(start: int) -> bytes:
        end = min(len(gguf), start + step) - 1
        answer = httpx.get(url, headers={"Range": f"bytes={start}-{end}"}, timeout=30)
        assert answer.status_code == 206
        return answer.content

    with ThreadPoolExecutor(16) as pool:
        parts = list(pool.map(part, range(0, len(gguf), step)))
    assert b"".join(parts) == gguf


@pytest.mark.slow
def test_skopeo_copies_the_real_smollm2_gguf_packaged_as_an_ollama_model(
    reg: Registry, store: BlobStore, mirror: str, tmp_path: Path
) -> None:
    """The real SmolLM2 GGUF (98 MB), admitted after a real inspection, served as library/smollm2-135m:latest."""
    from tests.artifacts import smollm2_gguf

    from weighbridge.mirror import publish_folder

    skopeo = _skopeo()
    gguf = smollm2_gguf()
    folder = tmp_path / "smollm2-135m"
    folder.mkdir()
    (folder / gguf.name).symlink_to(gguf)
    # named as the docstring says (by default the registry names it from the GGUF's general.name, mixed case,
    # which an OCI reference cannot carry)
    version, _ = reg.admit(str(folder), policy_path=None, actor="tester", name="smollm2-135m")
    reg.decide(version.model, DecisionAction.APPROVE, actor="alice", reason="reviewed")
    publish_folder(reg, store, version.model, folder)
    out = tmp_path / "copy"
    done = _copy(skopeo, mirror, f"library/{version.model}:latest", out)
    assert done.returncode == 0, done.stderr
    layers = json.loads((out / "manifest.json").read_bytes())["layers"]
    assert [layer["mediaType"] for layer in layers] == ["application/vnd.ollama.image.model"]
    sha = layers[0]["digest"].removeprefix("sha256:")
    assert sha == next(f.sha256 for f in version.files if f.path == gguf.name)
    digest = hashlib.sha256()
    with open(out / sha, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    assert digest.hexdigest() == sha and (out / sha).stat().st_size == gguf.stat().st_size
