"""Which licence a text is, and which licence a model is under when its card, files and metadata disagree.

``identify_text`` names one licence or policy text (SPDX XML attributes, then its title, then short
fingerprints). ``decide`` picks the weights licence among all sources: a file that says it covers the
model, then a model-specific licence text, then what the card or GGUF declares, then a generic LICENSE file
(in model repositories a generic software licence often covers the code only). Disagreements are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..core.license import (
    Evidence,
    LicenseConflict,
    LicenseDocKind,
    LicenseIdentity,
    LicenseRole,
    LicenseSource,
    LicenseSourceKind,
    LicenseTerms,
    OutputTraining,
)
from .families import by_id, match_title, normalize_identifier
from .text import LicenseText

_TEXT_EXTENSIONS = frozenset({"", ".md", ".txt", ".rst", ".markdown"})
_LICENSE_NAME = re.compile(
    r"licen[cs]e|copying|notice|use[-_ ]?policy|usage[-_ ]?policy|acceptable[-_ ]use|"
    r"terms[-_ ]of[-_ ]use",
    re.IGNORECASE,
)
_POLICY_NAME = re.compile(r"use[-_ ]?policy|usage[-_ ]?policy|acceptable[-_ ]use|prohibited", re.IGNORECASE)
_CODE_NAME = re.compile(r"code|software|source", re.IGNORECASE)
_WEIGHTS_NAME = re.compile(r"model|weight|checkpoint", re.IGNORECASE)
_POLICY_TITLE = re.compile(
    r"acceptable\s+use\s+policy|usage\s+policy|\buse\s+policy|prohibited\s+use", re.IGNORECASE
)
_VERSION = re.compile(r"\bversion[:\s]+v?(\d+(?:\.\d+)+)", re.IGNORECASE)
_MODIFIED = re.compile(
    r"\bmodified\s+(?:mit|apache|bsd)\b|\b(?:our|the)\s+only\s+modification|"
    r"\bwith\s+the\s+following\s+(?:modifications|additions)",
    re.IGNORECASE,
)

# Short fingerprints (<= 12 words each, our own selection) for texts without a usable title.
_FINGERPRINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "apache-2.0",
        (
            r"apache\s+licen[cs]e",
            r"terms\s+and\s+conditions\s+for\s+use,\s+reproduction,\s+and\s+"
            r"distribution",
            r"version\s+2\.0",
        ),
    ),
    (
        "mit",
        (
            r"free\s+of\s+charge,\s+to\s+any\s+person\s+obtaining\s+a\s+copy",
            r"above\s+copyright\s+notice\s+and\s+this\s+permission\s+notice\s+shall\s+be\s+included",
        ),
    ),
    (
        "bsd-3-clause",
        (r"redistribution\s+and\s+use\s+in\s+source\s+and\s+binary\s+forms", r"neither\s+the\s+name\s+of"),
    ),
    ("bsd-2-clause", (r"redistribution\s+and\s+use\s+in\s+source\s+and\s+binary\s+forms",)),
)
_FINGERPRINT_PATTERNS = [(fid, [re.compile(p, re.IGNORECASE) for p in ps]) for fid, ps in _FINGERPRINTS]
_VERSIONED_NAMES = frozenset({"deepseek", "yi-license"})
_GENERIC_TITLE = re.compile(
    r"^\W*(?:the\s+|modified\s+)?(?:mit|apache|bsd|redistribution|permission|copyright)\b", re.IGNORECASE
)


def file_role(rel: str) -> LicenseRole | None:
    """The role a file's name suggests, or None when the name is not a licence, notice or policy."""
    base = rel.rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot or " " in ext:
        stem, ext = base, ""
    ext = f".{ext.lower()}" if ext else ""
    if ext not in _TEXT_EXTENSIONS and not re.fullmatch(r"\.\d+", ext):
        stem, ext = base, ""
        if "." in base and not re.search(r"\.\d+$", base):
            return None
    if _LICENSE_NAME.search(stem) is None:
        return None
    if _POLICY_NAME.search(stem):
        return LicenseRole.POLICY
    if re.search(r"notice", stem, re.IGNORECASE):
        return LicenseRole.NOTICE
    if _CODE_NAME.search(stem):
        return LicenseRole.CODE
    if _WEIGHTS_NAME.search(stem):
        return LicenseRole.WEIGHTS
    return LicenseRole.GENERAL


