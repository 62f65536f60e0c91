"""The ordered list of format handlers. The first whose ``sniff`` accepts the content wins.

Order matters: formats with unambiguous magic bytes first, then content probes (safetensors header,
pickle opcodes, protobuf wire format), then text, then "unknown binary" (a finding, never clean).

The magic-byte formats are ``lazy`` entries: their parser modules (and py7zr, Jinja2 behind them) load only
when a file of theirs is seen.
"""

from __future__ import annotations

from .archives.compressed import COMPRESSED_HANDLER
from .archives.tar import TAR_HANDLER
from .base import FormatHandler
from .keras_metadata import KERAS_METADATA_HANDLER
from .lazy import GGUF, HDF5, NPY, SEVENZ, ZIP
from .model_formats import MODEL_FORMAT_HANDLERS
from .onnx import ONNX_HANDLER, PROTOBUF_HANDLER
from .pickle.handler import PICKLE_HANDLER
from .safetensors import SAFETENSORS_HANDLER
from .text import TEXT_HANDLER
from .unknown import UNKNOWN_HANDLER

HANDLERS: tuple[FormatHandler, ...] = (
    GGUF,
    NPY,
    ZIP,
    SEVENZ,
    TAR_HANDLER,
    HDF5,
    COMPRESSED_HANDLER,
    *MODEL_FORMAT_HANDLERS,  # TensorFlow, TFLite, ExecuTorch, llamafile, NeMo, skops, ... (model_formats.py)
    SAFETENSORS_HANDLER,
    PICKLE_HANDLER,
    KERAS_METADATA_HANDLER,
    ONNX_HANDLER,
    PROTOBUF_HANDLER,
)

__all__ = ["HANDLERS", "TEXT_HANDLER", "UNKNOWN_HANDLER"]
