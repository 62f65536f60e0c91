"""Byte-level builders for model containers whose tools are not installed here: llamafile, NeMo, TorchServe
.mar, skops, TFLite / ExecuTorch flatbuffers, Core ML, PaddlePaddle, Flax msgpack, OCI layouts.

Each follows the layout the real tool writes (field numbers, file identifiers, archive members); the values
are small. Nothing is ever loaded.
"""

from __future__ import annotations

import io
import json
import struct
import tarfile
import zipfile
from collections.abc import Sequence

import pytest

from . import formats as F

SSTI = "{{ ''.__class__.__mro__[1].__subclasses__()[133].__init__.__globals__['popen']('id').read() }}"
BENIGN_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def small_gguf(template: str = BENIGN_TEMPLATE) -> bytes:
    meta = {
        "general.architecture": "llama",
        "general.name": "tiny",
        "general.alignment": 32,
        "tokenizer.chat_template": template,
    }
    return F.gguf_bytes(meta, [("token_embd.weight", (4, 2), b"\0" * 32)])


# -- llamafile -------------------------------------------------------------------------------------------

APE_HEAD = (
    b"MZqFpD='\n\n\x00\x10\x00\xf8\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
    b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    b'\x00\x00\x00\x00\x00\x00\n\x00\'\n#\'"\no="$(command -v "$0")"\nexec 7<> "$o" || exit 121\n'
)


def llamafile(gguf: bytes, *, prefix: bytes = APE_HEAD, program_bytes: int = 4096) -> bytes:
    """An APE program followed by a zip holding the GGUF stored (uncompressed), as zipalign writes it."""
    buf = io.BytesIO()
    buf.write(prefix + b"\x90" * program_bytes)
    with zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(".args", "-m\nmodel.gguf\n--host\n127.0.0.1\n")
        zf.writestr("model.gguf", gguf)
    return buf.getvalue()


def elf_with_gguf(gguf: bytes) -> bytes:
    header = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + struct.pack("<HHI", 2, 0x3E, 1) + b"\x00" * 40
    return header + b"\xcc" * 2048 + gguf


# -- tar / zip helpers -------------------------------------------------------------------------------------