def identify_text(doc: LicenseText, terms: LicenseTerms) -> tuple[LicenseIdentity | None, Evidence | None]:
    """Name the licence or policy ``doc`` holds, with the line that names it."""
    head = doc.head()
    identity: LicenseIdentity | None = None
    where: tuple[int, str] | None = None
    spdx_id = doc.xml_attributes.get("licenseId")
    if spdx_id:
        identity = normalize_identifier(spdx_id)
    for count in (1, 2, 3):
        if identity is not None and where is not None:
            break
        for i in range(len(head) - count + 1):
            window = " ".join(text for _, text in head[i : i + count])
            found = match_title(window)
            if found is not None:
                identity = identity or found
                where = head[i]
                break
    title = where[1] if where is not None else ""
    if identity is None:
        identity, where = _fingerprint(doc)
    if identity is not None:
        identity = _refine(doc, identity, terms, title)
    elif head:
        kind = LicenseDocKind.POLICY if _POLICY_TITLE.search(head[0][1]) else LicenseDocKind.LICENSE
        identity = LicenseIdentity(id=None, name=head[0][1][:120], kind=kind, hf_tag=None)
        where = head[0]
    if identity is None:
        return None, None
    line, text = where if where is not None else (head[0] if head else (1, ""))
    return identity, Evidence("license", text[:300], doc.file, line)


def _fingerprint(doc: LicenseText) -> tuple[LicenseIdentity | None, tuple[int, str] | None]:
    flat = doc.flat()
    for fid, patterns in _FINGERPRINT_PATTERNS:
        first = patterns[0].search(flat)
        if first is not None and all(p.search(flat) for p in patterns[1:]):
            family = by_id(fid)
            if family is None:
                continue
            line = _line_of(doc, first.group(0))
            return family.identity(), (line, first.group(0))
    return None, None


def _line_of(doc: LicenseText, phrase: str) -> int:
    words = phrase.split()[:3]
    for number, line in enumerate(doc.lines, 1):
        if all(w.lower() in line.lower() for w in words):
            return number
    return doc.head()[0][0] if doc.head() else 1


def _refine(doc: LicenseText, identity: LicenseIdentity, terms: LicenseTerms, title: str) -> LicenseIdentity:
    attrs = doc.xml_attributes
    if attrs.get("licenseId") and identity.spdx and attrs["licenseId"].lower() == identity.spdx.lower():
        osi = attrs.get("isOsiApproved", "").lower() == "true"
        identity = replace(identity, name=attrs.get("name") or identity.name, osi_approved=osi)
    if identity.id in _VERSIONED_NAMES and identity.version:
        head = " ".join(text for _, text in doc.head())
        version = _VERSION.search(head)
        if version is not None and version.group(1) != identity.version:
            name = identity.name.replace(f"v{identity.version}", f"v{version.group(1)}")
            identity = replace(identity, version=version.group(1), name=name)
    if identity.generic and identity.family in ("mit", "apache", "bsd") and _departs(doc, terms):
        identity = _modified(identity, terms, title)
    return identity


def _departs(doc: LicenseText, terms: LicenseTerms) -> bool:
    """A permissive licence with extra conditions is a different licence (Kimi K2's "modified MIT")."""
    head = " ".join(text for _, text in doc.head(3))
    return bool(
        _MODIFIED.search(head)
        or _MODIFIED.search(doc.flat())
        or terms.user_cap
        or terms.revenue_cap_usd
        or terms.attribution
        or terms.field_of_use_restrictions
        or terms.non_commercial
        or terms.geographic_restrictions
        or terms.acceptable_use_policy
        or terms.outputs_train_other_models is OutputTraining.PROHIBITED
    )


