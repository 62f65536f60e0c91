"""TorchServe model archives (``.mar``): a zip whose ``MAR-INF/MANIFEST.json`` names the handler.

TorchServe imports the handler module (a ``.py`` file shipped in the archive, or ``module:function``) and the
model definition file when it loads the model, and may ``pip install`` the archive's requirements file. The
archive is therefore code. The zip walk routes every member by content; this module recognises the manifest
by its keys and reports what loading the archive imports, naming the handler. Built-in TorchServe handlers
(``image_classifier``, ``text_classifier``, ...) are TorchServe's own code and are reported as information.
"""

from __future__ import annotations

from typing import BinaryIO

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from .base import FormatHandler, ScanContext, parse_json_document
from .text import sniff as text_sniff

HANDLER_CODE = define(
    "WB-MAR-001",
    Check.ARTIFACT,
    Severity.HIGH,
    "TorchServe archive runs its own handler code",
    "The archive's manifest names a custom handler (a Python file in the archive or module:function) or a "
    "model file. TorchServe imports and runs that Python code when it loads the model.",
)
REQUIREMENTS = define(
    "WB-MAR-002",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "TorchServe archive installs Python packages",
    "The manifest names a requirements file; with per-model dependency installation on, TorchServe runs pip "
    "on it when the model is registered, fetching and running package code.",
)
BUILTIN_HANDLER = define(
    "WB-MAR-003",
    Check.ARTIFACT,
    Severity.INFO,
    "TorchServe archive uses a built-in handler",
    "The manifest names one of TorchServe's own handlers; no handler code ships with the archive.",
)
BAD_MANIFEST = define(
    "WB-MAR-004",
    Check.ARTIFACT,
    Severity.HIGH,
    "TorchServe manifest could not be read",
    "MAR-INF/MANIFEST.json is not valid JSON or has no model section, so what the archive makes TorchServe "
    "import was not established; archives carry code, so this is not reported clean.",
)

BUILTIN_HANDLERS = frozenset(
    {"image_classifier", "object_detector", "text_classifier", "image_segmenter", "text_embedder"}
)


def _sniff(head: bytes, name: str) -> bool:
    if head.lstrip()[:1] != b"{" or b'"modelName"' not in head:
        return False
    return (b'"handler"' in head or b'"archiverVersion"' in head) and text_sniff(head, name)


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    ctx.formats.append("torchserve-manifest")
    raw = stream.read(ctx.limits.max_header_bytes + 1)
    parsed, manifest = parse_json_document(ctx, raw, BAD_MANIFEST, "manifest")
    if not parsed:
        return
    model = manifest.get("model") if isinstance(manifest, dict) else None
    if not isinstance(model, dict):
        ctx.report(
            BAD_MANIFEST,
            "manifest has no model section",
            location=Location(offset=0),
            evidence=raw[:120].decode("utf-8", "replace"),
        )
        return
    name = model.get("modelName", "?")
    handler = model.get("handler")
    if isinstance(handler, str) and handler:
        evidence = f'"handler": "{handler}"'
        if handler in BUILTIN_HANDLERS:
            ctx.report(
                BUILTIN_HANDLER,
                f"model {name!r} uses TorchServe's built-in handler {handler!r}",
                location=Location(key="model.handler"),
                evidence=evidence,
            )
        else:
            ctx.report(
                HANDLER_CODE,
                f"model {name!r}: TorchServe imports and runs handler {handler!r} from the "
                "archive when it loads the model",
                location=Location(key="model.handler"),
                evidence=evidence,
            )
    model_file = model.get("modelFile")
    if isinstance(model_file, str) and model_file:
        ctx.report(
            HANDLER_CODE,
            f"model {name!r}: TorchServe imports model file {model_file!r}",
            location=Location(key="model.modelFile"),
            evidence=f'"modelFile": "{model_file}"',
        )
    requirements = model.get("requirementsFile")
    if isinstance(requirements, str) and requirements:
        ctx.report(
            REQUIREMENTS,
            f"model {name!r} installs the packages listed in {requirements!r}",
            location=Location(key="model.requirementsFile"),
            evidence=f'"requirementsFile": "{requirements}"',
        )


# The manifest is JSON text: the file's format stays "text" (what a .json name promises); the manifest
# itself is recorded in the file's format list.
TORCHSERVE_MANIFEST_HANDLER = FormatHandler(name="text", sniff=_sniff, scan=_scan)
