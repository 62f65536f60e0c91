"""Issue 12's pickle gate: what the C unpickler runs may not rate below high.

* header-less / padded / odd-literal pickles in every container (tests/corpus/pickle_gate.py) are >= high;
* text and random binary whose head only *looks* like the start of a pickle are handed on, not flagged;
* INT/LONG/FLOAT/GET/PUT literals are parsed exactly as CPython's C unpickler parses them;
* calls are judged apart from names (stdlib / framework functions called off the allowlist, resolvers,
  higher-order allowlisted functions, file/library/network primitives), PERSID outside torch archives;
* the analyser's inline fast path and its reference loop report the same findings (issue 13).

Attack streams are bytes naming harmless-looking callables; none is ever unpickled. The literal oracle
loads streams of exactly one INT/LONG/FLOAT opcode and STOP (no GLOBAL, INST or REDUCE: nothing to import
or call), checked before each load.
"""

from __future__ import annotations

import _pickle
import io
import random
import re
import struct
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.corpus import formats as F  # noqa: E402
from tests.corpus.pickle_gate import variants  # noqa: E402
from tests.corpus.pickles import (  # noqa: E402
    BINPERSID,
    MEMOIZE,
    NEWOBJ,
    POP,
    REDUCE,
    STOP,
    TUPLE1,
    TUPLE2,
    enc,
    gcall,
    glob,
    proto,
    sg,
    stream,
    u,
)

from weighbridge.core.findings import Finding, Severity  # noqa: E402
from weighbridge.core.rules import all_rules  # noqa: E402
from weighbridge.formats.base import Limits, ScanContext  # noqa: E402
from weighbridge.formats.pickle import analyser as A  # noqa: E402
from weighbridge.formats.pickle.analyser import Analyser, PickleError  # noqa: E402
from weighbridge.formats.pickle.values import Opaque  # noqa: E402
from weighbridge.scanning.dispatch import scan_stream  # noqa: E402


def dispatch(data: bytes, filename: str = "model.pkl") -> tuple[str, list[Finding], list[str]]:
    ctx = ScanContext(path=filename, limits=Limits(), nested=scan_stream)
    fmt = scan_stream(ctx, io.BytesIO(data), filename, len(data))
    return fmt, ctx.findings, ctx.formats


def worst(findings: list[Finding]) -> Severity | None:
    return max((f.severity for f in findings), default=None)