def tar_bytes(members: dict[str, bytes], *, gz: bool = False) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zip_bytes(members: dict[str, bytes | str], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def json_bytes(value: object) -> bytes:
    return json.dumps(value, indent=2).encode("utf-8")


# -- NeMo ------------------------------------------------------------------------------------------------

NEMO_CONFIG = """\
sample_rate: 16000
labels: [' ', a, b, c]
train_ds:
  manifest_filepath: null
  sample_rate: ${model.sample_rate}
  batch_size: 32
  shuffle: true
preprocessor:
  _target_: nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor
  normalize: per_feature
  window_size: 0.025
  features: 64
encoder:
  _target_: nemo.collections.asr.modules.ConvASREncoder
  feat_in: 64
  activation: relu
decoder:
  _target_: nemo.collections.asr.modules.ConvASRDecoder
  feat_in: 1024
  num_classes: 28
optim:
  name: novograd
  lr: 0.01
  sched:
    name: CosineAnnealing
spec_augment:
  _target_: nemo.collections.asr.modules.SpectrogramAugmentation
  freq_masks: 2
target: nemo.collections.asr.models.ctc_models.EncDecCTCModel
nemo_version: 1.23.0
"""


def torch_state_dict_bytes() -> bytes:
    # tests only: writes a real checkpoint of zeros, never loads one; without torch the calling test skips
    torch = pytest.importorskip("torch", reason="torch is a `test` extra (make test installs it)")

    buf = io.BytesIO()
    torch.save({"encoder.weight": torch.zeros(2, 2), "decoder.bias": torch.zeros(2)}, buf)
    return buf.getvalue()


def nemo_archive(
    config: str = NEMO_CONFIG,
    weights: bytes | None = None,
    *,
    gz: bool = False,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    members = {
        "./model_config.yaml": config.encode("utf-8"),
        "./model_weights.ckpt": weights if weights is not None else torch_state_dict_bytes(),
    }
    members.update(extra or {})
    return tar_bytes(members, gz=gz)


# -- TorchServe .mar -------------------------------------------------------------------------------------

HANDLER_PY = """\
from ts.torch_handler.base_handler import BaseHandler


class Handler(BaseHandler):
    def preprocess(self, data):
        return [row.get("body") for row in data]
"""


def mar_manifest(handler: str = "image_classifier", **extra: str) -> bytes:
    model = {
        "modelName": "resnet",
        "serializedFile": "model.pt",
        "handler": handler,
        "modelVersion": "1.0",
        **extra,
    }
    return json_bytes(
        {"createdOn": "04/12/2026 10:00:00", "runtime": "python", "model": model, "archiverVersion": "0.12.0"}
    )


def mar_archive(
    handler: str = "image_classifier",
    files: dict[str, bytes | str] | None = None,
    weights: bytes | None = None,
    **extra: str,
) -> bytes:
    members: dict[str, bytes | str] = {
        "MAR-INF/MANIFEST.json": mar_manifest(handler, **extra),
        "model.pt": weights if weights is not None else torch_state_dict_bytes(),
    }
    members.update(files or {})
    return zip_bytes(members)


# -- skops ------------------------------------------------------------------------------------------------


def _npy(values: list[float]) -> bytes:
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + str(len(values)) + ",), }"
    header = header.ljust(117) + "\n"
    return (
        b"\x93NUMPY\x01\x00"
        + struct.pack("<H", len(header))
        + header.encode()
        + struct.pack(f"<{len(values)}d", *values)
    )


def skops_node(
    module: str, cls: str, loader: str = "ObjectNode", content: object = None, **extra: object
) -> dict:
    node: dict[str, object] = {"__class__": cls, "__module__": module, "__loader__": loader}
    if content is not None:
        node["content"] = content
    node.update(extra)
    return node


def skops_logistic_schema(extra_params: dict[str, object] | None = None) -> dict:
    params: dict[str, object] = {
        "C": skops_node("builtins", "float", "JSONNode", "1.0", is_json=True),
        "max_iter": skops_node("builtins", "int", "JSONNode", "100", is_json=True),
        "coef_": skops_node("numpy", "ndarray", "NdArrayNode", type="numpy", file="coef.npy"),
        "intercept_": skops_node("numpy", "ndarray", "NdArrayNode", type="numpy", file="intercept.npy"),
        "_sklearn_version": skops_node("builtins", "str", "JSONNode", '"1.5.1"', is_json=True),
    }
    params.update(extra_params or {})
    content = skops_node(
        "builtins",
        "dict",
        "DictNode",
        params,
        key_types=skops_node(
            "builtins", "list", "ListNode", [skops_node("builtins", "str", "JSONNode", '"C"', is_json=True)]
        ),
    )
    root = skops_node("sklearn.linear_model._logistic", "LogisticRegression", "ObjectNode", content)
    root.update({"protocol": 2, "_skops_version": "0.10.0"})
    return root


def skops_file(schema: dict | None = None) -> bytes:
    return zip_bytes(
        {
            "schema.json": json_bytes(schema if schema is not None else skops_logistic_schema()),
            "coef.npy": _npy([0.5, -0.25, 1.0]),
            "intercept.npy": _npy([0.1]),
        }
    )


# -- FlatBuffers (TFLite, ExecuTorch) ----------------------------------------------------------------------
# A field is (kind, value): kind "b"/"i"/"I"/"Q" scalar, "str", "table" (a field list), "tables" (list of
# field lists), "ints" (list of int32), "bytes". ``None`` leaves the field absent.

FbField = tuple[str, object] | None


class FlatBuilder:
    """Forward-layout flatbuffer writer: every object follows what refers to it (u32 offsets are unsigned)."""

    def __init__(self, identifier: bytes) -> None:
        self.buf = bytearray(8)
        self.buf[4:8] = identifier

    def _align(self, n: int) -> None:
        while len(self.buf) % n:
            self.buf.append(0)

    def _patch(self, slot: int, target: int) -> None:
        struct.pack_into("<I", self.buf, slot, target - slot)

    def table(self, fields: list[FbField]) -> int:
        self._align(4)
        vt = len(self.buf)
        vsize = 4 + 2 * len(fields)
        layout: list[int] = []
        tsize = 4
        for f in fields:
            if f is None:
                layout.append(0)
                continue
            width = struct.calcsize(f[0]) if f[0] in ("b", "i", "I", "Q") else 4
            while tsize % width:
                tsize += 1
            layout.append(tsize)
            tsize += width
        self.buf += struct.pack("<HH", vsize, tsize) + b"".join(struct.pack("<H", o) for o in layout)
        self._align(8)
        pos = len(self.buf)
        self.buf += b"\0" * tsize
        struct.pack_into("<i", self.buf, pos, pos - vt)
        for f, off in zip(fields, layout, strict=True):
            if f is None:
                continue
            kind, value = f
            if kind in ("b", "i", "I", "Q"):
                struct.pack_into("<" + kind, self.buf, pos + off, value)
            else:
                self._patch(pos + off, self.child(kind, value))
        return pos

    def child(self, kind: str, value: object) -> int:
        self._align(4)
        at = len(self.buf)
        if kind == "str":
            data = str(value).encode("utf-8")
            self.buf += struct.pack("<I", len(data)) + data + b"\0"
        elif kind == "bytes":
            data = bytes(value)  # type: ignore[call-overload]
            self.buf += struct.pack("<I", len(data)) + data
        elif kind == "ints":
            items = list(value)  # type: ignore[call-overload]
            self.buf += struct.pack(f"<I{len(items)}i", len(items), *items)
        elif kind == "table":
            return self.table(value)  # type: ignore[arg-type]
        elif kind == "tables":
            tables = list(value)  # type: ignore[call-overload]
            self.buf += struct.pack("<I", len(tables)) + b"\0" * 4 * len(tables)
            for i, fields in enumerate(tables):
                self._patch(at + 4 + 4 * i, self.table(fields))
        return at

    def finish(self, fields: list[FbField]) -> bytes:
        struct.pack_into("<I", self.buf, 0, self.table(fields))
        return bytes(self.buf)


TFL_ADD, TFL_CONV_2D, TFL_FULLY_CONNECTED, TFL_RESHAPE, TFL_SOFTMAX, TFL_CUSTOM = 0, 3, 9, 22, 25, 32


def tflite_model(
    builtins: Sequence[int] = (TFL_CONV_2D, TFL_FULLY_CONNECTED, TFL_SOFTMAX), custom: Sequence[str] = ()
) -> bytes:
    codes: list[list[FbField]] = [[("b", min(c, 127)), None, ("i", 1), ("i", c)] for c in builtins]
    codes += [[("b", TFL_CUSTOM), ("str", name), ("i", 1), ("i", TFL_CUSTOM)] for name in custom]
    ops = [[("I", i), ("ints", [i]), ("ints", [i + 1])] for i in range(len(codes))]
    tensors = [[("ints", [1, 4]), ("b", 0), ("I", i), ("str", f"t{i}")] for i in range(len(codes) + 1)]
    subgraph: list[FbField] = [
        ("tables", tensors),
        ("ints", [0]),
        ("ints", [len(codes)]),
        ("tables", ops),
        ("str", "main"),
    ]
    buffers = [[None], [("bytes", b"\0" * 16)]]
    model: list[FbField] = [
        ("I", 3),
        ("tables", codes),
        ("tables", [subgraph]),
        ("str", "MLIR Converted."),
        ("tables", buffers),
    ]
    return FlatBuilder(b"TFL3").finish(model)


def pte_program(
    operators: Sequence[tuple[str, str]] = (("aten::add", "out"), ("aten::mm", "out")),
    delegates: Sequence[str] = (),
) -> bytes:
    ops = [[("str", name), ("str", overload)] for name, overload in operators]
    dels = [
        [("str", backend), ("table", [("b", 0), ("I", i)]), ("tables", [])]
        for i, backend in enumerate(delegates)
    ]
    plan: list[FbField] = [
        ("str", "forward"),
        ("table", [("str", "T"), ("str", "T")]),
        ("tables", []),
        ("ints", [0]),
        ("ints", [1]),
        ("tables", []),
        ("tables", ops),
        ("tables", dels),
    ]
    return FlatBuilder(b"ET12").finish([("I", 0), ("tables", [plan])])


# -- OCI image layouts and KitOps ModelKits ------------------------------------------------------------------

KITFILE = """\
manifestVersion: "1.0"
package:
  name: tiny-llm
  version: 1.0.0
  authors: [Example]
model:
  name: tiny
  path: ./model.gguf
  license: Apache-2.0
docs:
  - path: ./README.md
"""

KIT_MODEL = "application/vnd.kitops.modelkit.model.v1.tar+gzip"
KIT_CODE = "application/vnd.kitops.modelkit.code.v1.tar+gzip"
KIT_CONFIG = "application/vnd.kitops.modelkit.config.v1+json"


def oci_layout(
    layers: list[tuple[str, bytes]],
    *,
    config: bytes | None = None,
    config_type: str = KIT_CONFIG,
    descriptor_extra: dict[int, dict[str, object]] | None = None,
    tamper: dict[int, bytes] | None = None,
) -> dict[str, bytes | str]:
    """An OCI image layout (folder files): one manifest, its config and layers, all content-addressed.
    ``tamper`` replaces a layer's bytes after the digests were computed (index into ``layers``)."""
    import hashlib

    files: dict[str, bytes | str] = {"oci-layout": json_bytes({"imageLayoutVersion": "1.0.0"})}

    def blob(data: bytes) -> tuple[str, int]:
        digest = hashlib.sha256(data).hexdigest()
        files[f"blobs/sha256/{digest}"] = data
        return f"sha256:{digest}", len(data)

    config = (
        config
        if config is not None
        else json_bytes(
            {
                "manifestVersion": "1.0",
                "package": {"name": "tiny"},
                "model": {"name": "tiny", "path": "model.gguf"},
            }
        )
    )
    cdigest, csize = blob(config)
    descs = []
    for i, (media, data) in enumerate(layers):
        digest, size = blob(data)
        desc: dict[str, object] = {
            "mediaType": media,
            "digest": digest,
            "size": size,
            "annotations": {"org.opencontainers.image.title": f"layer{i}"},
        }
        desc.update((descriptor_extra or {}).get(i, {}))
        descs.append(desc)
        if tamper and i in tamper:
            files[f"blobs/sha256/{digest[7:]}"] = tamper[i]
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.kitops.modelkit.manifest.v1+json",
        "config": {"mediaType": config_type, "digest": cdigest, "size": csize},
        "layers": descs,
    }
    mdigest, msize = blob(json_bytes(manifest))
    files["index.json"] = json_bytes(
        {
            "schemaVersion": 2,
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": mdigest,
                    "size": msize,
                    "annotations": {"org.opencontainers.image.ref.name": "latest"},
                }
            ],
        }
    )
    return files


