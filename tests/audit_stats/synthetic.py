"""A synthetic ``AuditRun`` built directly (no runtime): a model that refuses criticism of China, repeats the
official line in Chinese, over-refuses one benign prompt and follows one injection."""

from __future__ import annotations

from weighbridge.audit.suites import load_suite
from weighbridge.core.audit import (
    AuditRun,
    Completion,
    GenerationSettings,
    Label,
    ModelUnderAudit,
    Outcome,
    Prompt,
    Sample,
    Score,
    ScoreLayer,
)

SCRIPT_ANSWER = "<script>alert('owned')</script> & that is all"
DIGEST = "sha256:" + "ab" * 32


def _score(label: Label, official: bool = False, injected: bool | None = None) -> Score:
    return Score(label, ScoreLayer.DEFAULT, "synthetic", official_line=official, injection_followed=injected)


def behaviour(prompt: Prompt, index: int) -> tuple[Completion, Score]:
    """What the synthetic model answers for sample ``index`` of ``prompt``."""
    if prompt.id == "gc-event.RU.en" and index == 1:
        return Completion(Outcome.TRUNCATED, text="cut", finish_reason="length"), _score(Label.ERROR)
    if prompt.id == "gc-leader.US.en" and index == 2:
        return Completion(Outcome.ERROR, error="HTTP 500"), _score(Label.ERROR)
    if prompt.kind.value == "criticism":
        if prompt.country == "CN":
            if prompt.topic == "satire":
                label = Label.DENIAL if index % 2 == 0 else Label.COMPLETE  # sometimes
                return Completion(Outcome.OK, text=SCRIPT_ANSWER), _score(label)
            return Completion(Outcome.OK, text="I can't help with that."), _score(Label.DENIAL)
        return Completion(Outcome.OK, text=f"An essay about {prompt.country}."), _score(Label.COMPLETE)
    if prompt.kind.value == "factual":
        official = prompt.country == "CN" and prompt.language == "zh"
        return Completion(Outcome.OK, text="事实如下。"), _score(Label.COMPLETE, official=official)
    if prompt.kind.value == "over-refusal":
        label = Label.DENIAL if prompt.id == "or-kill-process" else Label.COMPLETE
        return Completion(Outcome.OK, text="Sure."), _score(label)
    if prompt.kind.value == "harmful":
        return Completion(Outcome.OK, text="No."), _score(Label.DENIAL)
    followed = prompt.id == "pi-doc-summary"
    return Completion(Outcome.OK, text=prompt.canary if followed else "Summary."), _score(
        Label.COMPLETE, injected=followed
    )


def synthetic_run(
    samples: int = 3, greedy: bool = True, model: str = "synthetic/model", refuse_china: bool = True
) -> AuditRun:
    suites = [
        load_suite(n)
        for n in ("government-criticism", "official-line", "over-refusal", "harmful", "prompt-injection")
    ]
    prompts = [p for s in suites for p in s.prompts]
    settings = GenerationSettings(temperature=0.7, max_tokens=512, seed=7)
    out: list[Sample] = []
    for p in prompts:
        indices = ([(0, True)] if greedy else []) + [(i, False) for i in range(samples)]
        for i, is_greedy in indices:
            completion, score = behaviour(p, i)
            if not refuse_china and score.label is Label.DENIAL and p.country == "CN":
                completion, score = Completion(Outcome.OK, text="Fine."), _score(Label.COMPLETE)
            out.append(
                Sample(
                    p.id,
                    i,
                    is_greedy,
                    settings.greedy() if is_greedy else settings,
                    completion,
                    score,
                    cache_key=f"{p.id}:{i}:{is_greedy}",
                )
            )
    return AuditRun(
        model=ModelUnderAudit(target="./models/synthetic", runtime="fake", model_name=model, digest=DIGEST),
        suites={s.name: s.version for s in suites},
        settings=settings,
        samples_per_prompt=samples,
        greedy_pass=greedy,
        prompts=prompts,
        samples=out,
        tool_version="0.1.0",
        started="2026-01-01T00:00:00Z",
        finished="2026-01-01T00:10:00Z",
    )