def rules_of(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


# --- 1. no sniffing gap ----------------------------------------------------------------------------------
GATE = list(variants())


@pytest.mark.parametrize("variant", GATE, ids=[v.name for v in GATE])
def test_gate_variant_is_high(variant: Any) -> None:
    fmt, findings, _ = dispatch(variant.data, variant.filename)
    assert worst(findings) is not None and worst(findings) >= Severity.HIGH, (fmt, findings[:4])


@pytest.mark.slow
def test_full_gate_cross_product_is_high() -> None:
    misses = []
    for v in variants(full=True):
        _, findings, _ = dispatch(v.data, v.filename)
        sev = worst(findings)
        if sev is None or sev < Severity.HIGH:
            misses.append(v.name)
    assert misses == []


TEXTS = {
    "licence": b"The MIT License\n\nPermission is hereby granted, free of charge, to any person...\n" * 80,
    "long_v_line": b"Very long line of prose without a newline " * 200 + b"\n",
    "long_s_line": b"S" + b"tory without end " * 400 + b"\n",
    "python": b"import os\n\nclass Foo:\n    pass\n" * 200,
    "ints_then_prose": b"I1\n" * 1500 + b"and then prose that is no pickle at all\n",
}


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_text_that_starts_like_a_pickle_stays_text(name: str) -> None:
    fmt, findings, formats = dispatch(TEXTS[name], "README.md")
    assert fmt == "text" and findings == [] and formats == ["text"]


def test_random_binary_whose_head_parses_is_handed_to_unknown() -> None:
    rnd = random.Random(7)
    body = bytes(rnd.randrange(256) for _ in range(20_000))
    data = b"X" + struct.pack("<I", 10_000_000) + body  # BINUNICODE whose length runs past the end
    fmt, findings, _ = dispatch(data, "weights.bin")
    assert fmt == "unknown" and "WB-FMT-001" in rules_of(findings)
    assert not any(f.rule.startswith("WB-PKL") for f in findings)


@pytest.mark.parametrize("protocol", [0, 1])
def test_headerless_benign_pickles_with_long_heads_are_clean(protocol: int) -> None:
    import pickle

    obj = {"vocab": [f"tok{i}" for i in range(3000)], "text": "x" * 9000, "n": list(range(2000))}
    data = pickle.dumps(obj, protocol=protocol)
    assert data[:1] != b"\x80"
    fmt, findings, _ = dispatch(data)
    assert fmt == "pickle" and findings == []


def test_break_followed_by_dangerous_name_is_critical() -> None:
    data = proto(4) + b"K\x01\xff\xff" + sg("os", "system") + u("id") + TUPLE1 + REDUCE + STOP
    _, findings, _ = dispatch(data)
    assert "WB-PKL-018" in rules_of(findings) and worst(findings) == Severity.CRITICAL
    text_form = b"(I1\nI2\n\x00\x00" + glob("subprocess", "check_output") + b"."
    _, findings, _ = dispatch(text_form)
    assert "WB-PKL-018" in rules_of(findings)


# --- 2. literals exactly as the C unpickler reads them ---------------------------------------------------
def _c_value(op: bytes, literal: bytes) -> tuple[str, Any]:
    # the oracle loads exactly one INT/LONG/FLOAT opcode, its one-line argument, and STOP: nothing in such a
    # stream imports or calls anything (the argument is consumed whole by the literal's readline)
    assert op in (b"I", b"L", b"F") and b"\n" not in literal
    data = op + literal + b"\n."
    try:
        return "ok", _pickle.loads(data)  # noqa: S301 - literal-only stream, see above
    except Exception:  # noqa: BLE001 - any rejection is the oracle's answer
        return "error", None


def _ours(op: bytes, literal: bytes) -> tuple[str, Any]:
    raw = literal
    try:
        value = {b"I": A._load_int, b"L": A._load_long, b"F": A._load_float}[op](raw)
    except PickleError:
        return "error", None
    return "ok", value


LITERAL_ALPHABET = st.sampled_from(list("0123456789abfxoABFXOLl_ +-\t.eEinfINFa\x00\x0b\x0c\r"))
LITERALS = st.one_of(
    st.text(LITERAL_ALPHABET, min_size=1, max_size=14),
    st.builds(
        lambda sign, prefix, digits, tail: sign + prefix + digits + tail,
        st.sampled_from(["", "+", "-", " ", "\t", " -"]),
        st.sampled_from(["", "0", "0x", "0X", "0o", "0b", "0_", "00"]),
        st.text(st.sampled_from(list("0123456789abcdef_")), min_size=0, max_size=22),
        st.sampled_from(["", "L", " ", "_", "\x00x", " L", "LL", "e5", ".5"]),
    ),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(op=st.sampled_from([b"I", b"L", b"F"]), text=LITERALS)
def test_literals_match_the_c_unpickler(op: bytes, text: str) -> None:
    literal = text.encode("latin-1")
    if b"\n" in literal:
        return
    c_verdict, c_value = _c_value(op, literal)
    verdict, value = _ours(op, literal)
    assert verdict == c_verdict, (op, literal, c_value, value)
    if verdict == "ok" and not isinstance(value, Opaque):
        if isinstance(c_value, float) and c_value != c_value:
            assert value != value
        else:
            assert (type(value), value) == (type(c_value), c_value), (op, literal)


@pytest.mark.parametrize(
    "literal",
    [
        b"I0b1",
        b"L0o7L",
        b"I1_000",
        b"I 5",
        b"I010",
        b"I5\x00junk",
        b"L-0x_1L",
        b"I01",
        b"I00",
        b"I 1",
        b"F1e5",
        b"Finf",
        b"F-NaN",
        b"I99999999999999999999",
    ],
)
def test_known_odd_literals_match_the_c_unpickler(literal: bytes) -> None:
    ours, theirs = _ours(literal[:1], literal[1:]), _c_value(literal[:1], literal[1:])
    assert ours[0] == theirs[0] == "ok"
    if theirs[1] == theirs[1]:  # NaN is the one value unequal to itself
        assert (type(ours[1]), ours[1]) == (type(theirs[1]), theirs[1])


@pytest.mark.parametrize("line", [b"1_0", b" 7", b"7 ", b"0007"])
def test_text_memo_indexes_are_decimal_like_the_c_unpickler(line: bytes) -> None:
    data = b"N" + b"p" + line + b"\n" + POP + b"g" + line + b"\n."
    _, findings, _ = dispatch(data)
    assert findings == []
    with pytest.raises(PickleError):
        A._memo_index(b"0x1", "GET")


# --- 3-5. calls versus names -----------------------------------------------------------------------------
def _called(module: str, name: str, *args: Any, opcode: bytes = REDUCE) -> bytes:
    if opcode == NEWOBJ:
        return stream(sg(module, name) + enc(tuple(args)) + NEWOBJ)
    return stream(gcall(module, name, *args))


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("shutil", "_fastcopy_sendfile"),
        ("tempfile", "_mkstemp_inner"),
        ("subprocess", "_args_from_interpreter_flags"),
        ("torch.utils.data.dataloader", "_share_dist_seed"),
        ("numpy.lib._iotools", "easy_dtype"),
        ("transformers.modeling_utils", "load_state_dict"),
        ("sklearn.utils", "resample"),
        ("pickletools", "dis"),
        ("zipapp", "create_archive"),
        ("lib2to3.main", "main"),
        ("json", "load"),
        ("_pydecimal", "getcontext"),
    ],
)
def test_function_of_stdlib_or_framework_called_off_allowlist_is_high(module: str, name: str) -> None:
    _, findings, _ = dispatch(_called(module, name, "/tmp/x"))
    assert worst(findings) is not None and worst(findings) >= Severity.HIGH, findings


