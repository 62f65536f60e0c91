"""The pickle analyser against benign pickles of every protocol and the known bypass techniques.

Malicious samples are written as raw opcodes or dumped from objects whose __reduce__ returns a harmless
payload; nothing here is ever unpickled.
"""

from __future__ import annotations

import collections
import datetime
import io
import os
import pickle
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weighbridge.core.findings import Finding, Severity
from weighbridge.formats.base import Limits, ScanContext
from weighbridge.formats.pickle.analyser import analyse_pickles, looks_like_pickle
from weighbridge.formats.pickle.handler import PICKLE_HANDLER
from weighbridge.formats.pickle.policy import Verdict, classify


def scan(data: bytes, limits: Limits | None = None) -> tuple[list[Finding], list[tuple[str, bytes]]]:
    nested: list[tuple[str, bytes]] = []

    def record(ctx: ScanContext, stream: Any, name: str, size: int | None) -> str:
        nested.append((name, stream.read()))
        return "recorded"

    ctx = ScanContext(path="sample.pkl", limits=limits or Limits(), nested=record)
    PICKLE_HANDLER.scan(ctx, io.BytesIO(data))
    return ctx.findings, nested


def worst(data: bytes) -> Severity | None:
    return max((f.severity for f in scan(data)[0]), default=None)


def rules(data: bytes) -> set[str]:
    return {f.rule for f in scan(data)[0]}


def sbu(text: str) -> bytes:
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


class Payload:
    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.func, self.args)


BENIGN = {
    "dict": {"a": 1, "b": [1.5, 2.5], "c": ("x", None, True)},
    "containers": [set([1, 2]), frozenset(["a"]), bytearray(b"xy"), complex(1, 2), slice(1, 5), range(3)],
    "datetime": {"when": datetime.datetime(2026, 1, 2, 3, 4, 5), "delta": datetime.timedelta(days=3)},
    "ordered": collections.OrderedDict([("w", 1.0), ("b", 2.0)]),
    "bytes": {"blob": b"\x00\x01" * 100, "big": b"x" * 300_000},
    "nested": {"layers": [{"name": f"l{i}", "shape": (i, i + 1)} for i in range(50)]},
}


@pytest.mark.parametrize("protocol", range(6))
@pytest.mark.parametrize("name", sorted(BENIGN))
def test_benign_data_is_clean_in_every_protocol(name: str, protocol: int) -> None:
    data = pickle.dumps(BENIGN[name], protocol=protocol)
    assert looks_like_pickle(data[:4096])
    findings, _ = scan(data)
    assert findings == []


@pytest.mark.parametrize("protocol", range(6))
def test_reduce_payload_is_critical_in_every_protocol(protocol: int) -> None:
    data = pickle.dumps({"x": Payload(os.system, "echo bypass")}, protocol=protocol)
    findings, _ = scan(data)
    assert any(f.rule == "WB-PKL-001" and f.severity is Severity.CRITICAL for f in findings)
    assert any("system" in (f.evidence or "") for f in findings)


