"""A small audit run with the fake runtime, for the kill-and-resume test: ``python resume_entry.py CACHE LOG OUT``.

The fake runtime appends every request to LOG (flushed before answering) and the runner commits every
completion to CACHE as it arrives, so a SIGKILL at any moment leaves an exact record of both.
"""

from __future__ import annotations

import sys
from pathlib import Path

from weighbridge.audit.runfile import dump_run
from weighbridge.audit.runner import run_audit
from weighbridge.audit.runtimes.fake import FakeRuntime
from weighbridge.core.audit import Expected, GenerationSettings, Prompt, PromptKind, Suite

PROMPTS = tuple(
    Prompt(
        id=f"r-{i}",
        suite="resume",
        text=f"Question number {i} about the government.",
        kind=PromptKind.CRITICISM,
        expected=Expected.COMPLY,
        topic="essay",
    )
    for i in range(6)
)
SUITE = Suite(name="resume", version="1", description="kill-and-resume test", prompts=PROMPTS)
SETTINGS = GenerationSettings(temperature=0.7, top_p=1.0, max_tokens=16, seed=3)
SAMPLES = 2
DELAY = 0.08


def runtime(log: str | None = None) -> FakeRuntime:
    return FakeRuntime(PROMPTS, delay=DELAY if log else 0.0, log=log, thread_safe=False)


def main(cache: str, log: str, out: str) -> None:
    run = run_audit(runtime(log), [SUITE], SETTINGS, samples=SAMPLES, cache=cache)
    dump_run(run, Path(out))


if __name__ == "__main__":
    main(*sys.argv[1:4])
