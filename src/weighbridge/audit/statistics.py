"""Statistics for behaviour audits, in pure Python (no SciPy): pure functions, each tested against known values.

* Wilson 95 % score interval for a proportion.
* Clustered rates: samples are nested in prompts, so k samples of one prompt are not k observations. The
  cluster-robust (ratio-estimator) variance over prompts gives a design effect, the design effect an effective
  sample size, and the Wilson interval is computed at that effective size.
* Asymmetry: a country's non-compliance rate minus the pooled rate of the control countries, with Newcombe's
  hybrid score interval (method 10 of Newcombe 1998) built from the two clustered Wilson intervals. The two
  rates come from different prompts, so they are independent samples.
* Always / sometimes / never over the samples of each prompt (the deccp reporting format).
* Paired tests of models on the same prompts: exact McNemar on per-prompt majority outcomes; Cochran's Q for
  more than two models, with Holm-corrected pairwise McNemar tests.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any, TypeVar

from ..core.audit import Rate

Z95 = 1.959963984540054  # the 97.5 % quantile of the standard normal
K = TypeVar("K", bound=Hashable)


def wilson(successes: float, total: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``successes`` out of ``total`` (both may be effective, non-integer counts).

    ``total == 0`` carries no information: the interval is [0, 1]."""
    if total <= 0:
        return 0.0, 1.0
    p = min(max(successes / total, 0.0), 1.0)
    z2 = z * z
    denom = 1.0 + z2 / total
    centre = (p + z2 / (2.0 * total)) / denom
    half = z / denom * math.sqrt(p * (1.0 - p) / total + z2 / (4.0 * total * total))
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    if successes <= 0:
        low = 0.0
    if successes >= total:
        high = 1.0
    return low, high


def simple_rate(successes: int, total: int) -> Rate:
    """One observation per prompt: plain Wilson interval."""
    low, high = wilson(successes, total)
    return Rate(
        successes=successes,
        total=total,
        rate=successes / total if total else 0.0,
        low=low,
        high=high,
        clusters=total,
    )


def design_effect(clusters: Sequence[tuple[int, int]]) -> float:
    """Design effect of a proportion estimated from ``(successes, samples)`` per cluster.

    Cluster-robust variance of the ratio estimator p = Σy/Σn: Σ(yᵢ − p·nᵢ)² / N² (without the m/(m−1)
    small-sample factor, so one sample per prompt gives exactly the binomial variance and design effect 1),
    divided by the binomial variance p(1−p)/N. Equal clusters of size n that always agree give n. Never below
    1 (repeats never add information beyond independent draws).
    When p is 0 or 1 the ratio is undefined and the clusters are treated as the units: N / m."""
    kept = [(y, n) for y, n in clusters if n > 0]
    m = len(kept)
    total = sum(n for _, n in kept)
    if m == 0 or total == 0:
        return 1.0
    p = sum(y for y, _ in kept) / total
    if p <= 0.0 or p >= 1.0 or m == 1:
        return total / m
    robust = sum((y - p * n) ** 2 for y, n in kept) / (total * total)
    binomial = p * (1.0 - p) / total
    return max(1.0, robust / binomial)


def clustered_rate(clusters: Sequence[tuple[int, int]]) -> Rate:
    """A proportion from several samples per prompt: ``clusters`` is ``(successes, samples)`` per prompt.

    The interval is Wilson's at the effective sample size N / design effect."""
    kept = [(y, n) for y, n in clusters if n > 0]
    successes = sum(y for y, _ in kept)
    total = sum(n for _, n in kept)
    if total == 0:
        return Rate(successes=0, total=0, rate=0.0, low=0.0, high=1.0, clusters=0)
    p = successes / total
    n_eff = total / design_effect(kept)
    low, high = wilson(p * n_eff, n_eff)
    return Rate(successes=successes, total=total, rate=p, low=low, high=high, clusters=len(kept))


def grouped_rates(records: Iterable[tuple[K, str, bool]]) -> dict[K, Rate]:
    """``(cell, prompt_id, hit)`` records → the clustered rate of hits per cell (prompts are the clusters)."""
    counts: dict[K, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for cell, prompt_id, hit in records:
        c = counts[cell][prompt_id]
        c[0] += int(hit)
        c[1] += 1
    return {cell: clustered_rate([(y, n) for y, n in per.values()]) for cell, per in counts.items()}


@dataclass(frozen=True)
class Difference:
    """A difference of two proportions (``a − b``) with its 95 % interval, in proportions (×100 for points)."""

    a: Rate
    b: Rate
    difference: float
    low: float
    high: float
    method: str = "newcombe-hybrid-score"

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "difference": self.difference,
            "low": self.low,
            "high": self.high,
            "method": self.method,
        }


def newcombe_difference(a: Rate, b: Rate) -> Difference:
    """Newcombe's hybrid score interval for ``a.rate − b.rate`` from the two (clustered) Wilson intervals."""
    d = a.rate - b.rate
    low = d - math.sqrt((a.rate - a.low) ** 2 + (b.high - b.rate) ** 2)
    high = d + math.sqrt((a.high - a.rate) ** 2 + (b.rate - b.low) ** 2)
    return Difference(a=a, b=b, difference=d, low=max(-1.0, low), high=min(1.0, high))


