"""CycloneDX 1.6 AI-BOM (JSON) of an inspected model, built with ``cyclonedx-python-lib``.

Shape of the document:

* ``metadata.component``: the model, a ``machine-learning-model`` component. Its version is the revision, else
  the OMS-style manifest digest (``sha256:…``, also kept as the ``weighbridge:manifest-digest`` property);
  supplier and publisher are the publisher found by provenance; the licence is an SPDX id when the weights
  licence has one, else a named licence (name, link when one is stated, acknowledgement ``declared``);
  every file is a ``file`` sub-component with its SHA-256; source URLs are external references; licence
  terms, scan verdict and openness are ``weighbridge:``-namespaced properties.
* ``components``: one ``machine-learning-model`` component per ancestor (base model, quantization source…),
  with its relation as a property. The model's ``pedigree.ancestors`` lists the same models, and the
  dependency graph links each model to the ones it derives from.
* ``modelCard`` on the model: task, architecture, datasets, metrics and considerations from the card and
  config. ``cyclonedx-python-lib`` 11 has no ``modelCard`` (``Component.model_card`` is a commented-out TODO),
  so :func:`attach_model_card` adds it to the serialized JSON; everything else comes from the library.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from typing import Any

from cyclonedx.exception.model import InvalidUriException
from cyclonedx.model import (
    ExternalReference,
    ExternalReferenceType,
    HashAlgorithm,
    HashType,
    Property,
    XsUri,
)
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType, Pedigree
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.license import DisjunctiveLicense, License, LicenseAcknowledgement
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.spdx import is_supported_id
from packageurl import PackageURL

from ..core.license import LicenseAnalysis
from ..core.provenance import Ancestor, CardSection, ModelCard, Party, Provenance
from ..core.report import Report, Snapshot, SnapshotFile, TargetKind
from ..provenance.configs import read_configs

NS = "weighbridge"
MODEL_REF = "model"
_HUB = re.compile(r"^https://huggingface\.co/([A-Za-z0-9][\w.-]*)/([A-Za-z0-9][\w.-]*)/?$")
_SECTION_TEXT_LIMIT = 500
# Card headings whose text fills ``modelCard.considerations`` (matched on the lowercased title).
_USE_CASES = re.compile(r"\b(intended|direct|downstream) uses?\b|\buse cases?\b|^uses$")
_LIMITATIONS = re.compile(r"limitation|out[- ]of[- ]scope")
_RISKS = re.compile(r"\bbias|\brisks?\b|ethic")


def render_cyclonedx(report: Report) -> str:
    """The report as a CycloneDX 1.6 JSON AI-BOM (a valid document under the strict 1.6 schema)."""
    bom = build_bom(report)
    serialized: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())
    head = ("$schema", "bomFormat", "specVersion", "serialNumber", "version")
    document = {
        **{k: serialized[k] for k in head if k in serialized},
        **{k: v for k, v in serialized.items() if k not in head},
    }
    card = model_card(report)
    if card:
        attach_model_card(document, MODEL_REF, card)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def build_bom(report: Report) -> Bom:
    """Everything the library models: the model, its files, licence, lineage, references and properties."""
    prov = report.provenance
    group, name = _model_name(report)
    ancestors = {a.model: _ancestor_component(a, f"ancestor/{i}") for i, a in enumerate(_lineage(prov))}
    model = Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref=MODEL_REF,
        name=name,
        group=group,
        version=_model_version(report),
        supplier=_organization(prov.publisher) if prov and prov.publisher else None,
        publisher=prov.publisher.name if prov and prov.publisher else None,
        licenses=_licenses(report.license, prov),
        purl=_hub_purl(group, name, report.target.revision) if group else None,
        external_references=_source_references(prov),
        properties=_model_properties(report),
        components=[_file_component(f.path, f.sha256, f.format, f.size) for f in report.files],
        pedigree=Pedigree(
            ancestors=[_ancestor_component(a, f"pedigree/{i}") for i, a in enumerate(_lineage(prov))]
        )
        if ancestors
        else None,
    )
    bom = Bom(components=ancestors.values())
    bom.metadata.component = model
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="weighbridge", version=report.tool_version)
    )
    for ancestor in _lineage(prov):
        child = ancestors.get(ancestor.child) if ancestor.child is not None else None
        bom.register_dependency(child or model, [ancestors[ancestor.model]])
    bom.register_dependency(model)
    return bom


def attach_model_card(document: dict[str, Any], bom_ref: str, card: dict[str, Any]) -> None:
    """Add ``modelCard`` to the component ``bom_ref`` of a serialized CycloneDX document, in place.

    ``cyclonedx-python-lib`` does not model ``modelCard`` yet; this is the one field written outside it. The
    component is looked up in ``metadata.component``, ``components`` and their nested components.
    """
    for component in _walk(document):
        if component.get("bom-ref") == bom_ref:
            if component.get("type") != ComponentType.MACHINE_LEARNING_MODEL.value:
                raise ValueError(
                    f"modelCard only belongs on a machine-learning-model component, not {bom_ref!r}"
                )
            component["modelCard"] = card
            return
    raise KeyError(f"no component with bom-ref {bom_ref!r} in the document")


def model_card(report: Report) -> dict[str, Any]:
    """The CycloneDX ``modelCard`` object from the card, the configs and GGUF metadata (empty when none)."""
    prov = report.provenance
    card = prov.card if prov is not None else None
    params: dict[str, Any] = {}
    if card is not None and card.pipeline_tag:
        params["task"] = card.pipeline_tag
    family, architecture = _architecture(report)
    if family:
        params["architectureFamily"] = family
    if architecture:
        params["modelArchitecture"] = architecture
    if card is not None and card.datasets:
        params["datasets"] = [
            {"type": "dataset", "name": d, "description": f"listed in {card.file} datasets"}
            for d in card.datasets
        ]
    out: dict[str, Any] = {}
    if params:
        out["modelParameters"] = params
    if card is None:
        return {"bom-ref": f"{MODEL_REF}/model-card", **out} if out else {}
    metrics = [
        {"type": r.metric or "metric", "value": r.value, **({"slice": r.dataset} if r.dataset else {})}
        for r in card.eval_results
        if r.value
    ]
    if metrics:
        out["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    considerations = _considerations(card)
    if considerations:
        out["considerations"] = considerations
    props = [
        *(_prop("card:language", lang) for lang in card.language),
        *(_prop("card:tag", tag) for tag in card.tags),
    ]
    if card.library_name:
        props.append(_prop("card:library-name", card.library_name))
    if card.base_model_relation:
        props.append(_prop("card:base-model-relation", card.base_model_relation))
    if props:
        out["properties"] = [{"name": p.name, "value": p.value} for p in props]
    return {"bom-ref": f"{MODEL_REF}/model-card", **out} if out else {}


# --- the model component ---


def _model_name(report: Report) -> tuple[str | None, str]:
    """(group, name): the Hugging Face repo when known, else the card's or GGUF's name, else the path's."""
    prov = report.provenance
    if prov is not None:
        for url in prov.source_urls:
            hub = _HUB.match(url.url)
            if url.role == "artifact" and hub is not None:
                return hub.group(1), hub.group(2)
        if prov.card is not None and prov.card.model_name:
            return None, prov.card.model_name
        for gguf in prov.gguf:
            stated = gguf.text("general.name")
            if stated:
                return None, stated
    return None, os.path.basename(os.path.normpath(report.target.path)) or report.target.input


