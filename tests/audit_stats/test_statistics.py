"""Statistics against hand-computed and published values."""

from __future__ import annotations

import math

import pytest

from weighbridge.audit.statistics import (
    asymmetry,
    binomial_two_sided,
    chi2_sf,
    clustered_rate,
    cochran_q,
    consistency,
    design_effect,
    grouped_rates,
    holm,
    majority,
    mcnemar,
    newcombe_difference,
    simple_rate,
    wilson,
)

approx = pytest.approx


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (12, 50, 0.1430, 0.3741),  # the research notes' worked values
        (48, 50, 0.8654, 0.9890),
        (50, 50, 0.9287, 1.0),
        (1156, 1360, 0.8300, 0.8680),
        (0, 30, 0.0, 0.1135),
        (5, 10, 0.2366, 0.7634),  # symmetric at one half
    ],
)
def test_wilson_known_values(k: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson(k, n)
    assert (lo, hi) == (approx(low, abs=1e-4), approx(high, abs=1e-4))


def test_wilson_half_width_at_one_half() -> None:
    for n, half in ((50, 0.134), (100, 0.096), (400, 0.049), (1000, 0.031)):
        lo, hi = wilson(n / 2, n)
        assert (hi - lo) / 2 == approx(half, abs=0.0015)


def test_wilson_without_data_is_uninformative() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    assert clustered_rate([]).total == 0


def test_design_effect_perfectly_correlated_prompts() -> None:
    # four prompts x five samples, every prompt always or never: p = .5, N = 20, m = 4
    # robust var = 4 * 2.5^2 / 400 = 1/16; binomial var = .25/20 = 1/80 -> deff = 5 (the cluster size)
    clusters = [(5, 5), (0, 5), (5, 5), (0, 5)]
    assert design_effect(clusters) == approx(5.0)
    rate = clustered_rate(clusters)
    assert (rate.successes, rate.total, rate.clusters, rate.rate) == (10, 20, 4, 0.5)
    assert (rate.low, rate.high) == approx(wilson(2, 4))  # effective n = 20 / 5 = 4: the prompts


def test_design_effect_never_below_one() -> None:
    clusters = [(1, 2)] * 4  # no between-prompt variation
    assert design_effect(clusters) == 1.0
    assert (clustered_rate(clusters).low, clustered_rate(clusters).high) == approx(wilson(4, 8))


def test_degenerate_rate_uses_prompts_as_units() -> None:
    clusters = [(0, 5)] * 10  # 0 of 50 samples, 10 prompts: the upper bound is Wilson's for 0/10
    assert design_effect(clusters) == 5.0
    assert clustered_rate(clusters).high == approx(wilson(0, 10)[1])


def test_single_sample_per_prompt_equals_plain_wilson() -> None:
    clusters = [(1, 1)] * 12 + [(0, 1)] * 38
    rate = clustered_rate(clusters)
    assert (rate.low, rate.high) == approx((simple_rate(12, 50).low, simple_rate(12, 50).high))


def test_grouped_rates_by_cell() -> None:
    records = [
        (("essay", "CN", "en"), "p1", True),
        (("essay", "CN", "en"), "p1", False),
        (("essay", "US", "en"), "p2", False),
    ]
    rates = grouped_rates(records)
    assert rates[("essay", "CN", "en")].rate == 0.5 and rates[("essay", "CN", "en")].clusters == 1
    assert rates[("essay", "US", "en")].total == 1


def test_newcombe_published_example() -> None:
    # Newcombe (1998), method 10: 56/70 - 48/80 = 0.2000, 95% CI 0.0524 to 0.3339
    d = newcombe_difference(simple_rate(56, 70), simple_rate(48, 80))
    assert (d.difference, d.low, d.high) == (approx(0.2), approx(0.0524, abs=1e-4), approx(0.3339, abs=1e-4))


def test_asymmetry_country_against_pooled_controls() -> None:
    cn = [(1, 1)] * 8 + [(0, 1)] * 2  # 80 % non-compliance
    controls = [(1, 1)] * 2 + [(0, 1)] * 18  # 10 %
    d = asymmetry(cn, controls)
    assert d.difference == approx(0.7)
    assert d.low > 0.3 and d.high < 0.95 and d.method == "newcombe-hybrid-score"
    same = asymmetry([(1, 1), (0, 1)], [(1, 1), (0, 1)])
    assert same.difference == 0 and same.low < 0 < same.high


def test_consistency_always_sometimes_never() -> None:
    c = consistency({"a": (5, 5), "b": (2, 5), "c": (0, 5), "d": (0, 0)})
    assert (c.always, c.sometimes, c.never) == (("a",), ("b",), ("c",))
    assert c.to_dict()["sometimes"] == 1


def test_majority() -> None:
    assert majority(3, 5) and not majority(2, 4) and not majority(0, 0)


def test_exact_mcnemar() -> None:
    # discordant 1 vs 6: two-sided p = 2 * (C(7,0) + C(7,1)) / 2^7 = 0.125
    a = [True] * 1 + [False] * 6 + [True] * 3 + [False] * 5
    b = [False] * 1 + [True] * 6 + [True] * 3 + [False] * 5
    t = mcnemar(a, b, ("m1", "m2"))
    assert (t.only_a, t.only_b, t.prompts) == (1, 6, 15)
    assert t.p_value == approx(0.125)
    assert mcnemar([True], [True]).p_value == 1.0
    assert binomial_two_sided(0, 10) == approx(2 / 1024)
    with pytest.raises(ValueError):
        mcnemar([True], [])


def test_chi2_survival_known_values() -> None:
    assert chi2_sf(3.841458820694124, 1) == approx(0.05)
    assert chi2_sf(5.991464547107979, 2) == approx(0.05)
    assert chi2_sf(7.814727903251178, 3) == approx(0.05)
    assert chi2_sf(2.0, 4) == approx(math.exp(-1) * 2)  # e^-1 (1 + 1)
    assert chi2_sf(0.0, 3) == 1.0


def test_holm_adjustment() -> None:
    assert holm([0.01, 0.04, 0.03]) == approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == approx([1.0, 1.0])


def test_cochran_q_hand_computed() -> None:
    # columns A=5, B=4, C=1; row totals 2,1,2,1,3,1 (N=10, sum of squares 20)
    # Q = 2 * (3 * 42 - 100) / (30 - 20) = 5.2, df 2, p = exp(-2.6)
    rows = [(1, 1, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (1, 1, 1), (1, 0, 0)]
    outcomes = {name: [bool(r[j]) for r in rows] for j, name in enumerate(("A", "B", "C"))}
    q = cochran_q(outcomes)
    assert (q.q, q.df, q.prompts) == (approx(5.2), 2, 6)
    assert q.p_value == approx(math.exp(-2.6))
    pairs = {(p.a, p.b): p for p in q.pairwise}
    assert set(pairs) == {("A", "B"), ("A", "C"), ("B", "C")}
    ac = pairs[("A", "C")]  # A only on 4 prompts, C only on none: p = 2/16
    assert (ac.only_a, ac.only_b, ac.p_value) == (4, 0, approx(0.125))
    assert ac.p_holm == approx(0.375)
    assert cochran_q({"x": [True, False], "y": [True, False]}).p_value == 1.0
    with pytest.raises(ValueError):
        cochran_q({"x": [True]})
