"""``fleet_audit``: run audit suites over many admitted models behind OpenAI-compatible endpoints.

``--endpoint URL=MODEL`` audits the registry model ``MODEL`` there; ``--endpoint URL`` audits every model the
endpoint lists (``GET /v1/models``) that is admitted in the registry. Served ids are matched to registry
names as they are or with the registry's Ollama spelling (``llama3:8b`` ↔ ``ollama:llama3:8b`` or
``ollama:registry.ollama.ai/library/llama3:8b``); an endpoint that serves a single model serves ``MODEL``
whatever its id. Only models whose newest version is admitted are audited.

Concurrency is bounded per endpoint: each endpoint gets one thread that audits its models one after the
other, and each audit keeps at most ``concurrency_per_endpoint`` requests in flight (the runner's pool), so a
server never sees more than that whatever the number of models; different endpoints run in parallel. Every
completion is committed to a per-endpoint completion cache as it arrives (an interrupted fleet audit resumes
without asking again), and each finished run is recorded with ``record_audit`` against the admitted version.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.audit import GenerationSettings, Outcome, Suite
from ..core.findings import WeighbridgeError
from ..core.registry import Decision

if TYPE_CHECKING:
    from ..audit.runtimes.base import Runtime
    from ..registry import Registry

_ENDPOINT = re.compile(r"(https?://[^\s=]+?)(?:=(\S+))?")
OLLAMA_PREFIXES = ("ollama:", "ollama:registry.ollama.ai/library/")

RuntimeFactory = Callable[[str, str], "Runtime"]  # (endpoint URL, served model id) -> runtime


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    url: str
    model: str | None = None  # a registry model name; None: every admitted model the endpoint serves


def parse_endpoint(text: str) -> EndpointSpec:
    """``http(s)://host[:port][/v1][=MODEL]`` → EndpointSpec; ``WeighbridgeError`` with one line otherwise."""
    from ..audit.runtimes.openai import normalise_endpoint

    match = _ENDPOINT.fullmatch(text.strip())
    if match is None:
        raise WeighbridgeError(f"bad --endpoint {text!r}: expected http(s)://host[:port][/v1][=MODEL]")
    return EndpointSpec(normalise_endpoint(match.group(1)), match.group(2))


@dataclass(slots=True)
class AuditJob:
    endpoint: str
    served: str  # the model id sent to the endpoint
    model: str  # the registry model name
    version: str  # the admitted version's manifest digest


@dataclass(slots=True)
class AuditOutcome:
    endpoint: str
    model: str
    status: str  # "audited", "skipped" (not admitted, not in the registry), "error"
    served: str | None = None
    version: str | None = None
    audit_id: int | None = None
    samples: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class FleetAuditResult:
    outcomes: list[AuditOutcome]
    suites: dict[str, str]
    concurrency_per_endpoint: int
    elapsed_seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return dict(Counter(o.status for o in self.outcomes))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "weighbridge.fleet-audit/1",
            "suites": self.suites,
            "concurrency_per_endpoint": self.concurrency_per_endpoint,
            "counts": self.counts(),
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "runs": [o.to_dict() for o in self.outcomes],
        }


def candidates(served: str) -> list[str]:
    """Registry names a served model id may stand for, most literal first."""
    return [served] + [prefix + served for prefix in OLLAMA_PREFIXES]


def openai_runtime(endpoint: str, served: str) -> Runtime:
    from ..audit.runtimes.openai import OpenAIRuntime

    return OpenAIRuntime(endpoint, served)


