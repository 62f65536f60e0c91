"""Core ML models (``.mlmodel`` protobuf, also inside ``.mlpackage`` folders), recognised by structure.

Core ML runs a fixed set of layer types; a model can instead name Objective-C/Swift classes the application
must supply: a ``CustomModel`` (the whole model) or ``CustomLayerParams`` layers in a neural network (high,
with the class name). ``LinkedModel`` loads another compiled model by file name and search path (absolute or
``..`` paths are high). Pipelines are walked model by model. An ``.mlpackage``'s ``Manifest.json`` is checked
for item paths that leave the package.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from .base import FormatHandler, ScanContext, parse_json_document
from .protobuf import LEN, VARINT, Field, ProtobufError, WireReader, parse_head
from .text import sniff as text_sniff

CUSTOM_CLASS = define(
    "WB-COREML-001",
    Check.ARTIFACT,
    Severity.HIGH,
    "Core ML model needs custom code",
    "The model is a CustomModel or has custom layers: Core ML instantiates the named class from the "
    "application, so running it runs native code supplied for this model rather than Core ML's own layers.",
)
LINKED_MODEL = define(
    "WB-COREML-002",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Core ML model links another model file",
    "A LinkedModel loads another compiled model by name and search path when it runs; that file was not "
    "part of this scan. Absolute, '..' or URL paths are high.",
)
MALFORMED = define(
    "WB-COREML-003",
    Check.ARTIFACT,
    Severity.HIGH,
    "Core ML model could not be parsed",
    "The model protobuf is truncated or invalid, so custom classes and linked models were not established.",
)
PACKAGE_PATH = define(
    "WB-COREML-004",
    Check.ARTIFACT,
    Severity.HIGH,
    "mlpackage item path leaves the package",
    "An item of the .mlpackage manifest has an absolute or '..' path: opening the package reads a file "
    "outside it as the model or its weights.",
)

MODEL_TYPES = frozenset(
    {
        200,
        201,
        202,
        300,
        301,
        302,
        303,
        304,
        400,
        401,
        402,
        403,
        404,
        500,
        501,
        502,
        555,
        556,
        560,
        600,
        601,
        602,
        603,
        604,
        606,
        607,
        609,
        610,
        900,
        2000,
        2001,
        2002,
        2003,
        2004,
        2005,
        2006,
        2007,
        3000,
        3001,
        3002,
        3003,
    }
)
NEURAL_NETWORKS = frozenset({303, 403, 500})
PIPELINES = {200: 1, 201: 1, 202: None}  # PipelineClassifier/Regressor wrap a Pipeline in field 1
DESCRIPTION_FIELDS = frozenset({1, 10, 11, 12, 50, 100, 101, 102, 103})
MAX_DEPTH = 48
MAX_REPORTS = 20


def _sniff(head: bytes, name: str) -> bool:
    parsed = parse_head(head, whole=False)
    if parsed is None or len(parsed.fields) < 2:
        return False
    version, description = parsed.fields[0], parsed.fields[1]
    if (version.number, version.wire_type) != (1, VARINT) or not 1 <= version.value <= 20:
        return False
    if (description.number, description.wire_type) != (2, LEN):
        return False
    inner = parse_head(
        head[description.value_offset : min(description.end, len(head))], whole=description.end <= len(head)
    )
    if inner is None or any(f.number not in DESCRIPTION_FIELDS for f in inner.fields):
        return False
    return any(f.number in MODEL_TYPES for f in parsed.fields[2:]) or description.end > len(head)


class _Walker:
    def __init__(self, ctx: ScanContext, reader: WireReader) -> None:
        self.ctx = ctx
        self.r = reader
        self.reports = 0

    def text(self, f: Field, cap: int = 1024) -> str:
        value, cut = self.r.string(f, cap)
        return value + "…" if cut else value

    def report(
        self, rule: Any, detail: str, offset: int, evidence: str, severity: Severity | None = None
    ) -> None:
        self.reports += 1
        if self.reports <= MAX_REPORTS:
            self.ctx.report(
                rule, detail, location=Location(offset=offset), evidence=evidence, severity=severity
            )

    def model(self, start: int, end: int, depth: int, path: str) -> None:
        for f in self.r.fields(start, end, depth, MAX_DEPTH):
            if f.wire_type != LEN:
                continue
            if f.number == 555:
                self.custom(f, depth + 1, f"{path}CustomModel", 10)
            elif f.number == 556:
                self.linked(f, depth + 1, path)
            elif f.number in NEURAL_NETWORKS:
                self.network(f, depth + 1, path)
            elif f.number in PIPELINES:
                self.pipeline(f, depth + 1, path, PIPELINES[f.number])

    def pipeline(self, p: Field, depth: int, path: str, wrapper: int | None) -> None:
        if wrapper is not None:
            for f in self.r.fields(p.value_offset, p.end, depth, MAX_DEPTH):
                if f.number == wrapper and f.wire_type == LEN:
                    self.pipeline(f, depth + 1, path, None)
            return
        for i, f in enumerate(self.r.fields(p.value_offset, p.end, depth, MAX_DEPTH)):
            if f.number == 1 and f.wire_type == LEN:
                self.model(f.value_offset, f.end, depth + 1, f"{path}pipeline[{i}].")

    def network(self, n: Field, depth: int, path: str) -> None:
        for f in self.r.fields(n.value_offset, n.end, depth, MAX_DEPTH):
            if f.number == 1 and f.wire_type == LEN:  # NeuralNetworkLayer
                name = ""
                for g in self.r.fields(f.value_offset, f.end, depth + 1, MAX_DEPTH):
                    if g.number == 1 and g.wire_type == LEN:
                        name = self.text(g, 256)
                    elif g.number == 500 and g.wire_type == LEN:
                        self.custom(g, depth + 2, f"{path}layer {name!r}", 10)

    def custom(self, c: Field, depth: int, what: str, class_field: int) -> None:
        class_name = ""
        for f in self.r.fields(c.value_offset, c.end, depth, MAX_DEPTH):
            if f.number == class_field and f.wire_type == LEN:
                class_name = self.text(f, 256)
        self.report(
            CUSTOM_CLASS,
            f"{what} is implemented by application class {class_name or '(unnamed)'!r}",
            c.offset,
            f"className={class_name!r}",
        )

    def linked(self, lm: Field, depth: int, path: str) -> None:
        from .tensorflow import escaping_path

        values: list[str] = []
        for f in self.r.fields(lm.value_offset, lm.end, depth, MAX_DEPTH):  # linkedModelFile = 1
            if f.number == 1 and f.wire_type == LEN:
                for g in self.r.fields(
                    f.value_offset, f.end, depth + 1, MAX_DEPTH
                ):  # file name 1, search path 2
                    if g.wire_type == LEN:
                        for h in self.r.fields(g.value_offset, g.end, depth + 2, MAX_DEPTH):
                            if h.number == 1 and h.wire_type == LEN:
                                values.append(self.text(h))
        bad = [(v, why) for v in values if (why := escaping_path(v)) is not None]
        severity = Severity.HIGH if bad else None
        self.report(
            LINKED_MODEL,
            f"{path}LinkedModel loads {values[:2]!r}" + (f" ({bad[0][1]})" if bad else ""),
            lm.offset,
            f"linkedModelFile={values[:2]!r}",
            severity,
        )


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    reader = WireReader(stream)
    try:
        _Walker(ctx, reader).model(0, reader.size, 0, "")
    except ProtobufError as exc:
        ctx.report(
            MALFORMED,
            f"Core ML protobuf invalid: {exc.reason}",
            location=Location(offset=exc.offset),
            evidence=f"stopped at byte {exc.offset} of {reader.size}",
        )


# -- .mlpackage Manifest.json ---------------------------------------------------------------------------------


def _sniff_manifest(head: bytes, name: str) -> bool:
    return head.lstrip()[:1] == b"{" and b'"itemInfoEntries"' in head and text_sniff(head, name)


def _scan_manifest(ctx: ScanContext, stream: BinaryIO) -> None:
    from .tensorflow import escaping_path

    ctx.formats.append("mlpackage-manifest")
    raw = stream.read(ctx.limits.max_header_bytes + 1)
    parsed, doc = parse_json_document(ctx, raw, MALFORMED, "mlpackage manifest", severity=Severity.MEDIUM)
    if not parsed:
        return
    entries = doc.get("itemInfoEntries") if isinstance(doc, dict) else None
    if not isinstance(entries, dict):
        return
    for key, item in list(entries.items())[:10_000]:
        path = item.get("path") if isinstance(item, dict) else None
        why = escaping_path(path) if isinstance(path, str) else None
        if why is not None:
            ctx.report(
                PACKAGE_PATH,
                f"item {key} path is {why}: {path!r}",
                location=Location(key=f"itemInfoEntries.{key}"),
                evidence=str(path)[:200],
            )


COREML_HANDLER = FormatHandler(name="coreml", sniff=_sniff, scan=_scan, needs_seek=True)
# The manifest is JSON text: the file's format stays "text"; "mlpackage-manifest" is in its format list.
MLPACKAGE_MANIFEST_HANDLER = FormatHandler(name="text", sniff=_sniff_manifest, scan=_scan_manifest)
