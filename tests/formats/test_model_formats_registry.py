"""The structure-detected model formats are registered with the sniffer and listed by `weighbridge rules`."""

from __future__ import annotations

from typer.testing import CliRunner

from weighbridge.cli.main import app
from weighbridge.formats.lazy import LAZY_ENTRIES, real_handler
from weighbridge.formats.model_formats import MODEL_FORMAT_HANDLERS
from weighbridge.formats.registry import HANDLERS

PREFIXES = (
    "WB-TF-",
    "WB-EXE-",
    "WB-CFG-",
    "WB-MAR-",
    "WB-SKOPS-",
    "WB-TFL-",
    "WB-PTE-",
    "WB-OCI-",
    "WB-PADDLE-",
    "WB-COREML-",
    "WB-MSGPACK-",
)


def test_every_model_format_handler_is_in_the_sniff_order() -> None:
    stood_for = [real_handler(entry.module, entry.attribute) for entry in LAZY_ENTRIES]
    start = stood_for.index(MODEL_FORMAT_HANDLERS[0])
    assert tuple(stood_for[start : start + len(MODEL_FORMAT_HANDLERS)]) == MODEL_FORMAT_HANDLERS
    names = [h.name for h in HANDLERS]
    # protobuf shapes must be tried before the ONNX and generic protobuf probes
    assert names.index("tf-savedmodel") < names.index("onnx") < names.index("protobuf")


def test_rules_command_lists_the_new_rules() -> None:
    result = CliRunner().invoke(app, ["rules"])
    assert result.exit_code == 0
    for prefix in PREFIXES:
        assert prefix in result.output, prefix
