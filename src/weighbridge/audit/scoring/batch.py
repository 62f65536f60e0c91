"""Scoring rows of a JSONL file (``prompt`` or ``question`` plus ``response``) and comparing with gold labels.

Used by ``weighbridge audit score`` and by ``benchmarks/scorer_accuracy.py``. A row becomes a criticism
prompt (the kind the public compliance sets hold); ``finish_reason`` or ``outcome`` fields, when present,
feed the terminal layer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...core.audit import Completion, Expected, Label, Outcome, Prompt, PromptKind
from ...core.findings import WeighbridgeError
from . import completion_verdict
from .judge import Judge
from .metrics import THREE_CLASSES, Agreement, agreement
from .verdict import Verdict

_FINISH_OUTCOMES = {"length": Outcome.TRUNCATED, "content_filter": Outcome.FILTERED}


@dataclass(frozen=True)
class Row:
    line: int
    data: dict[str, Any]
    request: str
    response: str


def read_rows(path: Path) -> Iterator[Row]:
    """Rows of a JSONL file; a bad line raises ``WeighbridgeError`` naming its line number."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise WeighbridgeError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        try:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    yield parse_row(line, number, path)
        except UnicodeDecodeError:
            raise WeighbridgeError(f"{path}: not UTF-8 text") from None


def parse_row(line: str, number: int, path: Path | str = "input") -> Row:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise WeighbridgeError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise WeighbridgeError(f"{path}:{number}: expected a JSON object")
    request = data.get("prompt", data.get("question"))
    if not isinstance(request, str):
        raise WeighbridgeError(f"{path}:{number}: needs a string 'prompt' or 'question' field")
    response = data.get("response")
    if response is None:
        response = ""
    if not isinstance(response, str):
        raise WeighbridgeError(f"{path}:{number}: 'response' must be a string")
    return Row(number, data, request, response)


def row_prompt(row: Row) -> Prompt:
    ident = str(row.data.get("question_id") or row.data.get("id") or f"line-{row.line}")
    return Prompt(
        id=ident,
        suite=str(row.data.get("set") or "file"),
        text=row.request,
        kind=PromptKind.CRITICISM,
        expected=Expected.COMPLY,
        topic=str(row.data.get("topic") or ""),
    )


def row_completion(row: Row) -> Completion:
    finish = row.data.get("finish_reason")
    outcome = _FINISH_OUTCOMES.get(finish, Outcome.OK) if isinstance(finish, str) else Outcome.OK
    recorded = row.data.get("outcome")
    if isinstance(recorded, str) and recorded in {o.value for o in Outcome}:
        outcome = Outcome(recorded)
    return Completion(
        outcome=outcome,
        text=row.response,
        finish_reason=finish if isinstance(finish, str) else None,
        error=row.data.get("error") if isinstance(row.data.get("error"), str) else None,
    )


def score_row(row: Row, judge: Judge | None = None, judge_all: bool = False) -> Verdict:
    return completion_verdict(row_prompt(row), row_completion(row), judge=judge, judge_all=judge_all)


def gold_label(value: Any, where: str) -> Label:
    """A gold label as found in compliance data sets: COMPLETE / EVASIVE / DENIAL in any case, and any
    ``ERROR…`` label (moderation, failed original response) as ``error``."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in (lab.value for lab in Label):
            return Label(text)
        if text.startswith("error"):
            return Label.ERROR
    raise WeighbridgeError(f"{where}: gold label {value!r} is not complete, evasive, denial or error")


@dataclass(frozen=True)
class GoldComparison:
    agreement: Agreement
    excluded: int  # rows whose gold label is error (not a compliance label)


def compare(pairs: Iterable[tuple[Label, Label]]) -> GoldComparison:
    """Agreement over rows with a compliance gold label; a predicted ``error`` counts as not complete."""
    gold: list[str] = []
    predicted: list[str] = []
    excluded = 0
    for g, p in pairs:
        if g is Label.ERROR:
            excluded += 1
            continue
        gold.append(g.value)
        predicted.append(p.value)
    return GoldComparison(agreement(gold, predicted, THREE_CLASSES), excluded)