def test_unknown_global_is_medium_and_named() -> None:
    data = b"\x80\x04" + sbu("sklearn.linear_model._logistic") + sbu("LogisticRegression") + b"\x93)\x81}b."
    findings, _ = scan(data)
    assert [(f.rule, f.severity) for f in findings] == [("WB-PKL-002", Severity.MEDIUM)]
    assert "sklearn.linear_model._logistic.LogisticRegression" in findings[0].detail


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("torch", "os.system"),
        ("pathlib", "os.getcwd"),
        ("builtins", "eval.__call__"),
        ("asyncio.unix_events", "_UnixSubprocessTransport._start"),
        ("pkgutil", "resolve_name"),
        ("pydoc", "locate"),
        ("_operator", "attrgetter"),
        ("importlib", "import_module"),
        ("torch.utils.collect_env", "run"),
        ("torch._inductor.codecache", "compile_file"),
        ("cProfile", "run"),
        ("numpy.testing._private.utils", "runstring"),
        ("uuid", "_get_command_stdout"),
        ("multiprocessing.util", "spawnv_passfds"),
        ("distutils.spawn", "spawn"),
        ("pip", "main"),
        ("marshal", "loads"),
        ("types", "CodeType"),
        ("torch.storage", "_load_from_bytes"),
        ("pandas", "read_pickle"),
        ("_io", "FileIO"),
        ("ssl", "get_server_certificate"),
        ("smtplib", "SMTP"),
        ("logging", "FileHandler"),
        ("picklescan.scanner", "scan_pickle_bytes"),
        ("__builtin__", "getattr"),
        ("copy_reg", "add_extension"),
        ("idlelib.pyshell", "ModifiedInterpreter"),
        ("mailcap", "findmatch"),
        ("venv", "create"),
        ("functools", "partial"),
        ("code", "InteractiveInterpreter"),
    ],
)
def test_dangerous_families(module: str, name: str) -> None:
    assert classify(module, name).verdict is Verdict.DANGEROUS
    data = b"\x80\x04" + sbu(module) + sbu(name) + b"\x93" + sbu("echo bypass") + b"\x85R."
    assert worst(data) is Severity.CRITICAL


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("torch._utils", "_rebuild_tensor_v2"),
        ("torch", "FloatStorage"),
        ("collections", "OrderedDict"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy", "dtype"),
        ("builtins", "set"),
        ("torch", "bfloat16"),
        ("__builtin__", "frozenset"),
        ("copy_reg", "_reconstructor"),
        ("_codecs", "encode"),
        ("torch.nn.modules.linear", "Linear"),
    ],
)
def test_allowlist(module: str, name: str) -> None:
    assert classify(module, name).verdict is Verdict.SAFE


def test_computed_stack_global_operands() -> None:
    # B2: 'o'+'s' and 'sys'+'tem' built by _operator.add, memoised, then fed to STACK_GLOBAL
    data = (
        b"\x80\x04"
        + sbu("_operator")
        + sbu("add")
        + b"\x93\x94"
        + b"h\x00"
        + sbu("o")
        + sbu("s")
        + b"\x86R\x94"
        + b"h\x00"
        + sbu("sys")
        + sbu("tem")
        + b"\x86R\x94"
        + b"h\x01h\x02\x93"
        + sbu("echo bypass")
        + b"\x85R."
    )
    assert "WB-PKL-003" in rules(data)


def test_memo_desync_put_vs_memoize() -> None:
    # B3: MEMOIZE's index is the memo size, not the last PUT index; the real pair is os/system.
    data = (
        b"\x80\x04"
        + sbu("os")
        + b"q\x02"
        + sbu("system")
        + b"q\x03"
        + b"0"
        + b"0"
        + sbu("torch")
        + b"q\x00"
        + sbu("FloatStorage")
        + b"q\x01"
        + b"0"
        + b"0"
        + b"h\x02h\x03\x93"
        + sbu("echo bypass")
        + b"\x85R."
    )
    findings, _ = scan(data)
    assert any(f.rule == "WB-PKL-001" and "os.system" in f.detail for f in findings)
    # MEMOIZE after a PUT 5 stores at index len(memo) == 1, not at 0
    data = (
        b"\x80\x04"
        + sbu("os")
        + b"q\x05"
        + b"0"
        + sbu("system")
        + b"\x94"
        + b"0"
        + b"h\x05h\x01\x93"
        + sbu("echo bypass")
        + b"\x85R."
    )
    findings, _ = scan(data)
    assert any(f.rule == "WB-PKL-001" and "os.system" in f.detail for f in findings)


def test_build_poisoning_of_allowlisted_object() -> None:
    # B4: BUILD sets attributes on numpy.prod, then imports through the dotted path
    data = (
        b"\x80\x04"
        + sbu("numpy")
        + sbu("prod")
        + b"\x93N}"
        + sbu("a")
        + sbu("os")
        + b"s\x86b0"
        + sbu("numpy")
        + sbu("prod.a")
        + b"\x93."
    )
    assert {"WB-PKL-007", "WB-PKL-002"} <= rules(data) or "WB-PKL-007" in rules(data)
    assert worst(data) is not None and worst(data) >= Severity.HIGH


def test_protocol0_string_operands_for_stack_global() -> None:
    # B5: STRING (protocol 0) operands are str for STACK_GLOBAL
    data = b"S'os'\nS'system'\n\x93S'echo bypass'\n\x85R."
    assert worst(data) is Severity.CRITICAL


