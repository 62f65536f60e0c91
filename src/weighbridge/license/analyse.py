"""The licence of a model or of one licence text: identification across every source, then the terms.

``analyse_file(path)`` takes a licence or policy text, a model folder or a GGUF file; ``analyse_snapshot``
takes what ``weighbridge.sources`` resolved (local folder, ``hf:``, ``ollama:``). Nothing a model contains is
executed: cards are read with ``yaml.safe_load``, GGUF files through the metadata reader, texts as text.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..core.findings import WeighbridgeError
from ..core.license import (
    Evidence,
    LicenseAnalysis,
    LicenseConflict,
    LicenseDocKind,
    LicenseIdentity,
    LicenseRole,
    LicenseSource,
    LicenseSourceKind,
    LicenseTerms,
)
from ..core.report import Snapshot, SnapshotFile, TargetKind
from ..metadata.card import MAX_CARD_BYTES, FrontMatter, read_front_matter
from ..metadata.gguf_general import is_gguf, read_gguf_general
from ..sources import resolve
from ..sources.local import resolve_local
from .families import match_link, normalize_identifier, unknown_identity
from .identify import decide, file_role, identify_text
from .profiles import profile_terms
from .terms import extract_terms
from .text import MAX_TEXT_BYTES, LicenseText

MAX_GGUF_FILES = 4
MAX_LICENSE_FILES = 32
_OLLAMA_LICENSE = re.compile(r"license(?:-\d+)?")
_SPLIT_IDS = re.compile(r"\s*(?:,|;|\s+OR\s+|\s+AND\s+|\s+WITH\s+)\s*")


@dataclass(slots=True)
class _Text:
    """A licence or policy text found among the sources, with what it says."""

    source: LicenseSource
    terms: LicenseTerms
    evidence: list[Evidence]
    identity_evidence: Evidence | None


def analyse_text(data: bytes | str, file: str) -> LicenseAnalysis:
    """The identity and terms of one licence or policy text (``file`` is the name quoted in evidence)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    found = _read_text(raw, file, LicenseSourceKind.FILE, file_role(file) or LicenseRole.GENERAL)
    evidence = ([found.identity_evidence] if found.identity_evidence else []) + found.evidence
    return LicenseAnalysis(
        identity=found.source.identity,
        terms=found.terms,
        evidence=evidence,
        sources=[found.source],
        terms_basis="text",
    )


def analyse_target(spec: str, *, download: bool = False) -> LicenseAnalysis:
    """What ``weighbridge license TARGET`` analyses: ``hf:org/name[@rev]``, ``ollama:name[:tag]`` or a path."""
    if spec.startswith(("hf:", "ollama:")):
        return analyse_snapshot(resolve(spec, download=download))
    return analyse_file(os.path.expanduser(spec))


def analyse_file(path: str | os.PathLike[str]) -> LicenseAnalysis:
    """A licence/policy text, a model card, a GGUF file or a model folder."""
    target = Path(path)
    if target.is_dir():
        return analyse_snapshot(resolve_local(str(target)))
    if not target.is_file():
        raise WeighbridgeError(f"no such file or folder: {path}")
    if is_gguf(target) or _is_card(target):
        return analyse_snapshot(resolve_local(str(target)))
    size = target.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise WeighbridgeError(
            f"{path} is not a licence text: {size} bytes (licence texts are read up to "
            f"{MAX_TEXT_BYTES} bytes)"
        )
    try:
        data = target.read_bytes()
    except OSError as exc:
        raise WeighbridgeError(f"cannot read {path}: {exc.strerror or exc}") from None
    return analyse_text(data, target.name)


def analyse_snapshot(snapshot: Snapshot) -> LicenseAnalysis:
    """The weights licence of a resolved model: every source, the decision, the conflicts and the terms."""
    sources: list[LicenseSource] = []
    texts: list[_Text] = []
    notes: list[str] = []
    card_lines: dict[int, str] = {}
    ggufs = 0
    for entry in snapshot.files:
        rel = entry.rel
        if "/" not in rel and rel.lower() == "readme.md":
            card_lines = _card(entry.abspath, rel, sources, notes)
            continue
        if rel.lower().endswith(".gguf") and ggufs < MAX_GGUF_FILES:
            ggufs += 1
            _gguf(entry, sources, notes)
            continue
        kind, role = _text_role(snapshot, rel)
        if role is None or len(texts) >= MAX_LICENSE_FILES:
            continue
        data = _read_bounded(entry.abspath, rel, notes)
        if data is not None:
            found = _read_text(data, rel, kind, role)
            texts.append(found)
            sources.append(found.source)
    return _conclude(sources, texts, notes, card_lines)


