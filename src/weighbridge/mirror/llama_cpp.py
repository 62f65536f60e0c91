"""What llama.cpp's ``-hf user/model[:quant]`` asks a Hugging Face endpoint before downloading: the
"manifest" of a GGUF repo, which names the GGUF file (and a multimodal projector) for a quantization tag.

llama.cpp sends ``GET {MODEL_ENDPOINT}v2/{user}/{model}/manifests/{tag}`` with ``Accept: application/json``
and ``User-Agent: llama-cpp``, reads ``ggufFile.rfilename`` (and ``mmprojFile.rfilename``), then fetches the
files through ``/{repo}/resolve/main/{file}``. ``/v2/`` is also the OCI distribution prefix, so the router
that owns ``/v2/`` answers this shape for that user agent with ``llama_cpp_manifest`` over the gate's served
version (a refusal is the gate's, as for every other request).
"""

from __future__ import annotations

import re
from typing import Any

from ..core.mirror import ServedFile, ServedVersion

PREFERRED = ("Q4_K_M", "Q4_0", "Q4")  # the quantizations llama.cpp asks for first when the tag is "latest"


def is_llama_cpp(user_agent: str | None, accept: str | None) -> bool:
    """llama.cpp's manifest request: its user agent asking for plain JSON (an OCI client asks for OCI types)."""
    return (
        bool(user_agent and user_agent.lower().startswith("llama-cpp"))
        and "application/json" in (accept or "").lower()
    )


def _entry(item: ServedFile) -> dict[str, Any]:
    return {"rfilename": item.path, "size": item.size, "lfs": {"sha256": item.sha256, "size": item.size}}


def _matches(path: str, tag: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return re.search(rf"(^|[-_.]){re.escape(tag)}([-_.]|$)", name, re.IGNORECASE) is not None


def llama_cpp_manifest(served: ServedVersion, tag: str) -> dict[str, Any] | None:
    """``{"ggufFile": …, "mmprojFile": …}`` for ``tag`` ("latest" or a quantization such as ``Q8_0``), or
    ``None`` when the version holds no GGUF file for it. Split models name their first shard."""
    ggufs = sorted((f for f in served.files if f.path.lower().endswith(".gguf")), key=lambda f: f.path)
    weights = [f for f in ggufs if not f.path.rsplit("/", 1)[-1].lower().startswith("mmproj")]
    projectors = [f for f in ggufs if f not in weights]
    if not weights:
        return None
    if tag.lower() == "latest":
        chosen = next((f for want in PREFERRED for f in weights if _matches(f.path, want)), weights[0])
    else:
        found = [f for f in weights if _matches(f.path, tag)]
        if not found:
            return None
        chosen = next((f for f in found if re.search(r"-0+1-of-\d+\.gguf$", f.path)), found[0])
    doc: dict[str, Any] = {"ggufFile": _entry(chosen)}
    if projectors:
        doc["mmprojFile"] = _entry(next((p for p in projectors if _matches(p.path, tag)), projectors[0]))
    return doc