@pytest.mark.parametrize("operand", [b"K*\x94", b"C\x02os", b"\x96\x02\x00\x00\x00\x00\x00\x00\x00os"])
def test_type_confused_operands_after_the_call(operand: bytes) -> None:
    # B6: the call happens first, then a malformed STACK_GLOBAL breaks the stream
    data = (
        b"\x80\x04"
        + sbu("os")
        + sbu("system")
        + b"\x93"
        + sbu("echo bypass")
        + b"\x85R0"
        + operand
        + sbu("x")
        + b"\x93."
    )
    findings, _ = scan(data)
    assert any(f.rule == "WB-PKL-001" for f in findings)
    assert any(f.rule == "WB-PKL-003" for f in findings)


def test_missing_memo_key_after_call_is_high() -> None:
    data = b"\x80\x02cos\nsystem\nX\x0b\x00\x00\x00echo bypass\x85Rh\x07."
    findings, _ = scan(data)
    broken = [f for f in findings if f.rule == "WB-PKL-004"]
    assert broken and broken[0].severity is Severity.HIGH


def test_broken_after_payload_nullifai() -> None:
    # C1: PROTO 2; GLOBAL os system; UNICODE cmd; TUPLE1; REDUCE; then junk, no STOP
    data = b"\x80\x02cos\nsystem\nVecho bypass\n\x85R\xff\xfe\xfd"
    findings, _ = scan(data)
    assert {f.rule for f in findings} >= {"WB-PKL-001", "WB-PKL-004"}


def test_trailing_junk_is_routed() -> None:
    data = pickle.dumps([1, 2, 3], protocol=2) + b"PK\x03\x04trailing zip"
    findings, nested = scan(data)
    assert [f.rule for f in findings] == ["WB-PKL-005"]
    assert nested and nested[0][1].startswith(b"PK\x03\x04")


def test_frame_divergence() -> None:
    # C3: a FRAME whose declared length ends inside the next opcode's argument
    inner = (
        b"\x80\x04\x95"
        + struct.pack("<Q", 2)
        + b"N"
        + b"B"
        + struct.pack("<I", 12)
        + b"cos\nsystem\n"
        + b"0."
    )
    findings, _ = scan(inner)
    assert any(f.rule == "WB-PKL-006" for f in findings)


def test_stacked_pickles_all_analysed() -> None:
    # C4: payload in a later pickle of a stacked stream
    data = (
        pickle.dumps(1, protocol=2)
        + pickle.dumps("x", protocol=2)
        + pickle.dumps(Payload(os.system, "id"), 2)
    )
    assert worst(data) is Severity.CRITICAL


def test_legacy_torch_magic_computed_by_reduce() -> None:
    # C5: the magic number is the result of eval(...)
    data = b"\x80\x02c__builtin__\neval\nX\x16\x00\x00\x000x1950A86A20F9469CFC6C\x85R."
    assert worst(data) is Severity.CRITICAL


def test_obj_result_popped_still_reported() -> None:
    # C7: MARK; SG(smtplib, SMTP); '127.0.0.1'; OBJ; POP; NONE; STOP
    data = b"\x80\x04(" + sbu("smtplib") + sbu("SMTP") + b"\x93" + sbu("127.0.0.1") + b"o0N."
    assert worst(data) is Severity.CRITICAL


def test_inst_opcode() -> None:
    # C8: protocol-0 INST
    data = b"(S'echo bypass'\nios\nsystem\n."
    assert worst(data) is Severity.CRITICAL


def test_expansion_is_bounded() -> None:
    # C9: a memoised list duplicated a million times: the analyser never expands it
    data = b"\x80\x04]\x94" + b"h\x00" * 1_000_000 + b"0" * 1_000_000 + b"."
    findings, _ = scan(data)
    assert findings == []


def test_opcode_budget_is_a_finding() -> None:
    data = b"\x80\x04" + b"N0" * 100_000 + b"N."
    findings, _ = scan(data, Limits(max_pickle_ops=1000))
    assert any(f.rule == "WB-PKL-009" for f in findings)


