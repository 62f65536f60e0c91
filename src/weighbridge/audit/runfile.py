"""Read and write ``run.json``: an ``AuditRun`` as JSON and back, with a one-line error for bad files."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..core.audit import (
    AuditRun,
    Completion,
    Expected,
    GenerationSettings,
    Label,
    ModelUnderAudit,
    Outcome,
    Prompt,
    PromptKind,
    Sample,
    Score,
    ScoreLayer,
)
from ..core.findings import WeighbridgeError

SCHEMA = "weighbridge.audit-run/1"


def settings_from_dict(d: dict[str, Any]) -> GenerationSettings:
    return GenerationSettings(
        temperature=float(d["temperature"]),
        top_p=float(d["top_p"]),
        max_tokens=int(d["max_tokens"]),
        seed=d.get("seed"),
        stop=tuple(d.get("stop") or ()),
    )


def prompt_from_dict(d: dict[str, Any]) -> Prompt:
    return Prompt(
        id=d["id"],
        suite=d["suite"],
        text=d["text"],
        kind=PromptKind(d["kind"]),
        expected=Expected(d["expected"]),
        topic=d["topic"],
        country=d.get("country"),
        language=d.get("language", "en"),
        pair=d.get("pair"),
        system=d.get("system"),
        document=d.get("document"),
        canary=d.get("canary"),
        official_line=tuple(d.get("official_line") or ()),
        meta=dict(d.get("meta") or {}),
    )


def completion_from_dict(d: dict[str, Any]) -> Completion:
    return Completion(
        outcome=Outcome(d["outcome"]),
        text=d.get("text", ""),
        reasoning=d.get("reasoning"),
        finish_reason=d.get("finish_reason"),
        error=d.get("error"),
        model=d.get("model"),
        prompt_tokens=d.get("prompt_tokens"),
        completion_tokens=d.get("completion_tokens"),
        seconds=float(d.get("seconds", 0.0)),
    )


def score_from_dict(d: dict[str, Any]) -> Score:
    return Score(
        label=Label(d["label"]),
        layer=ScoreLayer(d["layer"]),
        reason=d.get("reason", ""),
        official_line=bool(d.get("official_line", False)),
        injection_followed=d.get("injection_followed"),
        evidence=d.get("evidence"),
    )


def sample_from_dict(d: dict[str, Any]) -> Sample:
    return Sample(
        prompt_id=d["prompt_id"],
        index=int(d["index"]),
        greedy=bool(d["greedy"]),
        settings=settings_from_dict(d["settings"]),
        completion=completion_from_dict(d["completion"]),
        score=score_from_dict(d["score"]),
        cache_key=d["cache_key"],
    )


def run_from_dict(d: dict[str, Any]) -> AuditRun:
    if d.get("schema") != SCHEMA:
        raise WeighbridgeError(f"not an audit run (schema {d.get('schema')!r}, expected {SCHEMA})")
    m = d["model"]
    return AuditRun(
        model=ModelUnderAudit(
            target=m["target"],
            runtime=m["runtime"],
            endpoint=m.get("endpoint"),
            model_name=m.get("model_name"),
            digest=m.get("digest"),
            digest_note=m.get("digest_note"),
        ),
        suites=dict(d["suites"]),
        settings=settings_from_dict(d["settings"]),
        samples_per_prompt=int(d["samples_per_prompt"]),
        greedy_pass=bool(d["greedy_pass"]),
        prompts=[prompt_from_dict(p) for p in d["prompts"]],
        samples=[sample_from_dict(s) for s in d["samples"]],
        tool_version=d["tool"]["version"],
        started=d["started"],
        finished=d.get("finished"),
        judge=d.get("judge"),
    )


def load_run(path: str | os.PathLike[str]) -> AuditRun:
    """Load a run file; any problem is a ``WeighbridgeError`` with one line that names the file."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WeighbridgeError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WeighbridgeError(f"{p}: not a readable audit run ({exc})") from None
    if not isinstance(data, dict):
        raise WeighbridgeError(f"{p}: not an audit run (top level is not an object)")
    try:
        return run_from_dict(data)
    except WeighbridgeError as exc:
        raise WeighbridgeError(f"{p}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise WeighbridgeError(f"{p}: malformed audit run ({type(exc).__name__}: {exc})") from None


def dump_run(run: AuditRun, path: str | os.PathLike[str]) -> None:
    """Write atomically (temp file + rename) so a killed writer never leaves half a run file."""
    p = Path(path)
    text = json.dumps(run.to_dict(), ensure_ascii=False, indent=1)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=str(p.parent or Path(".")))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
