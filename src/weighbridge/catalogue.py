"""The rule catalogue: the one place that names every module defining rules.

Rules are declared with ``core.rules.define`` next to the code that reports them, which keeps a rule's text
beside its check. Such declarations only run when their module is imported, so anything that needs the whole
set (``weighbridge rules``, SARIF output, the fleet cache key) asks this module instead of importing a
hand-picked list of its own. ``tests/test_rule_catalogue.py`` fails when a module defining rules is missing
here, and when a rule id used anywhere in the source is not in the catalogue.
"""

from __future__ import annotations

import importlib

from .core.findings import Rule
from .core.rules import all_rules

#: Every module that calls ``define``; importing them all registers every rule the tool can report.
RULE_MODULES: tuple[str, ...] = (
    "weighbridge.formats.archives.compressed",
    "weighbridge.formats.archives.sevenzip",
    "weighbridge.formats.archives.tar",
    "weighbridge.formats.archives.zip",
    "weighbridge.formats.chat_template",
    "weighbridge.formats.config_targets",
    "weighbridge.formats.coreml",
    "weighbridge.formats.executable",
    "weighbridge.formats.gguf",
    "weighbridge.formats.hdf5",
    "weighbridge.formats.keras",
    "weighbridge.formats.mobile",
    "weighbridge.formats.msgpack",
    "weighbridge.formats.numpy",
    "weighbridge.formats.oci",
    "weighbridge.formats.onnx",
    "weighbridge.formats.paddle",
    "weighbridge.formats.pickle.analyser",
    "weighbridge.formats.pickle.handler",
    "weighbridge.formats.protobuf",
    "weighbridge.formats.repository",
    "weighbridge.formats.safetensors",
    "weighbridge.formats.skops",
    "weighbridge.formats.tensorflow",
    "weighbridge.formats.torchscript",
    "weighbridge.formats.torchserve",
    "weighbridge.formats.unknown",
    "weighbridge.license.findings",
    "weighbridge.scanning.dispatch",
    "weighbridge.scanning.engine",
    "weighbridge.scanning.weights",
    "weighbridge.sources.hf",
    "weighbridge.sources.local",
    "weighbridge.sources.ollama",
)

_loaded = False


def every_rule() -> list[Rule]:
    """Every rule of the tool, sorted by id (imports the defining modules once)."""
    global _loaded
    if not _loaded:
        for name in RULE_MODULES:
            importlib.import_module(name)
        _loaded = True
    return all_rules()