def model_layer(members: dict[str, bytes]) -> bytes:
    return tar_bytes(members, gz=True)


# -- PaddlePaddle ProgramDesc and Core ML Model (protobuf, framework.proto / Model.proto field numbers) --------


def paddle_op(
    op_type: str,
    inputs: dict[str, list[str]],
    outputs: dict[str, list[str]],
    attrs: dict[str, str | list[str] | int] | None = None,
) -> bytes:
    from .tf_shapes import pb_int, pb_len

    out = b"".join(pb_len(1, pb_len(1, k) + b"".join(pb_len(2, a) for a in v)) for k, v in inputs.items())
    out += b"".join(pb_len(2, pb_len(1, k) + b"".join(pb_len(2, a) for a in v)) for k, v in outputs.items())
    out += pb_len(3, op_type)
    for name, value in (attrs or {}).items():
        if isinstance(value, int):
            out += pb_len(4, pb_len(1, name) + pb_int(2, 0) + pb_int(3, value))
        elif isinstance(value, str):
            out += pb_len(4, pb_len(1, name) + pb_int(2, 2) + pb_len(5, value))
        else:
            out += pb_len(4, pb_len(1, name) + pb_int(2, 5) + b"".join(pb_len(8, v) for v in value))
    return out


def paddle_program(extra_ops: Sequence[bytes] = ()) -> bytes:
    from .tf_shapes import pb_int, pb_len

    ops = [
        paddle_op("feed", {"X": ["feed"]}, {"Out": ["x"]}, {"col": 0}),
        paddle_op("matmul_v2", {"X": ["x"], "Y": ["fc.w_0"]}, {"Out": ["fc.tmp_0"]}),
        paddle_op("elementwise_add", {"X": ["fc.tmp_0"], "Y": ["fc.b_0"]}, {"Out": ["fc.tmp_1"]}),
        paddle_op("softmax", {"X": ["fc.tmp_1"]}, {"Out": ["out"]}, {"axis": 1}),
        paddle_op("fetch", {"X": ["out"]}, {"Out": ["fetch"]}, {"col": 0}),
        *extra_ops,
    ]
    variables = b"".join(
        pb_len(3, pb_len(1, n) + pb_len(2, pb_int(1, 7)) + pb_int(3, p))
        for n, p in (("x", 0), ("fc.w_0", 1), ("fc.b_0", 1), ("out", 0))
    )
    block = pb_int(1, 0) + pb_int(2, -1) + variables + b"".join(pb_len(4, op) for op in ops)
    return pb_len(1, block) + pb_len(4, pb_int(1, 2005000))