def _model_version(report: Report) -> str | None:
    if report.target.revision:
        return report.target.revision
    return f"sha256:{report.manifest_digest}" if report.manifest_digest else None


def _organization(party: Party) -> OrganizationalEntity:
    return OrganizationalEntity(name=party.name)


def _hub_purl(group: str, name: str, revision: str | None) -> PackageURL:
    return PackageURL(type="huggingface", namespace=group, name=name, version=revision)


def _licenses(analysis: LicenseAnalysis | None, prov: Provenance | None) -> list[License]:
    identity = analysis.identity if analysis is not None else None
    if identity is None:
        return []
    if identity.spdx and is_supported_id(identity.spdx):
        return [DisjunctiveLicense(id=identity.spdx, acknowledgement=LicenseAcknowledgement.DECLARED)]
    link = _license_link(analysis, prov)
    return [DisjunctiveLicense(name=identity.name, url=link, acknowledgement=LicenseAcknowledgement.DECLARED)]


def _license_link(analysis: LicenseAnalysis | None, prov: Provenance | None) -> XsUri | None:
    """The licence's URL as stated: the card's ``license_link``, GGUF ``general.license.link``, a source."""
    candidates: list[str] = []
    if prov is not None and prov.card is not None and prov.card.license_link:
        candidates.append(prov.card.license_link)
    for gguf in prov.gguf if prov is not None else ():
        link = gguf.text("general.license.link")
        if link:
            candidates.append(link)
    if analysis is not None:
        candidates.extend(
            s.value for s in analysis.sources if s.key in ("license_link", "general.license.link")
        )
    return next((uri for uri in map(_uri, candidates) if uri is not None), None)


