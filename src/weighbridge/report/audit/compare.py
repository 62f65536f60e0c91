"""Several audit runs side by side: their rates, and paired tests on the prompts they share.

For each kind of prompt, every run's per-prompt majority outcome (the kind's audited outcome: non-compliance,
over-refusal, harmful refused, injection followed) is paired on the prompts all runs answered validly; two runs
get an exact McNemar test, more get Cochran's Q and Holm-corrected pairwise McNemar tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ...audit import statistics as st
from ...audit.summary import FLAG, AuditSummary, prompt_outcomes
from ...core.audit import PromptKind, Rate
from .markdown import cell
from .text import METRIC_ORDER, model_name, points


@dataclass(frozen=True)
class KindTest:
    kind: str
    outcome: str
    prompts: int
    mcnemar: st.McNemar | None
    cochran: st.CochranQ | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "outcome": self.outcome,
            "prompts": self.prompts,
            "mcnemar": self.mcnemar.to_dict() if self.mcnemar else None,
            "cochran_q": self.cochran.to_dict() if self.cochran else None,
        }


@dataclass(frozen=True)
class Comparison:
    names: tuple[str, ...]
    summaries: tuple[AuditSummary, ...]
    rates: list[tuple[str, str, list[Rate | None]]]  # kind, metric, one per run
    asymmetries: list[
        tuple[str, list[tuple[float, float, float] | None]]
    ]  # label, (points, low, high) per run
    tests: list[KindTest]
    suite_mismatch: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "weighbridge.audit-compare/1",
            "runs": [
                {"name": n, "model": s.run.model.to_dict(), "suites": s.run.suites}
                for n, s in zip(self.names, self.summaries, strict=True)
            ],
            "suite_mismatch": self.suite_mismatch,
            "rates": [
                {"kind": k, "metric": m, "rates": [r.to_dict() if r else None for r in rs]}
                for k, m, rs in self.rates
            ],
            "asymmetries": [
                {
                    "cell": label,
                    "points": [
                        {"points": v[0], "low_points": v[1], "high_points": v[2]} if v else None for v in vs
                    ],
                }
                for label, vs in self.asymmetries
            ],
            "tests": [t.to_dict() for t in self.tests],
        }


def unique_names(summaries: list[AuditSummary], fallbacks: list[str]) -> tuple[str, ...]:
    """The model names; a name shared by several runs gets the file name, then the position if need be."""
    names = [model_name(s) for s in summaries]
    named = [n if names.count(n) == 1 else f"{n} ({f})" for n, f in zip(names, fallbacks, strict=True)]
    return tuple(n if named.count(n) == 1 else f"{n} #{i + 1}" for i, n in enumerate(named))


def compare(summaries: list[AuditSummary], fallbacks: list[str]) -> Comparison:
    """``fallbacks`` (the file names) tell runs of the same model apart."""
    names = unique_names(summaries, fallbacks)
    rates: list[tuple[str, str, list[Rate | None]]] = []
    for kind in PromptKind:
        for metric in METRIC_ORDER:
            row = [s.rate(kind.value, metric) for s in summaries]
            if any(r is not None for r in row):
                rates.append((kind.value, metric, row))
    labels: dict[str, list[tuple[float, float, float] | None]] = {}
    for i, s in enumerate(summaries):
        for a in s.asymmetries:
            d = a.to_dict()
            label = f"{a.kind} / {a.country} / {a.language}"
            labels.setdefault(label, [None] * len(summaries))[i] = (
                a.points,
                d["low_points"],
                d["high_points"],
            )
    outcomes = [prompt_outcomes(s) for s in summaries]
    tests = []
    for kind in PromptKind:
        per_run = [o.get(kind.value, {}) for o in outcomes]
        common = sorted(set.intersection(*(set(p) for p in per_run))) if per_run else []
        if not common:
            continue
        series = {n: [p[k] for k in common] for n, p in zip(names, per_run, strict=True)}
        if len(names) == 2:
            one, two = names
            tests.append(
                KindTest(
                    kind.value,
                    FLAG[kind],
                    len(common),
                    st.mcnemar(series[one], series[two], (one, two)),
                    None,
                )
            )
        else:
            tests.append(KindTest(kind.value, FLAG[kind], len(common), None, st.cochran_q(series)))
    first = summaries[0].run.suites
    mismatch = sorted(
        {
            n
            for s in summaries[1:]
            for n in set(first) | set(s.run.suites)
            if first.get(n) != s.run.suites.get(n)
        }
    )
    return Comparison(names, tuple(summaries), rates, sorted(labels.items()), tests, mismatch)


def _short(r: Rate | None) -> str:
    return "–" if r is None else f"{100 * r.rate:.1f} % [{100 * r.low:.1f}–{100 * r.high:.1f}] n={r.total}"


def _asym(v: tuple[float, float, float] | None) -> str:
    return "–" if v is None else f"{points(v[0])} [{points(v[1])}, {points(v[2])}]"


def _p(x: float | None) -> str:
    return "–" if x is None else f"{x:.4g}"


def _test_rows(c: Comparison) -> list[list[str]]:
    rows = []
    for t in c.tests:
        if t.mcnemar is not None:
            m = t.mcnemar
            rows.append(
                [
                    t.kind,
                    t.outcome,
                    str(t.prompts),
                    f"McNemar exact: only {m.a} {m.only_a}, only {m.b} {m.only_b}",
                    _p(m.p_value),
                ]
            )
        elif t.cochran is not None:
            q = t.cochran
            rows.append(
                [t.kind, t.outcome, str(t.prompts), f"Cochran's Q = {q.q:.3f} (df {q.df})", _p(q.p_value)]
            )
            rows.extend(
                [
                    "",
                    "",
                    "",
                    f"  {m.a} vs {m.b}: only {m.only_a} / {m.only_b}, Holm p {_p(m.p_holm)}",
                    _p(m.p_value),
                ]
                for m in q.pairwise
            )
    return rows


def _tables(c: Comparison) -> list[tuple[list[str], list[list[str]]]]:
    rates = (["kind", "metric", *c.names], [[k, m, *(_short(r) for r in rs)] for k, m, rs in c.rates])
    asym = (
        ["asymmetry (points)", *c.names],
        [[label, *(_asym(v) for v in vs)] for label, vs in c.asymmetries],
    )
    tests = (["kind", "outcome", "prompts", "test", "p"], _test_rows(c))
    return [rates, asym, tests]


def render_compare_table(c: Comparison) -> str:
    out = []
    for head, rows in _tables(c):
        if not rows:
            continue
        widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
        out.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip())
        out.append("  ".join("-" * w for w in widths))
        out += ["  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        out.append("")
    if c.suite_mismatch:
        out.append(
            f"note: suite versions differ between runs for {', '.join(c.suite_mismatch)}; "
            "paired tests use the prompt ids they share"
        )
    return "\n".join(out).rstrip() + "\n"


def render_compare_markdown(c: Comparison) -> str:
    out = ["# Audit comparison", ""]
    for head, rows in _tables(c):
        if not rows:
            continue
        out.append("| " + " | ".join(cell(h) for h in head) + " |")
        out.append("|" + "---|" * len(head))
        out += ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]
        out.append("")
    if c.suite_mismatch:
        out.append(f"Suite versions differ for {', '.join(c.suite_mismatch)}.")
    return "\n".join(out).rstrip() + "\n"


def render_compare_json(c: Comparison) -> str:
    return json.dumps(c.to_dict(), ensure_ascii=False, indent=2) + "\n"


__all__ = ["Comparison", "compare", "render_compare_json", "render_compare_markdown", "render_compare_table"]
