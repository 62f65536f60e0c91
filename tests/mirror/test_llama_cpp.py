from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.mirror.helpers import recorded
from tests.mirror.oci_helpers import oci_app, tiny_gguf

from weighbridge.core.mirror import ServedFile, ServedVersion
from weighbridge.core.registry import DecisionAction
from weighbridge.mirror import BlobStore, publish_folder
from weighbridge.mirror.llama_cpp import is_llama_cpp, llama_cpp_manifest
from weighbridge.registry import Registry, open_registry


def _served(*paths: str) -> ServedVersion:
    return ServedVersion(
        model="org/m-GGUF",
        repo_id="org/m-GGUF",
        commit="a" * 40,
        version_id=1,
        manifest_digest="b" * 64,
        source="hf:org/m-GGUF",
        revision=None,
        files=tuple(ServedFile(p, 10, "c" * 64) for p in paths),
    )


def test_manifest_picks_the_quantization_llama_cpp_asks_for() -> None:
    served = _served(
        "README.md",
        "m-Q8_0.gguf",
        "m-Q4_K_M.gguf",
        "mmproj-m-f16.gguf",
        "BF16/m-BF16-00002-of-00002.gguf",
        "BF16/m-BF16-00001-of-00002.gguf",
    )
    latest = llama_cpp_manifest(served, "latest")
    assert latest is not None and latest["ggufFile"]["rfilename"] == "m-Q4_K_M.gguf"
    assert latest["mmprojFile"]["rfilename"] == "mmproj-m-f16.gguf"
    q8 = llama_cpp_manifest(served, "q8_0")
    assert q8 is not None and q8["ggufFile"]["rfilename"] == "m-Q8_0.gguf"
    split = llama_cpp_manifest(served, "BF16")
    assert split is not None and split["ggufFile"]["rfilename"] == "BF16/m-BF16-00001-of-00002.gguf"
    assert llama_cpp_manifest(served, "Q2_K") is None
    assert llama_cpp_manifest(_served("config.json", "model.safetensors"), "latest") is None
    assert llama_cpp_manifest(_served("m-Q4.gguf"), "latest")["ggufFile"]["rfilename"] == "m-Q4.gguf"  # type: ignore[index]


def test_user_agent_detection() -> None:
    assert is_llama_cpp("llama-cpp", "application/json")
    assert not is_llama_cpp("llama-cpp", "application/vnd.oci.image.manifest.v1+json")
    assert not is_llama_cpp("containers/skopeo", "application/json")
    assert not is_llama_cpp(None, None)


# --- through the /v2/ router, as llama.cpp's common_get_hf_file asks ---

LLAMA_HEADERS = {"User-Agent": "llama-cpp", "Accept": "application/json"}
# llama.cpp reads the file names out of the body with these regexes (common_get_hf_file), not a JSON parser
GGUF_FILE = re.compile(r'"ggufFile"[\s\S]*?"rfilename"\s*:\s*"([^"]+)"')
MMPROJ_FILE = re.compile(r'"mmprojFile"[\s\S]*?"rfilename"\s*:\s*"([^"]+)"')


@pytest.fixture
def reg(tmp_path: Path) -> Iterator[Registry]:
    with open_registry(f"sqlite:///{tmp_path / 'registry.db'}") as registry:
        yield registry


@pytest.fixture
def client(reg: Registry, store: BlobStore, tmp_path: Path) -> TestClient:
    files = {
        "tiny-Q8_0.gguf": tiny_gguf(1),
        "tiny-Q4_K_M.gguf": tiny_gguf(2),
        "mmproj-tiny-f16.gguf": tiny_gguf(3),
        "README.md": b"# tiny\n",
    }
    recorded(reg, tmp_path / "good", "acme/tiny-GGUF", files)
    publish_folder(reg, store, "acme/tiny-GGUF", tmp_path / "good")
    recorded(
        reg,
        tmp_path / "bad",
        "acme/bad-GGUF",
        {"bad-Q4_K_M.gguf": tiny_gguf(4)},
        action=DecisionAction.REJECT,
    )
    recorded(reg, tmp_path / "plain", "acme/plain", {"config.json": b"{}"})
    publish_folder(reg, store, "acme/plain", tmp_path / "plain")
    return TestClient(oci_app(reg, store))


def test_llama_cpp_gets_its_manifest_and_downloads_the_file_through_resolve(
    client: TestClient, tmp_path: Path
) -> None:
    answer = client.get("/v2/acme/tiny-GGUF/manifests/latest", headers=LLAMA_HEADERS)
    assert answer.status_code == 200, answer.text
    found = GGUF_FILE.search(answer.text)
    projector = MMPROJ_FILE.search(answer.text)
    assert found is not None and found.group(1) == "tiny-Q4_K_M.gguf"
    assert projector is not None and projector.group(1) == "mmproj-tiny-f16.gguf"
    q8 = client.get("/v2/acme/tiny-GGUF/manifests/Q8_0", headers=LLAMA_HEADERS)
    assert q8.status_code == 200 and q8.json()["ggufFile"]["rfilename"] == "tiny-Q8_0.gguf"
    # then: {endpoint}{repo}/resolve/main/{file}
    data = client.get(f"/acme/tiny-GGUF/resolve/main/{found.group(1)}", headers={"User-Agent": "llama-cpp"})
    assert data.status_code == 200 and data.content == (tmp_path / "good" / "tiny-Q4_K_M.gguf").read_bytes()


def test_llama_cpp_refusals_are_one_line_json_it_prints(client: TestClient) -> None:
    # llama.cpp prints "error from HF API, response code: N, data: <body>" for anything but 200 and 401
    for path, status, words in (
        ("/v2/acme/bad-GGUF/manifests/latest", 403, "acme/bad-GGUF@main: rejected: reject by test"),
        ("/v2/acme/nothing-GGUF/manifests/latest", 404, "acme/nothing-GGUF"),
        ("/v2/acme/tiny-GGUF/manifests/Q2_K", 404, "no GGUF file for the tag 'Q2_K'"),
        ("/v2/acme/plain/manifests/latest", 404, "no GGUF file"),
        ("/v2/acme/tiny-GGUF/manifests/Q4%3Brm", 400, "not a quantization tag"),
        ("/v2/a/b/c/manifests/latest", 400, "expected <user>/<model>[:quant]"),
    ):
        answer = client.get(path, headers=LLAMA_HEADERS)
        assert answer.status_code == status, (path, answer.text)
        assert set(answer.json()) == {"error"} and "\n" not in answer.text
        assert (
            answer.json()["error"].startswith("weighbridge mirror: ") and words in answer.json()["error"]
        ), path


def test_oci_clients_on_the_same_path_keep_the_oci_answer(client: TestClient) -> None:
    oci = client.get(
        "/v2/acme/bad-GGUF/manifests/latest",
        headers={"User-Agent": "skopeo", "Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    assert oci.status_code == 403 and "errors" in oci.json()
    ua_only = client.get(
        "/v2/acme/bad-GGUF/manifests/latest",
        headers={"User-Agent": "llama-cpp", "Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    assert "errors" in ua_only.json()


def test_llama_cpp_without_a_token_on_a_closed_mirror_gets_401(
    reg: Registry, store: BlobStore, client: TestClient
) -> None:
    closed = TestClient(oci_app(reg, store, allow_anonymous_pull=False))
    answer = closed.get("/v2/acme/tiny-GGUF/manifests/latest", headers=LLAMA_HEADERS)
    assert answer.status_code == 401 and "needs a token" in answer.json()["error"]
