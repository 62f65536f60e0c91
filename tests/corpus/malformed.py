"""Malformed samples: files that cannot be parsed to the end. A fail-closed scanner reports each at MEDIUM or
above (never "clean"). None carries a payload.
"""

from __future__ import annotations

import gzip
import io
import json
import pickle
import random
import struct
import tarfile
import zipfile
import zlib

import numpy as np

from . import formats as F
from .build import Writer


def build(w: Writer) -> None:
    rnd = random.Random(1234)
    data = pickle.dumps({"weights": list(range(200)), "name": "tiny"}, protocol=4)

    # pickle
    w.file(
        "mf_pickle_truncated",
        "model.pkl",
        data[: len(data) - 40],
        "pickle",
        "benign pickle cut short, no STOP",
    )
    w.file(
        "mf_pickle_random_after_header",
        "model.pkl",
        b"\x80\x04" + rnd.randbytes(4096),
        "pickle",
        "PROTO 4 followed by random bytes",
    )
    w.file("mf_pickle_stop_empty_stack", "model.pkl", b"\x80\x04.", "pickle", "STOP with an empty stack")
    w.file(
        "mf_pickle_unknown_opcode", "model.pkl", b"\x80\x02K\x01\xff\xfe.", "pickle", "invalid opcode bytes"
    )

    # torch / zip
    tz = F.torch_zip_with_pickle(pickle.dumps({"w": 1}, protocol=2))
    w.file("mf_torch_zip_truncated", "pytorch_model.bin", tz[: len(tz) // 2], "zip", "torch zip cut in half")
    bad = F.zip_bytes(
        [("archive/data.pkl", pickle.dumps(list(range(500)), protocol=2))], compression=zipfile.ZIP_DEFLATED
    )
    off, size = F.zip_member_data_offset(bad, "archive/data.pkl")
    corrupt = bad[:off] + b"\xff" * size + bad[off + size :]
    w.file(
        "mf_zip_member_undecompressable",
        "model.pt",
        corrupt,
        "zip",
        "deflate member replaced by 0xff bytes (invalid block type)",
    )
    w.file(
        "mf_zip_unknown_method",
        "model.zip",
        _zip_method(F.zip_bytes([("model.pkl", data)]), 99),
        "zip",
        "member declares compression method 99",
    )

    # zip bomb: small on disk, expansion ratio over the 1000:1 limit
    zeros = b"\0" * (48 * 1024 * 1024)
    w.file(
        "mf_zip_bomb_deflate",
        "weights.zip",
        F.zip_bytes([("weights.bin", zeros)], compression=zipfile.ZIP_DEFLATED),
        "zip",
        "48 MiB of zeros deflated (~1030:1)",
    )
    w.file(
        "mf_zip_bomb_bzip2",
        "weights.zip",
        F.zip_bytes([("weights.bin", zeros * 2)], compression=zipfile.ZIP_BZIP2),
        "zip",
        "96 MiB of zeros bzip2'd inside a zip (ratio far over the limit)",
    )
    del zeros

    # safetensors
    good_hdr = {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}
    w.file(
        "mf_safetensors_header_beyond_file",
        "model.safetensors",
        F.safetensors_bytes(good_hdr, b"\0" * 16, declared_len=10_000_000),
        "safetensors",
        "header length larger than the file",
    )
    w.file(
        "mf_safetensors_overlap",
        "model.safetensors",
        F.safetensors_bytes(
            {
                "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]},
            },
            b"\0" * 24,
        ),
        "safetensors",
        "overlapping data_offsets",
    )
    w.file(
        "mf_safetensors_bad_dtype",
        "model.safetensors",
        F.safetensors_bytes({"w": {"dtype": "X99", "shape": [2, 2], "data_offsets": [0, 16]}}, b"\0" * 16),
        "safetensors",
        "unknown dtype",
    )
    w.file(
        "mf_safetensors_trailing_bytes",
        "model.safetensors",
        F.safetensors_bytes(good_hdr, b"\0" * 16, trailing=b"TRAILING" * 8),
        "safetensors",
        "bytes after the last tensor (buffer not exactly covered)",
    )
    w.file(
        "mf_safetensors_not_json",
        "model.safetensors",
        struct.pack("<Q", 16) + b"{not json at all" + b"\0" * 16,
        "safetensors",
        "header is not JSON",
    )
    w.file(
        "mf_safetensors_size_mismatch",
        "model.safetensors",
        F.safetensors_bytes({"w": {"dtype": "F32", "shape": [3, 3], "data_offsets": [0, 16]}}, b"\0" * 16),
        "safetensors",
        "shape*dtype (36 bytes) != data_offsets span (16)",
    )

    # GGUF
    w.file(
        "mf_gguf_absurd_tensor_count",
        "model.gguf",
        F.gguf_bytes({"general.architecture": "llama"}, tensor_count=2**62),
        "gguf",
        "tensor_count = 2^62",
    )
    head = (
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + F.gguf_str("general.name") + struct.pack("<I", F.GGUF_STRING)
    )
    w.file(
        "mf_gguf_string_beyond_file",
        "model.gguf",
        head + struct.pack("<Q", 2**40) + b"tiny",
        "gguf",
        "metadata string length 2^40 in a tiny file",
    )
    g = F.gguf_bytes(
        {"general.architecture": "llama", "general.alignment": 32},
        [("w", (1024, 1024), struct.pack("<4f", 0, 0, 0, 0))],
    )
    w.file(
        "mf_gguf_tensor_beyond_file",
        "model.gguf",
        g,
        "gguf",
        "tensor declares 1024x1024 f32 but the file holds 16 bytes of data",
    )
    w.file(
        "mf_gguf_bad_kv_type",
        "model.gguf",
        b"GGUF"
        + struct.pack("<IQQ", 3, 0, 1)
        + F.gguf_str("general.name")
        + struct.pack("<I", 77)
        + b"\0" * 8,
        "gguf",
        "metadata value type 77",
    )

    # compression
    gz = bytearray(gzip.compress(data, mtime=0))
    for i in range(12, len(gz) - 8, 7):
        gz[i] ^= 0x5A
    w.file(
        "mf_gzip_corrupt", "model.pkl.gz", bytes(gz), "compressed", "gzip stream with corrupted deflate data"
    )
    w.file(
        "mf_joblib_zlib_truncated",
        "model.joblib",
        zlib.compress(data)[:30],
        "compressed",
        "zlib joblib stream cut short",
    )

    # numpy
    w.file(
        "mf_npy_short_data",
        "weights.npy",
        F.npy_header("<f4", (1000,)) + b"\0" * 100,
        "numpy",
        "header says 1000 float32, 100 bytes follow",
    )
    w.file(
        "mf_npy_bad_header",
        "weights.npy",
        b"\x93NUMPY\x01\x00" + struct.pack("<H", 30) + b"{'descr': <f4 garbage" + b" " * 9,
        "numpy",
        "header dict does not parse",
    )
    buf = io.BytesIO()
    np.save(buf, np.arange(100, dtype=np.float64))
    w.file(
        "mf_npz_truncated_member",
        "arrays.npz",
        F.zip_bytes([("arr_0.npy", buf.getvalue()[:200])]),
        "numpy",
        "npz whose member .npy is short",
    )

    # ONNX
    from onnx import TensorProto, helper, numpy_helper

    wt = numpy_helper.from_array(np.ones((64, 64), dtype=np.float32), "W")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["Y"])],
        "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 64])],
        initializer=[wt],
    )
    onnx_bytes = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    w.file(
        "mf_onnx_truncated",
        "model.onnx",
        onnx_bytes[: len(onnx_bytes) * 2 // 3],
        "onnx",
        "ONNX protobuf cut inside the initializer",
    )

    # tar / 7z
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w") as tf:
        ti = tarfile.TarInfo("model.pkl")
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    tb = tbuf.getvalue()
    w.file("mf_tar_truncated", "model.tar", tb[: 512 + len(data) // 2], "tar", "tar member data cut short")
    import py7zr

    sbuf = io.BytesIO()
    with py7zr.SevenZipFile(sbuf, "w") as z:
        z.writestr(data * 20, "model.pkl")
    sz = sbuf.getvalue()
    w.file("mf_7z_truncated", "model.7z", sz[: len(sz) // 2], "7z", "7z archive cut in half")

    # keras config that is not JSON
    w.file(
        "mf_keras_bad_config",
        "model.keras",
        F.zip_bytes(
            [
                ("metadata.json", json.dumps({"keras_version": "3.8.0"}).encode()),
                ("config.json", b'{"class_name": "Sequential", "config": {'),
                ("model.weights.h5", b""),
            ]
        ),
        "keras",
        "config.json truncated",
    )


def _zip_method(data: bytes, method: int) -> bytes:
    out = bytearray(data)
    for sig, off in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        pos = out.find(sig)
        while pos >= 0:
            struct.pack_into("<H", out, pos + off, method)
            pos = out.find(sig, pos + 4)
    return bytes(out)