def coreml_model(type_field: int = 403, body: bytes | None = None, version: int = 4) -> bytes:
    from .tf_shapes import pb_int, pb_len

    feature = pb_len(1, "input") + pb_len(3, pb_len(5, pb_len(1, pb_int(1, 4)) + pb_int(2, 65568)))
    description = (
        pb_len(1, feature)
        + pb_len(10, pb_len(1, "classLabel") + pb_len(3, pb_len(3, b"")))
        + pb_len(11, "classLabel")
    )
    if body is None:
        layer = (
            pb_len(1, "dense")
            + pb_len(2, "input")
            + pb_len(3, "out")
            + pb_len(140, pb_int(1, 4) + pb_int(2, 2))
        )
        body = pb_len(1, layer)
    return pb_int(1, version) + pb_len(2, description) + pb_len(type_field, body)


def coreml_custom_layer(class_name: str) -> bytes:
    from .tf_shapes import pb_len

    dense = pb_len(1, "dense") + pb_len(2, "input") + pb_len(3, "h") + pb_len(140, b"\x08\x04")
    custom = pb_len(1, "hook") + pb_len(2, "h") + pb_len(3, "out") + pb_len(500, pb_len(10, class_name))
    return pb_len(1, dense) + pb_len(1, custom)


def coreml_linked(name: str, search_path: str) -> bytes:
    from .tf_shapes import pb_len

    return pb_len(1, pb_len(1, pb_len(1, name)) + pb_len(2, pb_len(1, search_path)))


