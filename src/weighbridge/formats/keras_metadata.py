"""Keras metadata of a TensorFlow SavedModel (``keras_metadata.pb``), recognised by content.

A Keras model saved in the TensorFlow SavedModel format keeps, beside ``saved_model.pb``, a ``SavedMetadata``
protobuf: one ``SavedObject`` per layer or model (node path, an identifier such as ``_tf_keras_layer``, and
the layer's configuration as a JSON string). ``tf.keras.models.load_model`` rebuilds the layers from that
JSON, so it is checked like any Keras configuration (Lambda layers, names outside Keras, host file paths).
"""

from __future__ import annotations

from typing import BinaryIO

from ..core.findings import Location
from .base import FormatHandler, ScanContext
from .keras import INVALID_CONFIG, scan_keras_config
from .protobuf import LEN, ProtobufError, WireReader

_MARKER = b"_tf_keras_"
_NODES = 1  # SavedMetadata.nodes
_NODE_PATH = 3  # SavedObject.node_path
_METADATA = 5  # SavedObject.metadata (JSON)
MAX_NODES = 1_000_000


def _sniff(head: bytes, name: str) -> bool:
    return head[:1] == b"\x0a" and _MARKER in head


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    reader = WireReader(stream)
    cap = ctx.limits.max_header_bytes
    count = 0
    try:
        for node in reader.fields(0, reader.size):
            if node.number != _NODES or node.wire_type != LEN:
                continue
            count += 1
            if count > MAX_NODES:
                break
            path = f"node[{count - 1}]"
            metadata: list[tuple[bytes, bool]] = []
            for f in reader.fields(node.value_offset, node.end, depth=1):
                if f.wire_type != LEN:
                    continue
                if f.number == _NODE_PATH:
                    path = reader.string(f, 1024)[0]
                elif f.number == _METADATA or (f.value and reader.read(f.value_offset, 1, f.end) == b"{"):
                    raw = reader.read(f.value_offset, min(f.value, cap), f.end)
                    metadata.append((raw, f.value > cap))
            for raw, cut in metadata:
                if cut:
                    ctx.report(
                        INVALID_CONFIG,
                        f"Keras metadata of {path!r} is larger than {cap} bytes and was not inspected",
                        location=Location(key=f"keras_metadata:{path}"),
                        evidence=path,
                    )
                else:
                    scan_keras_config(ctx, raw, source=f"keras_metadata:{path}")
    except ProtobufError as exc:
        ctx.report(
            INVALID_CONFIG,
            f"Keras SavedModel metadata is not valid protobuf: {exc.reason}",
            location=Location(offset=exc.offset),
            evidence=f"stopped at byte {exc.offset} of {reader.size}",
        )


KERAS_METADATA_HANDLER = FormatHandler(name="keras-metadata", sniff=_sniff, scan=_scan, needs_seek=True)