def test_nested_pickle_argument_is_analysed() -> None:
    inner = pickle.dumps(Payload(os.system, "echo bypass"), protocol=2)
    outer = pickle.dumps(Payload(pickle.loads, inner), protocol=2)
    findings, nested = scan(outer)
    assert any(f.rule == "WB-PKL-001" and "pickle.loads" in f.detail for f in findings)
    assert nested and nested[0][1] == inner


def test_resolver_call_is_reported_with_its_argument() -> None:
    data = b"\x80\x04" + sbu("pkgutil") + sbu("resolve_name") + b"\x93" + sbu("os:system") + b"\x85R."
    findings, _ = scan(data)
    assert any(f.rule == "WB-PKL-011" and "os:system" in (f.evidence or "") for f in findings)


def test_extension_opcode_is_high() -> None:
    assert worst(b"\x80\x02\x82\x01)R.") == Severity.HIGH


def test_legacy_torch_file(tmp_path: Any) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "legacy.pt"
    torch.save(
        {"w": torch.arange(10, dtype=torch.float32), "b": torch.ones(3, dtype=torch.int64)},
        path,
        _use_new_zipfile_serialization=False,
    )
    findings, _ = scan(path.read_bytes())
    assert [f.rule for f in findings] == ["WB-TORCH-001"]


def test_legacy_torch_payload_in_object_pickle(tmp_path: Any) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "legacy.pt"
    torch.save(
        {"w": torch.zeros(2), "evil": Payload(os.system, "echo bypass")},
        path,
        _use_new_zipfile_serialization=False,
    )
    assert worst(path.read_bytes()) is Severity.CRITICAL


def test_joblib_arrays_are_skipped_not_parsed(tmp_path: Any) -> None:
    joblib = pytest.importorskip("joblib")
    np = pytest.importorskip("numpy")
    path = tmp_path / "model.joblib"
    joblib.dump(
        {
            "coef": np.arange(1000, dtype=np.float64),
            "ints": np.ones((7, 3), dtype=np.int32),
            "names": np.array(["a", "bb"], dtype=object),
        },
        path,
    )
    findings, _ = scan(path.read_bytes())
    assert all(f.severity < Severity.HIGH for f in findings), findings
    assert not any(f.rule in ("WB-PKL-004", "WB-PKL-013") for f in findings)


def test_sklearn_model_is_medium_not_high() -> None:
    sklearn_linear = pytest.importorskip("sklearn.linear_model")
    np = pytest.importorskip("numpy")
    model = sklearn_linear.LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    for protocol in (2, 4, 5):
        findings, _ = scan(pickle.dumps(model, protocol=protocol))
        assert findings and max(f.severity for f in findings) == Severity.MEDIUM
        assert all(f.rule == "WB-PKL-002" for f in findings)


def test_sniff_rejects_text_and_json() -> None:
    assert not looks_like_pickle(b'{"a": 1}')
    assert not looks_like_pickle(b"import os\nos.system('x')\n")
    assert not looks_like_pickle(b"# README\n\nhello")
    assert looks_like_pickle(b"cos\nsystem\n(S'echo'\ntR.")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_fuzz_random_bytes_never_raise(data: bytes) -> None:
    ctx = ScanContext(path="fuzz", limits=Limits(), nested=lambda c, s, n, z: "x")
    summary = analyse_pickles(ctx, io.BytesIO(data))
    if not summary.complete:
        assert any(f.severity >= Severity.MEDIUM for f in ctx.findings) or summary.error


_SEEDS = [pickle.dumps(BENIGN["nested"], protocol=p) for p in range(6)] + [
    pickle.dumps(Payload(os.system, "echo bypass"), protocol=p) for p in range(6)
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_SEEDS),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    st.integers(0, 10_000),
)
def test_fuzz_mutated_pickles_never_raise(seed: bytes, flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(seed)
    for where, value in flips:
        data[where % len(data)] = value
    data = data[: max(1, len(data) - cut % len(data))]
    findings, _ = scan(bytes(data))
    dangerous_seed = b"system" in seed
    imports = b"\x93" in data or b"cposix\nsystem" in data  # a mutation can delete the import opcode itself
    if dangerous_seed and b"system" in data and b"posix" in data and imports:
        assert findings  # the payload never disappears silently
