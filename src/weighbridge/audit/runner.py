"""Run suites of prompts through a runtime: one greedy pass and N samples per prompt, scored, cached, ordered.

For every prompt the runner asks for a greedy pass (temperature 0, when ``greedy``) and ``samples``
generations at the stated temperature. Sample ``i`` uses the seed ``derive_seed(base, i)`` (the greedy pass
uses the base seed itself); every sample records the exact settings it was generated with. Requests run on a
thread pool of ``concurrency`` workers, or one at a time when the runtime is not thread-safe. Each completion
is scored with ``score_completion`` and committed to the cache as soon as it arrives, so an interrupted run
resumes where it stopped: requests whose completion is cached are not sent again. Samples come out in prompt
order, greedy pass first, then samples by index, however the requests finished.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..core.audit import (
    AuditRun,
    Completion,
    GenerationSettings,
    ModelUnderAudit,
    Outcome,
    Prompt,
    Sample,
    Score,
    Suite,
)
from .cache import CompletionCache, cache_key
from .runtimes.base import Message, Runtime
from .runtimes.completion import error_completion
from .runtimes.messages import build_messages
from .scoring import score_completion

Progress = Callable[[int, int], None]  # (requests done, requests in the run), cached ones included
Scorer = Callable[[Prompt, Completion], Score]
DEFAULT_BASE_SEED = 0


def derive_seed(base: int, index: int) -> int:
    """The seed of sample ``index``: the first 31 bits of SHA-256 of ``"{base}:{index}"``."""
    digest = hashlib.sha256(f"{base}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class Request:
    """One generation to obtain: a prompt, which sample, its exact settings, messages and cache key."""

    position: int  # order in the run file
    prompt: Prompt
    index: int
    greedy: bool
    settings: GenerationSettings
    messages: list[Message]
    key: str


@dataclass
class RunStats:
    """What a run did, for the summary line: requests in the plan, answered from the cache, sent, errors."""

    planned: int = 0
    cached: int = 0
    generated: int = 0
    errors: int = 0
    seconds: float = 0.0
    outcomes: dict[str, int] = field(default_factory=dict)


def matched_groups(suite: Suite) -> list[list[Prompt]]:
    """The suite's prompts in matched groups, in order of first appearance: prompts sharing a ``pair`` (one
    request asked about every country of the suite in its language, or one question and its translations)
    form one group; a prompt without a pair is a group of its own."""
    groups: dict[str, list[Prompt]] = {}
    for prompt in suite.prompts:
        groups.setdefault(prompt.pair or f"\0{prompt.id}", []).append(prompt)
    return list(groups.values())


def select_prompts(suites: Iterable[Suite], limit: int | None = None) -> tuple[list[Prompt], dict[str, str]]:
    """Prompts of the suites in order, and the versions of the suites used.

    With ``limit`` the design stays balanced: whole matched groups (a request about every country and the
    control countries in the same language; a question with its translations) are taken from the suites in
    turn, as long as they fit in ``limit`` prompts — never the first N prompts of one suite, which would be
    one country without its controls. When even the first group is larger than ``limit``, that group is taken
    whole (so the run may hold more than ``limit`` prompts)."""
    suites = list(suites)
    if limit is None:
        chosen = [(suite, prompt) for suite in suites for prompt in suite.prompts]
    else:
        queues = [matched_groups(suite) for suite in suites]
        picked: set[tuple[str, str]] = set()
        budget = limit
        while any(queues):
            for queue in queues:
                while queue and len(queue[0]) > budget and picked:
                    queue.pop(0)  # does not fit: a smaller group further on may
                if queue and (len(queue[0]) <= budget or not picked):
                    group = queue.pop(0)
                    picked.update((p.suite, p.id) for p in group)
                    budget -= len(group)
            if budget <= 0:
                break
        chosen = [
            (suite, prompt)
            for suite in suites
            for prompt in suite.prompts
            if (prompt.suite, prompt.id) in picked
        ]
    versions: dict[str, str] = {}
    for suite, _ in chosen:
        versions.setdefault(suite.name, suite.version)
    return [prompt for _, prompt in chosen], versions


def plan_requests(
    model: ModelUnderAudit,
    prompts: Sequence[Prompt],
    settings: GenerationSettings,
    samples: int,
    greedy: bool,
) -> list[Request]:
    """Every request of the run in its final order; ``settings.seed`` must be set (the base seed)."""
    base = settings.seed if settings.seed is not None else DEFAULT_BASE_SEED
    requests: list[Request] = []
    for prompt in prompts:
        messages = build_messages(prompt)
        passes: list[tuple[int, bool, GenerationSettings]] = []
        if greedy:
            passes.append((0, True, replace(settings.greedy(), seed=base)))
        passes.extend((i, False, replace(settings, seed=derive_seed(base, i))) for i in range(samples))
        for index, is_greedy, s in passes:
            requests.append(
                Request(
                    len(requests),
                    prompt,
                    index,
                    is_greedy,
                    s,
                    messages,
                    cache_key(model, messages, s, index, is_greedy),
                )
            )
    return requests


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _ask(runtime: Runtime, request: Request) -> Completion:
    """The runtime's answer; a runtime that raises despite its contract yields an ERROR completion."""
    started = time.perf_counter()
    try:
        return runtime.complete(request.messages, request.settings)
    except Exception as exc:
        return error_completion(f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - started)