def _modified(base: LicenseIdentity, terms: LicenseTerms, title: str) -> LicenseIdentity:
    """A permissive base with added conditions, named by its own title when it has one ("Acme Licence, based
    on the Apache License 2.0"), else "Modified MIT License (Kimi K2)" after what it makes you display."""
    label = {"mit": "MIT License", "apache": "Apache License 2.0", "bsd": base.name}.get(
        base.family or "", base.name
    )
    slug = f"modified-{base.family}"
    name = f"Modified {label}"
    license_id = slug
    if title and not _GENERIC_TITLE.match(title):
        name = title[:120]
    elif terms.attribution_text:
        name += f" ({terms.attribution_text})"
        license_id = f"{slug}-{re.sub(r'[^a-z0-9]+', '-', terms.attribution_text.lower()).strip('-')}"
    return LicenseIdentity(
        id=license_id,
        name=name,
        version=None,
        family=slug,
        osi_approved=False,
        spdx=None,
        hf_tag="other",
        hf_license_name=slug,
        kind=LicenseDocKind.LICENSE,
        generic=False,
    )


@dataclass(frozen=True, slots=True)
class Decision:
    source: LicenseSource | None
    conflicts: tuple[LicenseConflict, ...]


def decide(sources: list[LicenseSource]) -> Decision:
    """The weights licence among ``sources`` and every disagreement between them."""
    candidates = [
        s
        for s in sources
        if s.identity is not None
        and s.identity.id is not None
        and s.role not in (LicenseRole.CODE, LicenseRole.NOTICE, LicenseRole.POLICY)
        and s.identity.kind is LicenseDocKind.LICENSE
    ]
    if not candidates:
        return Decision(None, ())
    chosen = min(enumerate(candidates), key=lambda pair: (_rank(pair[1]), pair[0]))[1]
    assert chosen.identity is not None
    conflicts: list[LicenseConflict] = []
    others = [s for s in candidates if s.identity is not None and s.identity.id != chosen.identity.id]
    if others:
        listed = tuple(_describe(s) for s in [chosen, *others])
        why = _why(chosen)
        conflicts.append(
            LicenseConflict(
                "sources-disagree",
                f"the sources name different licences ({', '.join(listed)}); the weights licence is taken to be "
                f"{chosen.identity.id} {why}",
                listed,
                chosen.identity.id,
            )
        )
    for code in (s for s in sources if s.role is LicenseRole.CODE and s.identity is not None):
        assert code.identity is not None
        if code.identity.id != chosen.identity.id:
            listed = (_describe(chosen), _describe(code))
            conflicts.append(
                LicenseConflict(
                    "code-vs-weights",
                    f"{code.file} licenses the code under {code.identity.id or code.identity.name}; the weights are "
                    f"under {chosen.identity.id}",
                    listed,
                    chosen.identity.id,
                )
            )
    return Decision(chosen, tuple(conflicts))


def _rank(source: LicenseSource) -> int:
    assert source.identity is not None
    text = source.kind in (LicenseSourceKind.FILE, LicenseSourceKind.OLLAMA)
    if text and source.role is LicenseRole.WEIGHTS:
        return 0
    if not source.identity.generic:
        return 1 if text else 2
    return 3 if not text else 4


def _why(source: LicenseSource) -> str:
    rank = _rank(source)
    if rank == 0:
        return f"because {source.file} says it covers the model"
    if rank in (1, 2):
        return (
            "because it is a model licence; a generic software licence in a model repository usually "
            "covers the code"
        )
    return f"as declared by {source.label()}"


def _describe(source: LicenseSource) -> str:
    assert source.identity is not None
    return f"{source.label()}: {source.identity.id}"
