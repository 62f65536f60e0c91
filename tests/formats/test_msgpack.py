"""MessagePack checkpoints (Flax, msgpack-numpy): parsed by hand, pickles inside payloads analysed."""

from __future__ import annotations

import pytest
from tests.corpus import shapes as S
from tests.corpus.pickles import CMD, reduce_pickle
from tests.formats.helpers_scan import rules, scan_bytes, worst

from weighbridge.core.findings import Severity

OBJECT_ARRAY_P0 = b"cos\nsystem\n(S'echo bypass'\ntR."


def test_encoder_matches_the_reference_library() -> None:
    msgpack = pytest.importorskip("msgpack")
    decoded = msgpack.unpackb(S.flax_checkpoint(), strict_map_key=False)
    assert decoded["step"] == 100 and set(decoded["params"]) == {"Dense_0", "LayerNorm_0"}


def test_benign_flax_checkpoint_is_clean() -> None:
    fmt, findings = scan_bytes(S.flax_checkpoint(), "checkpoint_100")
    assert fmt == "msgpack" and not findings


@pytest.mark.parametrize(
    "extra",
    [
        {"opt_state": reduce_pickle("os", "system", CMD)},
        {"w": {"nd": True, "type": "|O", "kind": "O", "shape": [1], "data": OBJECT_ARRAY_P0}},
        {"nested": [1, 2, {"blob": reduce_pickle("subprocess", "Popen", ["id"], protocol=2)}]},
    ],
)
def test_pickles_inside_payloads_are_analysed(extra: dict[str, object]) -> None:
    _, findings = scan_bytes(S.flax_checkpoint(extra), "ckpt.msgpack")
    assert worst(findings) == Severity.CRITICAL


def test_array_size_mismatch_and_unknown_extension() -> None:
    _, findings = scan_bytes(
        S.flax_checkpoint({"x": S.flax_array((4, 4), nbytes=8), "e": S.Ext(42, b"a")}), "c"
    )
    assert {"WB-MSGPACK-002", "WB-MSGPACK-003"} <= rules(findings)


def test_lying_container_counts_are_malformed() -> None:
    big = 4096 * [0]
    data = bytearray(S.mp({"params": big}))
    idx = data.index(b"\xdc")
    data[idx + 1 : idx + 3] = b"\xff\xff"
    fmt, findings = scan_bytes(bytes(data), "ckpt.msgpack")
    assert fmt == "msgpack" and "WB-MSGPACK-001" in rules(findings)


def test_pickles_are_not_taken_for_msgpack() -> None:
    fmt, _ = scan_bytes(reduce_pickle("os", "system", CMD), "x.pkl")
    assert fmt == "pickle"


def test_safetensors_whose_length_bytes_look_like_msgpack_stay_safetensors() -> None:
    import json
    import struct

    header = {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "__metadata__": {"x": "y" * 100}}
    text = json.dumps(header).encode()
    length = 0xA285  # little-endian 85 a2: a fixmap of 5 followed by a fixstr byte
    data = struct.pack("<Q", length) + text.ljust(length) + b"\0" * 8
    fmt, _ = scan_bytes(data, "model.safetensors")
    assert fmt == "safetensors"
    big = S.flax_checkpoint({"pad": b"\0" * 10_000})
    assert scan_bytes(big, "checkpoint")[0] == "msgpack"