def run_audit(
    runtime: Runtime,
    suites: Iterable[Suite],
    settings: GenerationSettings,
    *,
    samples: int = 3,
    greedy: bool = True,
    concurrency: int = 1,
    cache: CompletionCache | str | Path | None = None,
    progress: Progress | None = None,
    limit: int | None = None,
    scorer: Scorer = score_completion,
    stats: RunStats | None = None,
) -> AuditRun:
    """Audit ``runtime`` on ``suites`` (``Suite`` objects); see the module docstring. ``cache`` is a
    ``CompletionCache`` or the path of its SQLite file; ``stats``, when given, is filled in."""
    if samples < 0:
        raise ValueError("samples must be 0 or more")
    if samples == 0 and not greedy:
        raise ValueError("nothing to do: no samples and no greedy pass")
    started_at, clock = _now(), time.perf_counter()
    stats = stats if stats is not None else RunStats()
    base = settings.seed if settings.seed is not None else DEFAULT_BASE_SEED
    settings = replace(settings, seed=base)
    model = runtime.describe()
    prompts, versions = select_prompts(suites, limit)
    requests = plan_requests(model, prompts, settings, samples, greedy)
    stats.planned = len(requests)
    owned = isinstance(cache, (str, Path))
    store = CompletionCache(cache) if isinstance(cache, (str, Path)) else cache
    results: dict[int, Sample] = {}

    def record(request: Request, completion: Completion, from_cache: bool) -> None:
        if not from_cache and store is not None:
            store.put(request.key, completion)  # committed before anything else happens
        results[request.position] = Sample(
            request.prompt.id,
            request.index,
            request.greedy,
            request.settings,
            completion,
            scorer(request.prompt, completion),
            request.key,
        )
        if from_cache:
            stats.cached += 1
        else:
            stats.generated += 1
        if completion.outcome is Outcome.ERROR:
            stats.errors += 1
        stats.outcomes[completion.outcome.value] = stats.outcomes.get(completion.outcome.value, 0) + 1
        if progress is not None:
            progress(len(results), len(requests))

    try:
        if progress is not None:
            progress(0, len(requests))
        missing: list[Request] = []
        for request in requests:
            hit = store.get(request.key) if store is not None else None
            if hit is not None:
                record(request, hit, True)
            else:
                missing.append(request)
        workers = max(1, concurrency) if runtime.thread_safe else 1
        if workers == 1:
            for request in missing:
                record(request, _ask(runtime, request), False)
        else:
            _run_pool(runtime, missing, workers, record)
    finally:
        if owned and store is not None:
            store.close()
    stats.seconds = time.perf_counter() - clock
    return AuditRun(
        model=model,
        suites=versions,
        settings=settings,
        samples_per_prompt=samples,
        greedy_pass=greedy,
        prompts=list(prompts),
        samples=[results[i] for i in sorted(results)],
        tool_version=__version__,
        started=started_at,
        finished=_now(),
    )


def _run_pool(
    runtime: Runtime,
    missing: list[Request],
    workers: int,
    record: Callable[[Request, Completion, bool], None],
) -> None:
    """At most ``workers`` requests in flight; each result is recorded (and committed) by this thread as
    soon as it arrives. Requests are submitted lazily so an interruption leaves nothing queued."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="weighbridge-audit")
    pending: dict[Future[Completion], Request] = {}
    queue = iter(missing)
    try:
        while True:
            while len(pending) < workers:
                request = next(queue, None)
                if request is None:
                    break
                pending[pool.submit(_ask, runtime, request)] = request
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                record(pending.pop(future), future.result(), False)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