def asymmetry(country: Sequence[tuple[int, int]], controls: Sequence[tuple[int, int]]) -> Difference:
    """A country's non-compliance minus the control countries' pooled non-compliance.

    Both arguments are ``(non-compliant samples, valid samples)`` per prompt; the controls' prompts are pooled
    (one cluster per prompt, whichever control country it is about)."""
    return newcombe_difference(clustered_rate(country), clustered_rate(controls))


@dataclass(frozen=True)
class Consistency:
    """Per-prompt breakdown over its samples: how many prompts always, sometimes or never showed the outcome."""

    always: tuple[str, ...]
    sometimes: tuple[str, ...]
    never: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "always": len(self.always),
            "sometimes": len(self.sometimes),
            "never": len(self.never),
            "prompts": {
                "always": list(self.always),
                "sometimes": list(self.sometimes),
                "never": list(self.never),
            },
        }


def consistency(per_prompt: Mapping[str, tuple[int, int]]) -> Consistency:
    """``prompt_id → (hits, samples)``; prompts without a valid sample are left out."""
    always: list[str] = []
    sometimes: list[str] = []
    never: list[str] = []
    for pid, (hits, n) in per_prompt.items():
        if n <= 0:
            continue
        (always if hits == n else never if hits == 0 else sometimes).append(pid)
    return Consistency(tuple(always), tuple(sometimes), tuple(never))


def majority(hits: int, samples: int) -> bool:
    """The per-prompt outcome used by paired tests: more than half of the samples showed it."""
    return samples > 0 and 2 * hits > samples


@dataclass(frozen=True)
class McNemar:
    """Exact McNemar test: ``only_a`` prompts show the outcome for model A only, ``only_b`` for B only."""

    a: str
    b: str
    prompts: int
    only_a: int
    only_b: int
    p_value: float
    p_holm: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def binomial_two_sided(k: int, n: int) -> float:
    """Exact two-sided p-value of ``k`` successes in ``n`` fair trials (doubling the smaller tail)."""
    if n == 0:
        return 1.0
    k = min(k, n - k)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2.0**n
    return min(1.0, 2.0 * tail)


def mcnemar(a: Sequence[bool], b: Sequence[bool], names: tuple[str, str] = ("a", "b")) -> McNemar:
    """Exact McNemar test on paired binary outcomes (one per prompt, same prompts in the same order)."""
    if len(a) != len(b):
        raise ValueError("paired outcomes must have the same length")
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    return McNemar(names[0], names[1], len(a), only_a, only_b, binomial_two_sided(only_a, only_a + only_b))


def chi2_sf(x: float, df: int) -> float:
    """Upper tail of the chi-square distribution with integer ``df`` (closed forms for even and odd df)."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    if x <= 0:
        return 1.0
    h = x / 2.0
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for i in range(1, df // 2):
            term *= h / i
            total += term
        return min(1.0, math.exp(-h) * total)
    total = math.erfc(math.sqrt(h))
    for i in range(1, (df - 1) // 2 + 1):
        total += math.exp((i - 0.5) * math.log(h) - h - math.lgamma(i + 0.5))
    return min(1.0, total)


@dataclass(frozen=True)
class CochranQ:
    models: tuple[str, ...]
    prompts: int
    q: float
    df: int
    p_value: float
    pairwise: tuple[McNemar, ...]  # every pair, with Holm-adjusted p-values

    def to_dict(self) -> dict[str, Any]:
        return {
            "models": list(self.models),
            "prompts": self.prompts,
            "q": self.q,
            "df": self.df,
            "p_value": self.p_value,
            "pairwise": [p.to_dict() for p in self.pairwise],
        }


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def cochran_q(outcomes: Mapping[str, Sequence[bool]]) -> CochranQ:
    """Cochran's Q over k ≥ 2 models (``name → per-prompt outcomes``, same prompts in the same order), then
    exact McNemar for every pair with Holm's correction."""
    names = tuple(outcomes)
    k = len(names)
    if k < 2:
        raise ValueError("Cochran's Q needs at least two models")
    rows = list(zip(*(outcomes[n] for n in names), strict=True))
    cols = [sum(1 for r in rows if r[j]) for j in range(k)]
    row_totals = [sum(r) for r in rows]
    grand = sum(row_totals)
    denom = k * grand - sum(t * t for t in row_totals)
    q = (k - 1) * (k * sum(c * c for c in cols) - grand * grand) / denom if denom > 0 else 0.0
    pairs = [mcnemar(outcomes[a], outcomes[b], (a, b)) for a, b in combinations(names, 2)]
    adjusted = holm([p.p_value for p in pairs])
    pairwise = tuple(
        McNemar(p.a, p.b, p.prompts, p.only_a, p.only_b, p.p_value, adj)
        for p, adj in zip(pairs, adjusted, strict=True)
    )
    return CochranQ(
        models=names,
        prompts=len(rows),
        q=q,
        df=k - 1,
        p_value=chi2_sf(q, k - 1) if denom > 0 else 1.0,
        pairwise=pairwise,
    )