def plan_audits(
    registry: Registry, endpoints: Sequence[EndpointSpec], served_models: Callable[[str], list[str]]
) -> tuple[list[AuditJob], list[AuditOutcome]]:
    """The audits to run and what is left out (with why). ``served_models(url)`` lists an endpoint's ids."""
    admitted = {v.model: v.manifest_digest for v in registry.list_versions(decision=Decision.ADMITTED)}
    known = {v.model: v.decision.value for v in registry.list_versions()}
    jobs: list[AuditJob] = []
    left: list[AuditOutcome] = []
    seen: set[tuple[str, str]] = set()
    for spec in endpoints:
        served = served_models(spec.url)
        if spec.model is not None:
            name = next((c for c in candidates(spec.model) if c in known), None)
            if name is None:
                raise WeighbridgeError(
                    f"model {spec.model!r} is not in the registry (record it with "
                    "`weighbridge fleet scan` or `weighbridge admit` first)"
                )
            ask = (
                spec.model
                if not served or spec.model in served
                else next(
                    (s for s in served if name in candidates(s)), served[0] if len(served) == 1 else None
                )
            )
            pairs = [(name, ask)]
        else:
            pairs = [(next((c for c in candidates(s) if c in known), s), s) for s in served]
        for name, ask in pairs:
            if (spec.url, name) in seen:
                continue
            seen.add((spec.url, name))
            if ask is None:
                left.append(
                    AuditOutcome(
                        spec.url,
                        name,
                        "error",
                        reason=f"{spec.url} does not serve {name!r} (it serves {', '.join(served[:5])})",
                    )
                )
            elif name not in known:
                left.append(AuditOutcome(spec.url, name, "skipped", served=ask, reason="not in the registry"))
            elif name not in admitted:
                left.append(
                    AuditOutcome(
                        spec.url,
                        name,
                        "skipped",
                        served=ask,
                        reason=f"newest version is {known[name]}, not admitted",
                    )
                )
            else:
                jobs.append(AuditJob(spec.url, ask, name, admitted[name]))
    return jobs, left


def fleet_audit(
    registry: Registry,
    endpoints: Sequence[EndpointSpec],
    suites: Sequence[Suite],
    *,
    settings: GenerationSettings | None = None,
    samples: int = 1,
    concurrency_per_endpoint: int = 4,
    limit: int | None = None,
    cache_dir: Path | None = None,
    runtime_factory: RuntimeFactory = openai_runtime,
    served_models: Callable[[str], list[str]] | None = None,
) -> FleetAuditResult:
    """Audit every planned (endpoint, admitted model) pair and record each run in ``registry``."""
    from ..audit.runner import run_audit

    if concurrency_per_endpoint < 1:
        raise WeighbridgeError("--concurrency-per-endpoint must be at least 1")
    started = time.perf_counter()
    settings = settings or GenerationSettings()
    jobs, outcomes = plan_audits(registry, endpoints, served_models or _served_models)
    by_endpoint: dict[str, list[AuditJob]] = {}
    for job in jobs:
        by_endpoint.setdefault(job.endpoint, []).append(job)

    def audit_one(job: AuditJob) -> AuditOutcome:
        clock = time.perf_counter()
        outcome = AuditOutcome(job.endpoint, job.model, "error", served=job.served, version=job.version)
        try:
            run = run_audit(
                runtime_factory(job.endpoint, job.served),
                suites,
                settings,
                samples=samples,
                concurrency=concurrency_per_endpoint,
                limit=limit,
                cache=_cache_file(cache_dir, job.endpoint),
            )
        except WeighbridgeError as exc:
            outcome.reason = str(exc)
            return outcome
        outcome.samples = len(run.samples)
        outcome.outcomes = dict(Counter(s.completion.outcome.value for s in run.samples))
        outcome.labels = dict(Counter(s.score.label.value for s in run.samples))
        outcome.seconds = time.perf_counter() - clock
        if run.samples and all(s.completion.outcome is Outcome.ERROR for s in run.samples):
            outcome.reason = f"every request failed: {run.samples[0].completion.error or 'error'}"[:300]
            return outcome
        outcome.audit_id = registry.record_audit(job.model, run, version=job.version)
        outcome.status = "audited"
        return outcome

    def audit_endpoint(queue: list[AuditJob]) -> list[AuditOutcome]:
        return [audit_one(job) for job in queue]  # one model at a time: the endpoint's bound holds

    if by_endpoint:
        with ThreadPoolExecutor(
            max_workers=len(by_endpoint), thread_name_prefix="weighbridge-fleet-audit"
        ) as pool:
            for done in pool.map(audit_endpoint, by_endpoint.values()):
                outcomes.extend(done)
    versions = {s.name: s.version for s in suites}
    outcomes.sort(key=lambda o: (o.endpoint, o.model))
    return FleetAuditResult(outcomes, versions, concurrency_per_endpoint, time.perf_counter() - started)


def _served_models(url: str) -> list[str]:
    from ..audit.runtimes.openai import OpenAIRuntime

    return OpenAIRuntime(url, retries=0, timeout=30.0).served_models()


def _cache_file(cache_dir: Path | None, endpoint: str) -> Path | None:
    if cache_dir is None:
        return None
    cache_dir.mkdir(parents=True, exist_ok=True)
    return cache_dir / f"{hashlib.sha256(endpoint.encode()).hexdigest()[:16]}.sqlite"
