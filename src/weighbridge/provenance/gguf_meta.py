"""The GGUF files of a snapshot that provenance reads, and what their ``general.file_type`` says.

The metadata itself is read by ``metadata.gguf_general`` (shared with the licence analysis).
"""

from __future__ import annotations

from ..core.provenance import GGUFGeneral
from ..core.report import Snapshot, SnapshotFile
from ..metadata.gguf_general import is_gguf, read_gguf_general

__all__ = [
    "FILE_TYPES",
    "MAX_GGUF_FILES",
    "UNQUANTIZED_FILE_TYPES",
    "file_type_name",
    "find_gguf_files",
    "is_quantized",
    "read_gguf_general",
]

MAX_GGUF_FILES = 16  # GGUF files of one snapshot read for provenance

# llama.cpp ``llama_ftype`` / gguf-py ``LlamaFileType``: what ``general.file_type`` says about the weights.
FILE_TYPES = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    4: "Q4_1_SOME_F16",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    33: "Q4_0_4_4",
    34: "Q4_0_4_8",
    35: "Q4_0_8_8",
    36: "TQ1_0",
    37: "TQ2_0",
    38: "MXFP4_MOE",
    39: "NVFP4",
    40: "Q1_0",
}
UNQUANTIZED_FILE_TYPES = frozenset({0, 1, 32})


def file_type_name(gguf: GGUFGeneral) -> str | None:
    code = gguf.integer("general.file_type")
    return None if code is None else FILE_TYPES.get(code, f"unknown ({code})")


def is_quantized(gguf: GGUFGeneral) -> bool | None:
    """True for quantized weights, False for F32/F16/BF16 conversions, None when the file does not say."""
    code = gguf.integer("general.file_type")
    return None if code is None else code not in UNQUANTIZED_FILE_TYPES


def find_gguf_files(snapshot: Snapshot) -> list[SnapshotFile]:
    """Files of the snapshot that start with the GGUF magic, whatever their name (Ollama names none .gguf)."""
    return [file for file in snapshot.files if is_gguf(file.abspath)]
