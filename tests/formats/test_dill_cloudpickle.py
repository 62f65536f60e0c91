"""dill and cloudpickle pickles rebuild functions and classes from code objects: their helpers are critical.

The streams are written as opcodes in the shapes dill 0.3.x and cloudpickle 2/3 produce for a lambda, a
by-value module function and a dynamic class; nothing is unpickled.
"""

from __future__ import annotations

import pytest
from tests.corpus.pickles import Raw, call, glob, sg, stream
from tests.formats.helpers_scan import scan_bytes, worst

from weighbridge.core.findings import Severity

CODE_ARGS = (
    1,
    0,
    0,
    1,
    2,
    67,
    b"\x97\x00|\x00d\x01z\x00\x00\x00S\x00",
    (None, 1),
    (),
    ("x",),
    "<stdin>",
    "<lambda>",
)

DILL = {
    "dill_create_function": stream(
        call(
            sg("dill._dill", "_create_function"),
            Raw(call(sg("dill._dill", "_create_code"), *CODE_ARGS)),
            {},
            "<lambda>",
        )
    ),
    "dill_load_type_codetype": stream(call(call(sg("dill._dill", "_load_type"), "CodeType"), *CODE_ARGS)),
    "dill_create_type": stream(
        call(
            sg("dill._dill", "_create_type"),
            Raw(call(sg("dill._dill", "_load_type"), "type")),
            "Evil",
            (),
            {},
        )
    ),
    "dill_import_module": stream(call(sg("dill._dill", "_import_module"), "os")),
    "dill_get_attr": stream(
        call(sg("dill._dill", "_get_attr"), Raw(call(sg("dill._dill", "_import_module"), "os")), "system")
    ),
    "dill_eval_repr": stream(call(sg("dill._dill", "_eval_repr"), "__import__('os')")),
    "dill_create_cell": stream(call(sg("dill._dill", "_create_cell"), None)),
    "dill_protocol2_global": stream(call(glob("dill._dill", "_create_code"), *CODE_ARGS), protocol=2),
    "dill_legacy_module_name": stream(call(glob("dill.dill", "_create_function"), None, {}), protocol=2),
}
CLOUDPICKLE = {
    "cloudpickle_make_function": stream(
        call(
            sg("cloudpickle.cloudpickle", "_make_function"),
            Raw(call(call(sg("cloudpickle.cloudpickle", "_builtin_type"), "CodeType"), *CODE_ARGS)),
            {},
            None,
            None,
            None,
        )
    ),
    "cloudpickle_builtin_type": stream(call(sg("cloudpickle.cloudpickle", "_builtin_type"), "CodeType")),
    "cloudpickle_subimport": stream(call(sg("cloudpickle.cloudpickle", "subimport"), "os")),
    "cloudpickle_dynamic_subimport": stream(
        call(sg("cloudpickle.cloudpickle", "dynamic_subimport"), "m", {})
    ),
    "cloudpickle_skeleton_class": stream(
        call(
            sg("cloudpickle.cloudpickle", "_make_skeleton_class"),
            Raw(call(sg("cloudpickle.cloudpickle", "_builtin_type"), "type")),
            "Evil",
            (),
            {},
            "id",
            None,
        )
    ),
    "cloudpickle_fast_function_setstate": stream(
        call(sg("cloudpickle.cloudpickle_fast", "_function_setstate"), None, None)
    ),
    "cloudpickle_fill_function_v1": stream(
        call(glob("cloudpickle.cloudpickle", "_fill_function"), None, {}), protocol=2
    ),
    "cloudpickle_make_skel_func_v1": stream(
        call(glob("cloudpickle.cloudpickle", "_make_skel_func"), None, 0, {}), protocol=2
    ),
}


@pytest.mark.parametrize("name", sorted(DILL | CLOUDPICKLE))
def test_dill_and_cloudpickle_helpers_are_critical(name: str) -> None:
    data = (DILL | CLOUDPICKLE)[name]
    fmt, findings = scan_bytes(data, "model.pkl")
    assert fmt == "pickle"
    assert worst(findings) == Severity.CRITICAL, [(f.rule, f.detail) for f in findings]
    module = "dill" if name.startswith("dill") else "cloudpickle"
    assert any(module in f.detail for f in findings if f.severity == Severity.CRITICAL)


def test_real_cloudpickle_of_a_lambda_is_critical() -> None:
    cloudpickle = pytest.importorskip("cloudpickle")
    data = cloudpickle.dumps(lambda x: x + 1)  # dumping builds bytes; nothing is ever loaded
    _, findings = scan_bytes(data, "fn.pkl")
    assert worst(findings) == Severity.CRITICAL
