"""TensorFlow-shaped files written as bytes: a minimal protobuf encoder and SavedModel / GraphDef /
keras_metadata builders that follow TensorFlow's .proto field numbers (TensorFlow itself is not installed).

Nothing here is ever loaded; the scanner reads these bytes as it reads real exports.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Sequence
from typing import Any


def varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(number: int, wire: int) -> bytes:
    return varint((number << 3) | wire)


def pb_len(number: int, payload: bytes | str) -> bytes:
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    return tag(number, 2) + varint(len(data)) + data


def pb_int(number: int, value: int) -> bytes:
    return tag(number, 0) + varint(value)


def pb_float(number: int, value: float) -> bytes:
    return tag(number, 5) + struct.pack("<f", value)


# -- TensorFlow messages ---------------------------------------------------------------------------------
DT_FLOAT, DT_INT32, DT_STRING, DT_RESOURCE = 1, 3, 7, 20


def attr(key: str, value: bytes) -> bytes:
    """One ``map<string, AttrValue>`` entry."""
    return pb_len(5, pb_len(1, key) + pb_len(2, value))


def attr_s(s: str | bytes) -> bytes:
    return pb_len(2, s)


def attr_type(dtype: int) -> bytes:
    return pb_int(6, dtype)


def attr_list_s(values: Sequence[str]) -> bytes:
    return pb_len(1, b"".join(pb_len(2, v) for v in values))


def string_tensor(values: Sequence[str]) -> bytes:
    shape = pb_len(2, b"" if len(values) == 1 else pb_len(2, pb_int(1, len(values))))
    return pb_int(1, DT_STRING) + shape + b"".join(pb_len(8, v) for v in values)


def float_tensor(values: Sequence[float]) -> bytes:
    shape = pb_len(2, pb_len(2, pb_int(1, len(values))))
    return pb_int(1, DT_FLOAT) + shape + pb_len(4, struct.pack(f"<{len(values)}f", *values))


def node(
    name: str, op: str, inputs: Iterable[str] = (), attrs: dict[str, bytes] | None = None, device: str = ""
) -> bytes:
    out = pb_len(1, name) + pb_len(2, op) + b"".join(pb_len(3, i) for i in inputs)
    if device:
        out += pb_len(4, device)
    for key, value in (attrs or {}).items():
        out += attr(key, value)
    return out


def const_string(name: str, *values: str) -> bytes:
    return node(
        name, "Const", attrs={"dtype": attr_type(DT_STRING), "value": pb_len(8, string_tensor(values))}
    )


def const_float(name: str, *values: float) -> bytes:
    return node(name, "Const", attrs={"dtype": attr_type(DT_FLOAT), "value": pb_len(8, float_tensor(values))})


def function(name: str, nodes: Sequence[bytes], args: Sequence[str] = ()) -> bytes:
    """A FunctionDef: OpDef signature (name, input_arg) and node_def."""
    signature = pb_len(1, name) + b"".join(pb_len(2, pb_len(1, a) + pb_int(3, DT_STRING)) for a in args)
    return pb_len(1, signature) + b"".join(pb_len(3, n) for n in nodes)


def graph_def(nodes: Sequence[bytes], functions: Sequence[bytes] = (), producer: int = 1395) -> bytes:
    out = b"".join(pb_len(1, n) for n in nodes)
    if functions:
        out += pb_len(2, b"".join(pb_len(1, f) for f in functions))
    return out + pb_len(4, pb_int(1, producer) + pb_int(2, 0))


def saved_model(
    graph: bytes,
    *,
    tags: Sequence[str] = ("serve",),
    tf_version: str = "2.15.0",
    assets: Sequence[str] = (),
    keras_objects: Sequence[tuple[str, str]] = (),
) -> bytes:
    """SavedModel { schema_version = 1; MetaGraphDef { MetaInfoDef, GraphDef, assets, SavedObjectGraph } }."""
    info = (
        pb_len(1, "") + b"".join(pb_len(4, t) for t in tags) + pb_len(5, tf_version) + pb_len(6, "v2.15.0-0")
    )
    meta = pb_len(1, info) + pb_len(2, graph)
    for i, filename in enumerate(assets):
        meta += pb_len(6, pb_len(1, pb_len(1, f"asset_path_initializer_{i}:0")) + pb_len(2, filename))
    signature = pb_len(1, "serving_default") + pb_len(2, pb_len(1, "inputs") + pb_len(2, pb_len(1, "x:0")))
    meta += pb_len(5, signature)
    if keras_objects:
        nodes = b""
        for identifier, metadata in keras_objects:
            user = pb_len(1, identifier) + pb_len(2, pb_int(1, 1)) + pb_len(3, metadata)
            nodes += pb_len(1, pb_len(4, user))
        meta += pb_len(7, nodes)
    return pb_int(1, 1) + pb_len(2, meta)


def saver_nodes() -> list[bytes]:
    """The checkpoint subgraph every TF1-style SavedModel carries (filename from a placeholder)."""
    return [
        node("saver_filename", "Placeholder", attrs={"dtype": attr_type(DT_STRING)}),
        const_string("save/Const", "model"),
        const_string("save/SaveV2/tensor_names", "dense/kernel", "dense/bias"),
        const_string("save/SaveV2/shape_and_slices", "", ""),
        node("save/StringJoin", "StringJoin", ["saver_filename", "save/Const"]),
        node("save/ShardedFilename", "ShardedFilename", ["save/StringJoin", "save/num_shards", "save/shard"]),
        node(
            "save/SaveV2",
            "SaveV2",
            [
                "save/ShardedFilename",
                "save/SaveV2/tensor_names",
                "save/SaveV2/shape_and_slices",
                "dense/kernel",
                "dense/bias",
            ],
        ),
        node(
            "save/RestoreV2",
            "RestoreV2",
            ["saver_filename", "save/SaveV2/tensor_names", "save/SaveV2/shape_and_slices"],
        ),
        node("save/MergeV2Checkpoints", "MergeV2Checkpoints", ["save/ShardedFilespec", "saver_filename"]),
    ]


def dense_nodes() -> list[bytes]:
    """x -> MatMul(kernel) + bias -> Relu, variables as resources (TF2 export)."""
    return [
        node("x", "Placeholder", attrs={"dtype": attr_type(DT_FLOAT)}),
        node(
            "dense/kernel",
            "VarHandleOp",
            attrs={"dtype": attr_type(DT_FLOAT), "shared_name": attr_s("kernel")},
        ),
        node(
            "dense/bias", "VarHandleOp", attrs={"dtype": attr_type(DT_FLOAT), "shared_name": attr_s("bias")}
        ),
        node("dense/MatMul/ReadVariableOp", "ReadVariableOp", ["dense/kernel"]),
        node("dense/MatMul", "MatMul", ["x", "dense/MatMul/ReadVariableOp"]),
        node("dense/BiasAdd/ReadVariableOp", "ReadVariableOp", ["dense/bias"]),
        node("dense/BiasAdd", "BiasAdd", ["dense/MatMul", "dense/BiasAdd/ReadVariableOp"]),
        node("dense/Relu", "Relu", ["dense/BiasAdd"]),
        const_float("scale", 0.5, 2.0),
        node("Identity", "Identity", ["dense/Relu"]),
    ]


def benign_saved_model(*, with_function: bool = True, assets: Sequence[str] = ("vocab.txt",)) -> bytes:
    functions = []
    nodes = dense_nodes() + saver_nodes()
    if with_function:
        body = [node("MatMul", "MatMul", ["x", "w"]), node("Identity", "Identity", ["MatMul:product:0"])]
        functions.append(function("__inference_call_1234", body, args=["x", "w"]))
        saver = [
            node("SaveV2", "SaveV2", ["file_prefix", "names", "slices"]),
            node("StringJoin", "StringJoin", ["file_prefix", "suffix"]),
            const_string("suffix", "_temp/part"),
        ]
        functions.append(
            function("__inference__traced_save_99", saver, args=["file_prefix", "names", "slices"])
        )
        nodes.append(
            node(
                "StatefulPartitionedCall",
                "StatefulPartitionedCall",
                ["x", "dense/kernel"],
                attrs={"f": pb_len(10, pb_len(1, "__inference_call_1234"))},
            )
        )
    return saved_model(graph_def(nodes, functions), assets=assets)


def keras_layer_metadata(class_name: str, config: dict[str, Any]) -> str:
    return json.dumps(
        {
            "name": config.get("name", "layer"),
            "trainable": True,
            "expects_training_arg": False,
            "dtype": "float32",
            "batch_input_shape": None,
            "stateful": False,
            "must_restore_from_config": False,
            "class_name": class_name,
            "config": config,
        }
    )


def keras_metadata_pb(objects: Sequence[tuple[str, str, str]]) -> bytes:
    """keras_metadata.pb: SavedMetadata { repeated SavedObject { node_id, node_path, identifier, metadata } }."""
    out = b""
    for i, (path, identifier, metadata) in enumerate(objects):
        body = (pb_int(2, i) if i else b"") + pb_len(3, path) + pb_len(4, identifier) + pb_len(5, metadata)
        body += pb_len(6, pb_int(1, 1) + pb_int(2, 1))
        out += pb_len(1, body)
    return out


def keras_model_objects(layers: Sequence[dict[str, Any]]) -> list[tuple[str, str, str]]:
    model = {
        "name": "model",
        "class_name": "Functional",
        "config": {"name": "model", "layers": list(layers)},
        "is_graph_network": True,
        "keras_version": "2.15.0",
        "backend": "tensorflow",
    }
    objects = [("root", "_tf_keras_network", json.dumps(model))]
    for i, layer in enumerate(layers):
        objects.append(
            (f"root.layer-{i}", "_tf_keras_layer", keras_layer_metadata(layer["class_name"], layer["config"]))
        )
    return objects


def dense_layer(name: str = "dense") -> dict[str, Any]:
    return {
        "class_name": "Dense",
        "config": {"name": name, "units": 4, "activation": "relu", "use_bias": True},
    }
