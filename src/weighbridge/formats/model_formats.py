"""Handlers of the model formats recognised by their structure, in the order they are tried.

TFLite and ExecuTorch flatbuffers (file identifiers); TensorFlow SavedModel / GraphDef / Keras SavedModel metadata (protobuf shapes, tried before the generic
protobuf and ONNX probes); native programs and llamafiles (ELF/PE/Mach-O/APE headers); MessagePack checkpoints (Flax); YAML configurations
that instantiate callables (NeMo, Hydra); JSON manifests of TorchServe archives, skops schemas (zip
members) and OCI manifests / indexes. ``lazy.LAZY_ENTRIES`` stands for this tuple, in this order, after the
compressed-stream handler (a test holds the two equal).
"""

from __future__ import annotations

from .base import FormatHandler
from .config_targets import CONFIG_TARGETS_HANDLER
from .coreml import COREML_HANDLER, MLPACKAGE_MANIFEST_HANDLER
from .executable import EXECUTABLE_HANDLER
from .mobile import EXECUTORCH_HANDLER, TFLITE_HANDLER
from .msgpack import MSGPACK_HANDLER
from .oci import OCI_MANIFEST_HANDLER
from .paddle import PADDLE_HANDLER, PADDLE_PARAMS_HANDLER
from .skops import SKOPS_SCHEMA_HANDLER
from .tensorflow import GRAPH_DEF_HANDLER, KERAS_METADATA_HANDLER, PBTXT_HANDLER, SAVED_MODEL_HANDLER
from .torchserve import TORCHSERVE_MANIFEST_HANDLER

MODEL_FORMAT_HANDLERS: tuple[FormatHandler, ...] = (
    TFLITE_HANDLER,
    EXECUTORCH_HANDLER,
    SAVED_MODEL_HANDLER,
    GRAPH_DEF_HANDLER,
    KERAS_METADATA_HANDLER,
    PADDLE_HANDLER,
    PADDLE_PARAMS_HANDLER,
    COREML_HANDLER,
    EXECUTABLE_HANDLER,
    MSGPACK_HANDLER,
    PBTXT_HANDLER,
    CONFIG_TARGETS_HANDLER,
    TORCHSERVE_MANIFEST_HANDLER,
    SKOPS_SCHEMA_HANDLER,
    OCI_MANIFEST_HANDLER,
    MLPACKAGE_MANIFEST_HANDLER,
)