@pytest.mark.parametrize(
    ("module", "name", "opcode"),
    [
        ("sklearn.linear_model._logistic", "LogisticRegression", NEWOBJ),
        ("transformers.training_args", "TrainingArguments", NEWOBJ),
        ("transformers.trainer_utils", "IntervalStrategy", REDUCE),
        ("mypackage.models", "build_model", REDUCE),  # user code: a notice, not an alarm
        ("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence", REDUCE),
    ],
)
def test_framework_classes_and_user_code_called_stay_medium(module: str, name: str, opcode: bytes) -> None:
    _, findings, _ = dispatch(_called(module, name, "steps", opcode=opcode))
    assert worst(findings) == Severity.MEDIUM, findings


def test_framework_function_only_named_stays_medium() -> None:
    data = stream(u("loss") + sg("sklearn.metrics", "log_loss") + TUPLE2)
    _, findings, _ = dispatch(data)
    assert worst(findings) == Severity.MEDIUM


@pytest.mark.parametrize(
    ("module", "name", "rule"),
    [
        ("_pyio", "open", "WB-PKL-015"),
        ("_sqlite3", "connect", "WB-PKL-015"),
        ("_posixsubprocess", "fork_exec", "WB-PKL-015"),
        ("_xxsubinterpreters", "run_string", "WB-PKL-015"),
        ("_interpreters", "exec", "WB-PKL-015"),
        ("test.support.script_helper", "assert_python_ok", None),
        ("uuid", "_get_command_stdout", None),
        ("uuid", "_ifconfig_getnode", "WB-PKL-015"),
    ],
)
def test_name_prefix_families_are_critical(module: str, name: str, rule: str | None) -> None:
    _, findings, _ = dispatch(_called(module, name, "id"))
    assert worst(findings) == Severity.CRITICAL
    if rule:
        assert rule in rules_of(findings)


def _rebuild_from_type(func_ops: bytes) -> bytes:
    """torch._tensor._rebuild_from_type_v2(func, torch.Tensor, ("id",), {}) — it calls func(*args)."""
    return stream(
        sg("torch._tensor", "_rebuild_from_type_v2")
        + b"("
        + func_ops
        + sg("torch", "Tensor")
        + enc(("id",))
        + enc({})
        + b"t"
        + REDUCE
    )