def _conclude(
    sources: list[LicenseSource], texts: list[_Text], notes: list[str], card_lines: dict[int, str]
) -> LicenseAnalysis:
    decision = decide(sources)
    chosen = decision.source
    analysis = LicenseAnalysis(
        identity=None, terms=None, sources=sources, conflicts=list(decision.conflicts), notes=notes
    )
    licences = [
        t for t in texts if t.source.role not in (LicenseRole.CODE, LicenseRole.NOTICE, LicenseRole.POLICY)
    ]
    if chosen is None or chosen.identity is None:
        fallback = licences[0] if licences else (texts[0] if texts else None)
        if fallback is None:
            if not sources:
                notes.append("no licence found: no card licence field, licence file or GGUF licence key")
            return analysis
        _from_text(analysis, fallback)
    else:
        analysis.identity = chosen.identity
        same = [
            t
            for t in licences
            if t.source.identity is not None and t.source.identity.id == chosen.identity.id
        ]
        unnamed = [t for t in licences if t.source.identity is None or t.source.identity.id is None]
        if same:
            _from_text(analysis, same[0], identity=chosen.identity)
        elif len(unnamed) == 1 and chosen.identity.family is None:
            _from_text(analysis, unnamed[0], identity=chosen.identity)
            notes.append(
                f"{chosen.identity.id} is named by {chosen.label()}; its terms are read from "
                f"{unnamed[0].source.file}, a licence text without a known title"
            )
        elif unnamed:
            # The folder's own licence text is not the licence the metadata names: the text governs.
            text = unnamed[0]
            _from_text(analysis, text)
            listed = (
                f"{chosen.label()}: {chosen.identity.id}",
                f"{text.source.label()}: {text.source.value}",
            )
            analysis.conflicts.append(
                LicenseConflict(
                    "sources-disagree",
                    f"{chosen.label()} names {chosen.identity.id}, but {text.source.file} is "
                    f"another licence ({text.source.value!r}); its text is taken as the weights licence",
                    listed,
                    None,
                )
            )
        else:
            analysis.evidence.append(_declared_evidence(chosen, card_lines))
            analysis.terms = profile_terms(chosen.identity.id)
            if analysis.terms is not None:
                analysis.terms_basis = "profile"
                notes.append(
                    f"no text of {chosen.identity.id} was found; its terms come from Weighbridge's "
                    "built-in profile of that licence"
                )
            else:
                notes.append(
                    f"no text of {chosen.identity.id} was found and it has no built-in profile: terms unknown"
                )
    _merge_policies(analysis, texts)
    return analysis


def _from_text(analysis: LicenseAnalysis, found: _Text, identity: LicenseIdentity | None = None) -> None:
    analysis.identity = identity or found.source.identity
    analysis.terms = found.terms
    analysis.terms_basis = "text"
    if found.identity_evidence is not None:
        analysis.evidence.append(found.identity_evidence)
    analysis.evidence.extend(found.evidence)


def _merge_policies(analysis: LicenseAnalysis, texts: list[_Text]) -> None:
    """Use policies incorporated by reference restrict fields of use and territories too (Llama 3.2 AUP)."""
    terms = analysis.terms
    if terms is None or not terms.acceptable_use_policy:
        return
    for policy in (t for t in texts if t.source.role is LicenseRole.POLICY):
        if policy.terms.field_of_use_restrictions:
            terms.field_of_use_restrictions = True
        for use in policy.terms.restricted_uses:
            if use not in terms.restricted_uses:
                terms.restricted_uses.append(use)
        for region in policy.terms.geographic_restrictions:
            if region not in terms.geographic_restrictions:
                terms.geographic_restrictions.append(region)
        analysis.evidence.extend(
            e for e in policy.evidence if e.term in ("field_of_use_restrictions", "geographic_restrictions")
        )


def _read_text(data: bytes, rel: str, kind: LicenseSourceKind, role: LicenseRole) -> _Text:
    doc = LicenseText.from_bytes(data, rel)
    terms, evidence = extract_terms(doc)
    identity, named = identify_text(doc, terms)
    if identity is not None and identity.kind is LicenseDocKind.POLICY:
        role = LicenseRole.POLICY
    value = identity.name if identity is not None else ""
    source = LicenseSource(
        kind=kind, file=rel, role=role, identity=identity, value=value, line=named.line if named else None
    )
    return _Text(source, terms, evidence, named)


def _text_role(snapshot: Snapshot, rel: str) -> tuple[LicenseSourceKind, LicenseRole | None]:
    if snapshot.target.kind is TargetKind.OLLAMA and _OLLAMA_LICENSE.fullmatch(rel):
        return LicenseSourceKind.OLLAMA, LicenseRole.WEIGHTS
    if rel.count("/") > 1:
        return LicenseSourceKind.FILE, None
    return LicenseSourceKind.FILE, file_role(rel)