def _uri(text: str) -> XsUri | None:
    text = text.strip()
    if not text.startswith(("https://", "http://")):
        return None
    try:
        return XsUri(text)
    except InvalidUriException:
        return None


_URL_ROLES = {
    "artifact": (ExternalReferenceType.DISTRIBUTION, "where this model is published"),
    "source": (ExternalReferenceType.DISTRIBUTION, "the model this artifact was converted from"),
    "base-model": (ExternalReferenceType.OTHER, "a model this one derives from"),
}


def _source_references(prov: Provenance | None) -> list[ExternalReference]:
    out: list[ExternalReference] = []
    for source in prov.source_urls if prov is not None else ():
        uri = _uri(source.url)
        if uri is None:
            continue
        kind, comment = _URL_ROLES.get(source.role, (ExternalReferenceType.OTHER, source.role))
        out.append(ExternalReference(type=kind, url=uri, comment=f"{NS} role {source.role}: {comment}"))
    return out


def _file_component(path: str, sha256: str | None, fmt: str, size: int) -> Component:
    return Component(
        type=ComponentType.FILE,
        bom_ref=f"{MODEL_REF}/file/{path}",
        name=path,
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=sha256)] if sha256 else None,
        properties=[_prop("file:format", fmt), _prop("file:size", str(size))],
    )


def _model_properties(report: Report) -> list[Property]:
    props: list[Property] = []
    if report.manifest_digest:
        props.append(_prop("manifest-digest", f"sha256:{report.manifest_digest}"))
    top = report.max_severity
    props.append(_prop("scan:verdict", top.label if top is not None else "clean"))
    props.extend(_prop(f"scan:findings:{label}", str(n)) for label, n in report.counts().items())
    props.append(_prop("scan:tool-version", report.tool_version))
    props.extend(_license_properties(report.license))
    prov = report.provenance
    if prov is not None:
        props.extend(_prop("quantized-by", p.name) for p in prov.quantized_by)
        if prov.publisher is not None and prov.publisher.country:
            props.append(_prop("publisher:country", prov.publisher.country))
    if report.openness is not None:
        props.append(_prop("openness:mof", report.openness.mof.label))
        props.append(_prop("openness:osaid", report.openness.osaid.verdict))
    return props


def _license_properties(analysis: LicenseAnalysis | None) -> Iterator[Property]:
    if analysis is None:
        return
    identity = analysis.identity
    if identity is not None:
        yield from (
            _prop(f"license:{key}", value)
            for key, value in (("id", identity.id), ("spdx", identity.spdx), ("version", identity.version))
            if value
        )
        yield _prop("license:osi-approved", _text(identity.osi_approved))
    yield _prop("license:terms-basis", analysis.terms_basis)
    if analysis.terms is not None:
        for key, value in analysis.terms.to_dict().items():
            if value is None or value == []:
                continue
            yield _prop(f"license:{key.replace('_', '-')}", _text(value))
    for evidence in analysis.evidence:
        where = f"{evidence.file}:{evidence.line}" if evidence.line is not None else evidence.file
        yield _prop(f"license:evidence:{evidence.term.replace('_', '-')}", f"{where}: {evidence.quote}")


# --- lineage ---


def _lineage(prov: Provenance | None) -> tuple[Ancestor, ...]:
    """Ancestors, first mention of each model kept (the graph needs one component per model)."""
    seen: set[str] = set()
    out: list[Ancestor] = []
    for ancestor in prov.lineage if prov is not None else ():
        if ancestor.model not in seen:
            seen.add(ancestor.model)
            out.append(ancestor)
    return tuple(out)