@pytest.mark.parametrize(
    "resolver",
    [
        ("torch._utils", "_import_dotted_name"),
        ("pydoc", "locate"),
        ("pkgutil", "resolve_name"),
        ("torch.nn.attention._fa3", "_fa3_import_module"),
    ],
)
def test_resolver_fed_to_a_higher_order_rebuild_is_critical(resolver: tuple[str, str]) -> None:
    func = gcall(resolver[0], resolver[1], "os.system")
    _, findings, _ = dispatch(_rebuild_from_type(func))
    assert worst(findings) == Severity.CRITICAL
    assert "WB-PKL-019" in rules_of(findings)


def test_memoized_resolver_result_is_checked_where_it_is_called() -> None:
    resolved = gcall("torch._utils", "_import_dotted_name", "posix.system") + b"q\x2a" + POP
    data = stream(
        resolved
        + sg("copyreg", "_reconstructor")
        + b"h\x2a"
        + sg("builtins", "object")
        + enc("id")
        + b"\x87"
        + REDUCE
    )
    _, findings, _ = dispatch(data)
    assert {"WB-PKL-011", "WB-PKL-019"} <= rules_of(findings)


@pytest.mark.parametrize(
    ("func", "rule"),
    [
        (sg("shutil", "_rmtree_unsafe"), "WB-PKL-001"),
        (sg("torch.utils.data.dataloader", "_share_dist_seed"), "WB-PKL-014"),
    ],
)
def test_higher_order_argument_is_checked_as_a_direct_call(func: bytes, rule: str) -> None:
    data = stream(sg("numpy.random._pickle", "__generator_ctor") + enc("MT19937") + func + TUPLE2 + REDUCE)
    _, findings, _ = dispatch(data)
    assert rule in rules_of(findings) and worst(findings) >= Severity.HIGH


@pytest.mark.parametrize(
    ("module", "name", "arg"),
    [
        ("torch", "save", "/etc/cron.d/job"),
        ("numpy", "save", "/root/.bashrc"),
        ("torch", "from_file", "/tmp/f"),
        ("torch", "UntypedStorage.from_file", "/tmp/f"),
        ("ctypes", "CDLL", "/tmp/libx.so"),
        ("torch.ops", "load_library", "/tmp/libop.so"),
        ("torch.classes", "load_library", "/tmp/libop.so"),
        ("torch.hub", "load_state_dict_from_url", "http://127.0.0.1/w.pt"),
        ("urllib.request", "urlretrieve", "http://127.0.0.1/x"),
        ("http.server", "HTTPServer", "0.0.0.0"),
        ("numpy", "DataSource", "http://127.0.0.1/"),
        ("_pyio", "FileIO", "/etc/passwd"),
    ],
)
def test_file_library_network_primitives_are_high_with_their_target(module: str, name: str, arg: str) -> None:
    _, findings, _ = dispatch(_called(module, name, arg))
    assert worst(findings) is not None and worst(findings) >= Severity.HIGH
    evidence = " ".join(f"{f.evidence} {f.detail}" for f in findings)
    assert arg in evidence


# --- 6. persistent ids ------------------------------------------------------------------------------------
def test_persistent_id_outside_a_torch_archive_is_medium() -> None:
    data = stream(enc(("storage", "x")) + BINPERSID)
    _, findings, _ = dispatch(data)
    assert rules_of(findings) == {"WB-PKL-017"} and worst(findings) == Severity.MEDIUM
    npy = F.npy_header("|O", (1,)) + stream(enc(("x",)) + BINPERSID, protocol=2)
    _, findings, _ = dispatch(npy, "w.npy")
    assert "WB-PKL-017" in rules_of(findings)


def test_persistent_ids_in_torch_archives_are_expected() -> None:
    zipped = F.torch_zip_with_pickle(_real_data_pkl())
    _, findings, _ = dispatch(zipped, "pytorch_model.bin")
    assert "WB-PKL-017" not in rules_of(findings)


def _real_data_pkl() -> bytes:
    for name, data in F.torch_zip_members():
        if name.endswith("/data.pkl"):
            return data
    raise AssertionError("torch.save wrote no data.pkl")