def mlpackage(model: bytes, item_path: str = "com.apple.CoreML/model.mlmodel") -> dict[str, bytes | str]:
    manifest = {
        "fileFormatVersion": "1.0.0",
        "itemInfoEntries": {
            "A1B2": {
                "author": "com.apple.CoreML",
                "description": "CoreML Model Specification",
                "name": "model.mlmodel",
                "path": item_path,
            }
        },
        "rootModelIdentifier": "A1B2",
    }
    return {"Manifest.json": json_bytes(manifest), "Data/com.apple.CoreML/model.mlmodel": model}


# -- MessagePack (Flax flax.serialization.to_bytes, msgpack-numpy) -------------------------------------------


def mp(value: object) -> bytes:
    """A minimal MessagePack encoder (dict, list/tuple, str, bytes, int >= 0, float, bool, None, Ext)."""
    if value is None:
        return b"\xc0"
    if value is True or value is False:
        return b"\xc3" if value else b"\xc2"
    if isinstance(value, Ext):
        n = len(value.data)
        return (
            b"\xc7" + bytes([n]) + bytes([value.code]) + value.data
            if n < 256
            else b"\xc9" + struct.pack(">I", n) + bytes([value.code]) + value.data
        )
    if isinstance(value, int):
        return bytes([value]) if value < 128 else b"\xcf" + struct.pack(">Q", value)
    if isinstance(value, float):
        return b"\xcb" + struct.pack(">d", value)
    if isinstance(value, str):
        data = value.encode()
        return (bytes([0xA0 | len(data)]) if len(data) < 32 else b"\xd9" + bytes([len(data)])) + data
    if isinstance(value, bytes):
        return b"\xc6" + struct.pack(">I", len(value)) + value
    if isinstance(value, (list, tuple)):
        return (
            bytes([0x90 | len(value)]) if len(value) < 16 else b"\xdc" + struct.pack(">H", len(value))
        ) + b"".join(mp(v) for v in value)
    if isinstance(value, dict):
        return (
            bytes([0x80 | len(value)]) if len(value) < 16 else b"\xde" + struct.pack(">H", len(value))
        ) + b"".join(mp(k) + mp(v) for k, v in value.items())
    raise TypeError(type(value))


class Ext:
    def __init__(self, code: int, data: bytes) -> None:
        self.code = code
        self.data = data


def flax_array(shape: tuple[int, ...], dtype: str = "float32", nbytes: int | None = None) -> Ext:
    count = 1
    for d in shape:
        count *= d
    size = count * {"float32": 4, "float16": 2, "int32": 4}[dtype] if nbytes is None else nbytes
    return Ext(1, mp([list(shape), dtype, b"\0" * size]))


def flax_checkpoint(extra: dict[str, object] | None = None) -> bytes:
    params = {
        "params": {
            "Dense_0": {"kernel": flax_array((4, 2)), "bias": flax_array((2,))},
            "LayerNorm_0": {"scale": flax_array((2,), "float16"), "bias": flax_array((2,), "float16")},
        },
        "step": 100,
    }
    params.update(extra or {})
    return mp(params)


def paddle_params(tensors: Sequence[tuple[Sequence[int], int]] = (((4, 2), 5), ((2,), 5))) -> bytes:
    """A .pdiparams stream: per tensor u32 0, u64 lod 0, u32 0, i32 desc size, TensorDesc, raw data."""
    from .tf_shapes import pb_int

    out = b""
    for dims, dtype in tensors:
        desc = pb_int(1, dtype) + b"".join(pb_int(2, d) for d in dims)
        count = 1
        for d in dims:
            count *= d
        out += struct.pack("<IQIi", 0, 0, 0, len(desc)) + desc + b"\0" * (count * 4)
    return out