def _read_bounded(path: str, rel: str, notes: list[str], limit: int = MAX_TEXT_BYTES) -> bytes | None:
    try:
        if not os.path.isfile(path):
            return None
        size = os.path.getsize(path)
        if size > limit:
            notes.append(f"{rel} is {size} bytes, more than the {limit} read as licence text; not read")
            return None
        with open(path, "rb") as fh:
            return fh.read(limit)
    except OSError as exc:
        notes.append(f"{rel} could not be read: {exc.strerror or exc}")
        return None


def _is_card(path: Path) -> bool:
    if path.suffix.lower() != ".md":
        return False
    try:
        with path.open("rb") as fh:
            return fh.read(4).startswith(b"---")
    except OSError:
        return False


def _card(path: str, rel: str, sources: list[LicenseSource], notes: list[str]) -> dict[int, str]:
    data = _read_bounded(path, rel, notes, MAX_CARD_BYTES)
    if data is None:
        return {}
    front = read_front_matter(data, rel)
    if not front.present and not front.problems:
        return {}
    _card_sources(front, rel, sources, notes)
    notes.extend(f"{rel}: {problem.message}" for problem in front.problems)
    if front.data.get("extra_gated_eu_disallowed") is True:
        notes.append(f"{rel}: extra_gated_eu_disallowed is set; the Hub refuses access from the EU")
    return dict(enumerate(front.card_lines[:200], 1))


def _card_sources(front: FrontMatter, rel: str, sources: list[LicenseSource], notes: list[str]) -> None:
    values = front.texts("license")
    name = front.text("license_name")
    link = front.text("license_link")
    line = front.key_lines.get("license")
    for value in values:
        if value.lower() == "other":
            if name is None and link is None:
                notes.append(f"{rel}: license is 'other' without license_name or license_link")
            continue
        identity = normalize_identifier(value) or (
            None if value.lower() == "unknown" else unknown_identity(value)
        )
        sources.append(
            LicenseSource(LicenseSourceKind.CARD, rel, LicenseRole.WEIGHTS, identity, value, line, "license")
        )
    if name is not None:
        identity = normalize_identifier(name) or unknown_identity(name)
        sources.append(
            LicenseSource(
                LicenseSourceKind.CARD,
                rel,
                LicenseRole.WEIGHTS,
                identity,
                name,
                front.key_lines.get("license_name"),
                "license_name",
            )
        )
    if link is not None:
        identity = match_link(link)
        if identity is not None:
            sources.append(
                LicenseSource(
                    LicenseSourceKind.CARD,
                    rel,
                    LicenseRole.WEIGHTS,
                    identity,
                    link,
                    front.key_lines.get("license_link"),
                    "license_link",
                )
            )


def _gguf(file: SnapshotFile, sources: list[LicenseSource], notes: list[str]) -> None:
    if not is_gguf(file.abspath):
        return
    rel = file.rel
    meta = read_gguf_general(file)
    notes.extend(f"{rel}: {problem.message}" for problem in meta.problems)
    declared = meta.text("general.license")
    if declared:
        for value in (v for v in _SPLIT_IDS.split(declared.strip("() ")) if v):
            if value.lower() == "other":
                continue
            identity = normalize_identifier(value) or unknown_identity(value, hf_tag=None)
            sources.append(
                LicenseSource(
                    LicenseSourceKind.GGUF, rel, LicenseRole.WEIGHTS, identity, value, key="general.license"
                )
            )
    name = meta.text("general.license.name")
    if name:
        identity = normalize_identifier(name) or unknown_identity(name, hf_tag=None)
        sources.append(
            LicenseSource(
                LicenseSourceKind.GGUF, rel, LicenseRole.WEIGHTS, identity, name, key="general.license.name"
            )
        )
    link = meta.text("general.license.link")
    linked = match_link(link) if link else None
    if link and linked is not None:
        sources.append(
            LicenseSource(
                LicenseSourceKind.GGUF, rel, LicenseRole.WEIGHTS, linked, link, key="general.license.link"
            )
        )


def _declared_evidence(source: LicenseSource, card_lines: dict[int, str]) -> Evidence:
    if source.kind is LicenseSourceKind.CARD and source.line is not None and source.line in card_lines:
        quote = card_lines[source.line].strip()[:300]
    else:
        quote = f"{source.key} = {source.value}" if source.key else source.value
    return Evidence("license", quote[:300], source.file, source.line, key=source.key)