def test_new_rules_are_listed() -> None:
    import weighbridge.formats.registry  # noqa: F401

    listed = {r.id: r for r in all_rules()}
    for rule_id in ("WB-PKL-014", "WB-PKL-015", "WB-PKL-016", "WB-PKL-017", "WB-PKL-018", "WB-PKL-019"):
        assert rule_id in listed and listed[rule_id].title


# --- issue 13: the fast path and the reference loop agree -------------------------------------------------
_NAMES = [
    ("collections", "OrderedDict"),
    ("os", "system"),
    ("mypkg", "Thing"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("numpy", "dtype"),
    ("sklearn.utils", "resample"),
]


def _fragment() -> st.SearchStrategy[bytes]:
    small = st.integers(0, 255)
    return st.one_of(
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12).map(u),
        st.just(MEMOIZE),
        small.map(lambda i: b"h" + bytes([i])),
        small.map(lambda i: b"q" + bytes([i])),
        small.map(lambda i: b"j" + struct.pack("<I", i)),
        small.map(lambda i: b"r" + struct.pack("<I", i)),
        st.sampled_from([(b"K", 1), (b"M", 2), (b"J", 4), (b"G", 8)]).flatmap(
            lambda opw: st.lists(st.binary(min_size=opw[1], max_size=opw[1]), min_size=1, max_size=40).map(
                lambda args: b"".join(opw[0] + a for a in args)
            )
        ),
        st.sampled_from(
            [
                b"(",
                b"u",
                b"e",
                b"}",
                b"]",
                b"N",
                b"\x85",
                b"\x86",
                b"\x87",
                b")",
                b"\x88",
                b"\x89",
                b"0",
                b"2",
                b"R",
                b"b",
                b"\x93",
                b"\x81",
                b"t",
                b"l",
                b"d",
                b"a",
                b"s",
                b"1",
                b"I12\n",
                b"I0b1\n",
                b"F1.5\n",
                b"S'x'\n",
                b"Vab\n",
            ]
        ),
        st.sampled_from(_NAMES).map(lambda mn: sg(*mn)),
        st.sampled_from(_NAMES).map(lambda mn: glob(*mn)),
        st.tuples(st.sampled_from(_NAMES), st.integers(0, 300)).map(
            lambda t: (
                sg(*t[0])
                + u("a")
                + (b"K" + bytes([t[1]]) if t[1] < 256 else b"M" + struct.pack("<H", t[1]))
                + b"\x86"
                + REDUCE
            )
        ),
        st.integers(0, 40).map(lambda n: b"\x95" + struct.pack("<Q", n)),
    )


def _run(data: bytes, fast: bool) -> tuple[Any, ...]:
    ctx = ScanContext(path="d.pkl", limits=Limits(), nested=lambda c, s, n, z: "nested")
    analyser = Analyser(ctx, io.BytesIO(data))
    analyser.fast = fast
    s = analyser.run()
    keyed = sorted(
        (
            f.rule,
            f.severity,
            None if f.rule == "WB-PKL-004" else f.location and f.location.offset,
            None if f.rule == "WB-PKL-004" else _blur(f.detail),
            _blur(f.evidence or ""),
        )
        for f in ctx.findings
    )
    return (
        s.pickles,
        s.complete,
        s.calls,
        s.globals,
        s.error is None,
        s.dangerous,
        keyed,
        [_shape(v) for v in s.values],
    )


def _blur(text: str) -> str:
    return re.sub(r"<number>|-?\d+(\.\d*)?(e[-+]?\d+)?|nan|inf", "#", text)


def _shape(value: Any) -> Any:
    """A value with numbers blurred: the fast path keeps long numeric runs as opaque placeholders."""
    if isinstance(value, tuple):
        return tuple(_shape(v) for v in value)
    if value is A.NUMBER or (isinstance(value, int | float) and not isinstance(value, bool)):
        return "number"
    if isinstance(value, str | bytes | bool) or value is None:
        return value
    return repr(value)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(_fragment(), max_size=40), header=st.booleans(), pad=st.integers(0, 40))
def test_fast_path_and_reference_loop_agree(parts: list[bytes], header: bool, pad: int) -> None:
    data = (proto(4) if header else b"") + b"N0" * pad + b"".join(parts) + STOP
    assert _run(data, True) == _run(data, False)


