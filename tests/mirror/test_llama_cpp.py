from __future__ import annotations

from weighbridge.core.mirror import ServedFile, ServedVersion
from weighbridge.mirror.llama_cpp import is_llama_cpp, llama_cpp_manifest


def _served(*paths: str) -> ServedVersion:
    return ServedVersion(model="org/m-GGUF", repo_id="org/m-GGUF", commit="a" * 40, version_id=1,
                         manifest_digest="b" * 64, source="hf:org/m-GGUF", revision=None,
                         files=tuple(ServedFile(p, 10, "c" * 64) for p in paths))


def test_manifest_picks_the_quantization_llama_cpp_asks_for() -> None:
    served = _served("README.md", "m-Q8_0.gguf", "m-Q4_K_M.gguf", "mmproj-m-f16.gguf",
                     "BF16/m-BF16-00002-of-00002.gguf", "BF16/m-BF16-00001-of-00002.gguf")
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
