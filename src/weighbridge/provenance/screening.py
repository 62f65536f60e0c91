"""Screen the publisher, the other named parties and every ancestor's publisher against an entity list the
user supplies as CSV (for example the US Consolidated Screening List export), offline.

Columns are found by header, case-insensitively: the name (``name``, ``entity_name``, ``caption``…) and
alternative names (``alt_names``, ``aliases``…, separated by ``;``). A party matches a row when one of its
names equals the row's name or an alternative name after normalization (case, punctuation and trailing legal
forms ignored). A party's names are the one stated plus, when the publishers data knows the organization, its
canonical name, aliases and Hub orgs — so ``deepseek-ai`` is screened as its licensor's legal name too. No
fuzzy matching: a hit is an exact normalized name, reported with the list row for a person to judge. The file
is streamed row by row; only matching rows are kept.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.findings import WeighbridgeError
from ..core.provenance import Party, Screening, ScreeningMatch
from .jurisdiction import Directory
from .names import normalize, shorten

NAME_COLUMNS = ("name", "entity_name", "entity name", "caption", "full_name", "entity")
ALT_COLUMNS = ("alt_names", "alt names", "aliases", "alias", "alternate_names", "other_names", "akas")
MIN_NAME_LENGTH = 3  # normalized names shorter than this are not screened (too many accidental hits)
MAX_ROW_COLUMNS = 40


@dataclass(frozen=True, slots=True)
class Subject:
    party: Party
    role: str  # how the party relates to the model, as shown in a match


def screen(
    csv_path: str | os.PathLike[str] | None, subjects: Sequence[Subject], directory: Directory
) -> Screening:
    names = [s.party.name for s in subjects]
    distinct = tuple(dict.fromkeys(names))
    if csv_path is None:
        return Screening(list_file=None, subjects=distinct)
    path = os.fspath(csv_path)
    variants = _variants(subjects, directory)
    matches: list[ScreeningMatch] = []
    rows = 0
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            reader = csv.DictReader(fh)
            name_col, alt_col = _columns(reader.fieldnames, path)
            for row in reader:
                rows += 1
                matches.extend(_match(row, reader.line_num, name_col, alt_col, variants, path))
    except OSError as exc:
        raise WeighbridgeError(
            f"cannot read screening list {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    except csv.Error as exc:
        raise WeighbridgeError(f"screening list {path} is not valid CSV: {exc}") from None
    return Screening(list_file=path, rows=rows, subjects=distinct, matches=tuple(matches))


def _variants(subjects: Sequence[Subject], directory: Directory) -> dict[str, list[Subject]]:
    out: dict[str, list[Subject]] = {}
    for subject in subjects:
        entry = directory.lookup(subject.party.name)
        spellings = [subject.party.name, *(entry.names() if entry is not None else ())]
        for spelling in spellings:
            key = normalize(spelling)
            if len(key) >= MIN_NAME_LENGTH and subject not in out.setdefault(key, []):
                out[key].append(subject)
    return out


def _columns(fieldnames: Sequence[str] | None, path: str) -> tuple[str, str | None]:
    headers = {h.strip().lower(): h for h in fieldnames or () if h}
    name_col = next((headers[c] for c in NAME_COLUMNS if c in headers), None)
    if name_col is None:
        raise WeighbridgeError(
            f"screening list {path} has no name column (expected one of: "
            f"{', '.join(NAME_COLUMNS)}; found: {', '.join(headers) or 'no header'})"
        )
    return name_col, next((headers[c] for c in ALT_COLUMNS if c in headers), None)


def _match(
    row: dict[str | None, str | list[str] | None],
    line: int,
    name_col: str,
    alt_col: str | None,
    variants: dict[str, list[Subject]],
    path: str,
) -> list[ScreeningMatch]:
    listed = [_cell(row.get(name_col))]
    if alt_col is not None:
        listed.extend(part for part in _cell(row.get(alt_col)).split(";"))
    out: list[ScreeningMatch] = []
    seen: set[tuple[str, str]] = set()
    for name in listed:
        key = normalize(name)
        for subject in variants.get(key, ()) if len(key) >= MIN_NAME_LENGTH else ():
            if (subject.party.name, subject.role) in seen:
                continue
            seen.add((subject.party.name, subject.role))
            out.append(
                ScreeningMatch(
                    subject=subject.party.name,
                    subject_role=subject.role,
                    matched_on=key,
                    listed_name=name.strip(),
                    row_number=line,
                    row=_trim(row),
                    list_file=path,
                )
            )
    return out


def _cell(value: str | list[str] | None) -> str:
    if isinstance(value, list):
        return ";".join(value)
    return value or ""


def _trim(row: dict[str | None, str | list[str] | None]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in row.items():
        text = _cell(value).strip()
        if key is not None and text and len(out) < MAX_ROW_COLUMNS:
            out[key] = shorten(text)
    return out