@pytest.mark.parametrize("obj_name", ["dict", "floats", "nested"])
def test_fast_path_and_reference_loop_agree_on_real_pickles(obj_name: str) -> None:
    import pickle

    rnd = random.Random(3)
    obj = {
        "dict": [{"id": i, "t": f"t{i}", "s": i * 0.5} for i in range(5000)],
        "floats": [rnd.random() for _ in range(20000)] + [rnd.randrange(1 << 20) for _ in range(5000)],
        "nested": {"l": [[i] * (i % 40) for i in range(2000)], "b": b"x" * 70000},
    }[obj_name]
    for protocol in (2, 4, 5):
        data = pickle.dumps(obj, protocol=protocol)
        assert _run(data, True) == _run(data, False)


_VALUES = st.one_of(
    st.integers(-(2**31), 2**31 - 1),
    st.integers(0, 300),
    st.floats(),
    st.text(max_size=8),
    st.none(),
    st.booleans(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(
        st.dictionaries(
            st.sampled_from(["id", "token", "score", "os", "system", "é"]) | st.text(max_size=6),
            _VALUES,
            max_size=6,
        ),
        max_size=40,
    ),
    protocol=st.integers(1, 5),
    cut=st.integers(0, 1 << 20),
    flip=st.integers(0, 1 << 20),
    xor=st.integers(0, 255),
    frame=st.none() | st.integers(0, 600),
)
def test_fast_path_and_reference_loop_agree_on_dict_records(
    records: list[dict[str, Any]], protocol: int, cut: int, flip: int, xor: int, frame: int | None
) -> None:
    """The record loop (runs of small dicts) against the reference loop: whole, truncated, with a frame that
    ends anywhere, and with one byte changed (memo keys, lengths and opcodes all get hit)."""
    import pickle

    data = bytearray(pickle.dumps(records, protocol=protocol))
    if frame is not None and data[2] == 0x95:  # the first frame ends anywhere: inside a record, an argument
        data[3:11] = struct.pack("<Q", frame)
    data[flip % len(data)] ^= xor
    for blob in (bytes(data), bytes(data[: cut % (len(data) + 1)])):
        assert _run(blob, True) == _run(blob, False)


def test_archive_appended_to_a_pickle_is_still_routed_as_an_archive() -> None:
    import pickle
    import zipfile

    evil = stream(gcall("os", "system", "id"), protocol=2)
    appended = F.zip_bytes(
        [("a/data.pkl", evil), ("pad.bin", bytes(range(256)) * 40)], compression=zipfile.ZIP_DEFLATED
    )
    _, findings, formats = dispatch(pickle.dumps({"a": 1}, protocol=2) + appended)
    assert "zip" in formats and "WB-PKL-001" in rules_of(findings)


@pytest.mark.parametrize("limit", ["memo", "stack", "ops"])
def test_a_payload_past_a_resource_limit_is_still_found(limit: str) -> None:
    """Stopping at a limit (memo entries, stack items, opcodes) must not hide what follows: the rest of the
    stream is scanned for spelled imports as after a break."""
    import pickle

    limits = {
        "memo": Limits(max_pickle_memo=100_000),
        "stack": Limits(max_pickle_stack=100_000),
        "ops": Limits(max_pickle_ops=500_000),
    }[limit]
    # more than one read of the analyser's input (limits are checked as it refills), no STOP
    padding = pickle.dumps([f"tok{i}" for i in range(300_000)], protocol=4)[:-1]  # MEMOIZEd strings
    if limit == "stack":
        padding = proto(4) + b"K\x01" * 300_000
    data = padding + sg("os", "system") + u("id") + TUPLE1 + REDUCE + STOP
    ctx = ScanContext(path="big.pkl", limits=limits, nested=lambda c, s, n, z: "nested")
    Analyser(ctx, io.BytesIO(data)).run()
    found = rules_of(ctx.findings)
    assert "WB-PKL-009" in found, found  # the limit is reported
    assert "WB-PKL-018" in found and worst(ctx.findings) == Severity.CRITICAL