def _ancestor_component(ancestor: Ancestor, bom_ref: str) -> Component:
    group: str | None = None
    name = ancestor.model
    if ancestor.repo_id is not None and "/" in ancestor.repo_id:
        group, name = ancestor.repo_id.split("/", 1)
    props = [
        _prop("lineage:relation", ancestor.relation),
        _prop("lineage:relation-basis", ancestor.relation_basis),
        _prop("lineage:derived-by", ancestor.child or "this model"),
    ]
    props.extend(_prop("lineage:cited-in", _cite(c.file, c.line, c.key)) for c in ancestor.citations)
    uri = _uri(ancestor.url) if ancestor.url else None
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref=bom_ref,
        name=name,
        group=group,
        supplier=_organization(ancestor.publisher) if ancestor.publisher else None,
        publisher=ancestor.publisher.name if ancestor.publisher else None,
        purl=_hub_purl(group, name, None) if group else None,
        external_references=[ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=uri)]
        if uri
        else None,
        properties=props,
    )


def _cite(file: str | None, line: int | None, key: str | None) -> str:
    where = file or "target"
    if line is not None:
        where += f":{line}"
    return f"{where} [{key}]" if key else where


# --- model card ---


def _architecture(report: Report) -> tuple[str | None, str | None]:
    """(family, architecture): ``config.json`` ``model_type`` and ``architectures[0]``, else GGUF
    ``general.architecture`` (a family such as ``llama``)."""
    root = report.target.path
    names = {f.path for f in report.files}
    if (
        report.target.kind in (TargetKind.FOLDER, TargetKind.HF)
        and os.path.isdir(root)
        and "config.json" in names
    ):
        facts = read_configs(_config_snapshot(report, root))
        if facts.model_type or facts.architectures:
            return facts.model_type, facts.architectures[0] if facts.architectures else None
    for gguf in report.provenance.gguf if report.provenance is not None else ():
        family = gguf.text("general.architecture")
        if family:
            return family, None
    return None, None


def _config_snapshot(report: Report, root: str) -> Snapshot:
    """A snapshot with only ``config.json``, for ``read_configs`` (which reads a bounded, small file)."""
    config = SnapshotFile(rel="config.json", abspath=os.path.join(root, "config.json"))
    return Snapshot(target=report.target, root=root, files=(config,))


def _considerations(card: ModelCard) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section in card.sections:
        title = section.title.strip().lower()
        text = _section_text(card, section)
        if not text:
            continue
        if _USE_CASES.search(title):
            out.setdefault("useCases", []).append(text)
        elif _LIMITATIONS.search(title):
            out.setdefault("technicalLimitations", []).append(text)
        elif _RISKS.search(title):
            out.setdefault("ethicalConsiderations", []).append(
                {"name": section.title.strip(), "mitigationStrategy": text}
            )
    return out


def _section_text(card: ModelCard, section: CardSection) -> str:
    """The first paragraph under a heading (prose only, bounded), or "" when there is none."""
    lines = card.body.splitlines()
    start = section.line - card.body_line + 1
    if start < 1 or start > len(lines):
        return ""
    paragraph: list[str] = []
    in_code = False
    for line in lines[start:]:
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            if paragraph:
                break
            continue
        if in_code:
            continue
        if stripped.startswith("#"):
            break
        if not stripped:
            if paragraph:
                break
            continue
        paragraph.append(stripped)
    text = " ".join(paragraph)
    return text if len(text) <= _SECTION_TEXT_LIMIT else text[: _SECTION_TEXT_LIMIT - 1].rstrip() + "…"


# --- helpers ---


def _prop(name: str, value: str) -> Property:
    return Property(name=f"{NS}:{name}", value=value)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _walk(document: dict[str, Any]) -> Iterable[dict[str, Any]]:
    stack: list[dict[str, Any]] = []
    metadata = document.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("component"), dict):
        stack.append(metadata["component"])
    stack.extend(c for c in document.get("components", []) if isinstance(c, dict))
    while stack:
        component = stack.pop()
        yield component
        stack.extend(c for c in component.get("components", []) if isinstance(c, dict))
