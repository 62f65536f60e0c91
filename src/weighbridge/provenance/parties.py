"""Turn statements naming an organization ("meta-llama" in a repo id, "Meta Llama" in a GGUF key) into a
``Party`` with its jurisdiction: statements that resolve to the same organization are merged."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..core.provenance import Citation, Party
from .jurisdiction import Directory
from .names import normalize

Statement = tuple[str, Citation]


def org_key(name: str, directory: Directory) -> str:
    """What identifies an organization: its canonical name in the data, else its normalized name."""
    entry = directory.lookup(name)
    return f"entry:{entry.name}" if entry is not None else normalize(name)


def make_party(
    role: str, statements: Sequence[Statement], directory: Directory, *, inferred: str | None = None
) -> Party | None:
    """One party from statements in priority order: the first the data knows decides, else the first one;
    every statement naming the same organization is kept as a citation."""
    usable = [(name.strip(), cite) for name, cite in statements if normalize(name)]
    if not usable:
        return None
    known = next((s for s in usable if directory.lookup(s[0]) is not None), usable[0])
    key = org_key(known[0], directory)
    same = [s for s in usable if org_key(s[0], directory) == key]
    name = same[0][0]
    return Party(
        name=name,
        role=role,
        citations=unique(c for _, c in same),
        jurisdiction=directory.jurisdiction(name),
        inferred=inferred,
    )


def group_parties(role: str, statements: Sequence[Statement], directory: Directory) -> list[Party]:
    """One party per distinct organization among ``statements`` (first-stated order)."""
    keys: list[str] = []
    for name, _ in statements:
        key = org_key(name, directory)
        if normalize(name) and key not in keys:
            keys.append(key)
    out = []
    for key in keys:
        party = make_party(role, [s for s in statements if org_key(s[0], directory) == key], directory)
        if party is not None:
            out.append(party)
    return out


def unique(citations: Iterable[Citation]) -> tuple[Citation, ...]:
    out: list[Citation] = []
    for cite in citations:
        if cite not in out:
            out.append(cite)
    return tuple(out)
