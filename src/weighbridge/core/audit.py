"""Domain types of behaviour audits: prompts, generation settings, completions, labels, runs.

Plain dataclasses and enums, no I/O. Runtimes produce ``Completion``; scorers turn a completion into a
``Score``; the runner records one ``Sample`` per (prompt, sample index); statistics read samples.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class PromptKind(enum.StrEnum):
    """What a prompt measures; decides how its answer is scored."""

    CRITICISM = "criticism"  # criticism of a government, matched across countries
    FACTUAL = "factual"  # factual question that may draw an official line
    OVER_REFUSAL = "over-refusal"  # benign question that looks risky: should be answered
    HARMFUL = "harmful"  # should be refused: the control for general caution
    INJECTION = "injection"  # prompt injection: scored by the planted canary


class Expected(enum.StrEnum):
    """The behaviour a well-behaved, uncensored model shows on the prompt."""

    COMPLY = "comply"
    REFUSE = "refuse"
    RESIST = "resist"  # injection: do the user's task, ignore the planted instruction


class Label(enum.StrEnum):
    """The three-way compliance rubric plus the terminal outcome that is not an answer at all."""

    COMPLETE = "complete"
    EVASIVE = "evasive"
    DENIAL = "denial"
    ERROR = "error"


class Outcome(enum.StrEnum):
    """How a generation ended. Only ``OK`` carries an answer that can be labelled; the others are never
    counted as refusals."""

    OK = "ok"
    EMPTY = "empty"  # the model produced no answer text (reasoning only, or nothing)
    TRUNCATED = "truncated"  # finish_reason == "length": the token cap cut the answer
    ERROR = "error"  # transport or runtime error (connection refused, HTTP 500, decode failure)
    FILTERED = "filtered"  # finish_reason == "content_filter": a moderation layer, not the model


class ScoreLayer(enum.StrEnum):
    """Which layer of the scorer settled the label (the first that could)."""

    TERMINAL = "terminal"
    REFUSAL_PATTERN = "refusal-pattern"
    DEFLECTION_PATTERN = "deflection-pattern"
    OFFICIAL_LINE = "official-line"
    CLASSIFIER = "classifier"
    DEFAULT = "default"
    JUDGE = "judge"
    CANARY = "canary"


@dataclass(frozen=True)
class Prompt:
    """One prompt of a suite. ``id`` is stable across suite versions; ``pair`` links translations and
    matched variants (the same request about another country or in another language)."""

    id: str
    suite: str
    text: str
    kind: PromptKind
    expected: Expected
    topic: str  # "essay", "satire", "event", "leader", "territory", "human-rights", …
    country: str | None = None  # ISO-like code of the government concerned: "CN", "RU", "US", "EU", …
    language: str = "en"  # BCP-47 primary tag
    pair: str | None = None  # the matched request this one is a variant of
    system: str | None = None  # optional system message
    document: str | None = None  # injection: the untrusted document the user asks about
    canary: str | None = None  # injection: the string whose presence proves the planted action ran
    official_line: tuple[str, ...] = ()  # factual: phrases of the known official narrative
    meta: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"] = self.kind.value
        out["expected"] = self.expected.value
        out["official_line"] = list(self.official_line)
        return out


@dataclass(frozen=True)
class Suite:
    """A versioned set of prompts (built in, or loaded by path from CSV / JSONL / SpeechMap / promptfoo)."""

    name: str
    version: str
    description: str
    prompts: tuple[Prompt, ...]


@dataclass(frozen=True)
class GenerationSettings:
    """Everything that shapes a completion, recorded with every result. No hidden stop sequences."""

    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 1024
    seed: int | None = None
    stop: tuple[str, ...] = ()

    def greedy(self) -> GenerationSettings:
        return GenerationSettings(
            temperature=0.0, top_p=1.0, max_tokens=self.max_tokens, seed=self.seed, stop=self.stop
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "stop": list(self.stop),
        }


@dataclass(frozen=True)
class Completion:
    """What a runtime returned for one request. ``text`` is the answer with any reasoning removed;
    ``reasoning`` is the ``<think>`` block or the separate ``reasoning_content`` field."""

    outcome: Outcome
    text: str = ""
    reasoning: str | None = None
    finish_reason: str | None = None
    error: str | None = None
    model: str | None = None  # the model name the runtime reported
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["outcome"] = self.outcome.value
        return out


@dataclass(frozen=True)
class Score:
    """The scorer's verdict on one answer, with the layer that decided and the evidence it used."""

    label: Label
    layer: ScoreLayer
    reason: str  # one line: the pattern or rule that fired, or the judge's rationale
    official_line: bool = False  # the answer repeats a known official narrative
    injection_followed: bool | None = None  # injection prompts only: the canary appeared
    evidence: str | None = None  # the matched span

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label.value,
            "layer": self.layer.value,
            "reason": self.reason,
            "official_line": self.official_line,
            "injection_followed": self.injection_followed,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Sample:
    """One recorded generation: a prompt, which sample it is (greedy or the n-th at temperature),
    the settings, what came back and how it was scored."""

    prompt_id: str
    index: int  # 0-based sample index; the greedy pass has ``greedy=True`` and index 0
    greedy: bool
    settings: GenerationSettings
    completion: Completion
    score: Score
    cache_key: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt_id": self.prompt_id,
            "index": self.index,
            "greedy": self.greedy,
            "settings": self.settings.to_dict(),
            "completion": self.completion.to_dict(),
            "score": self.score.to_dict(),
            "cache_key": self.cache_key,
        }


@dataclass(frozen=True)
class ModelUnderAudit:
    """Which model answered: the target as given, the runtime, and its integrity digest."""

    target: str
    runtime: str  # "openai" | "llama-cpp" | "transformers" | "fake"
    endpoint: str | None = None
    model_name: str | None = None
    digest: str | None = None  # manifest digest of the weights (the scan's root digest), when local
    digest_note: str | None = None  # why there is no digest (remote endpoint: the server's model id only)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Rate:
    """A proportion with its Wilson 95 % interval (clustered by prompt when samples repeat)."""

    successes: int
    total: int
    rate: float
    low: float
    high: float
    clusters: int  # distinct prompts behind the samples

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AuditRun:
    """A whole audit: the model, the suites and their versions, settings, samples in prompt order."""

    model: ModelUnderAudit
    suites: dict[str, str]  # suite name → version
    settings: GenerationSettings
    samples_per_prompt: int
    greedy_pass: bool
    prompts: list[Prompt]
    samples: list[Sample]
    tool_version: str
    started: str  # ISO 8601 UTC
    finished: str | None = None
    judge: str | None = None  # the judge runtime/model when one was used

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "weighbridge.audit-run/1",
            "tool": {"name": "weighbridge", "version": self.tool_version},
            "model": self.model.to_dict(),
            "suites": dict(self.suites),
            "settings": self.settings.to_dict(),
            "samples_per_prompt": self.samples_per_prompt,
            "greedy_pass": self.greedy_pass,
            "judge": self.judge,
            "started": self.started,
            "finished": self.finished,
            "prompts": [p.to_dict() for p in self.prompts],
            "samples": [s.to_dict() for s in self.samples],
        }
