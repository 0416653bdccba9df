"""Proportions, intervals and hypothesis tests against scipy and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from judge.stats import holm, mcnemar_exact, proportion, sign_test


def test_seed_001_counts_are_not_significant() -> None:
    res = sign_test(10, 8, 2)
    assert res.pvalue == pytest.approx(0.8145294189453125, abs=1e-12)
    assert res.n == 18 and res.k == 10 and not res.significant(0.05)


@pytest.mark.parametrize("wins,losses", [(0, 1), (3, 9), (10, 8), (57, 31), (400, 350), (1, 0)])
def test_sign_test_equals_scipy_binomtest(wins: int, losses: int) -> None:
    expected = sps.binomtest(wins, wins + losses, 0.5).pvalue
    assert abs(sign_test(wins, losses, 7).pvalue - expected) <= 1e-12


def test_tie_conventions_are_named_and_match_scipy() -> None:
    split = sign_test(10, 8, 5, tie_handling="split")
    assert split.n == 22 and split.k == 12 and "split" in split.method
    assert abs(split.pvalue - sps.binomtest(12, 22).pvalue) <= 1e-12
    half = sign_test(10, 8, 2, tie_handling="half")
    scores = [1.0] * 10 + [0.0] * 8 + [0.5] * 2
    assert abs(half.pvalue - sps.ttest_1samp(scores, 0.5).pvalue) <= 1e-12
    assert "half" in half.method and "excluded" in sign_test(1, 1).method


def test_sign_test_without_decisive_pairs_and_bad_input() -> None:
    assert math.isnan(sign_test(0, 0, 4).pvalue)
    assert math.isnan(sign_test(0, 0, 4, tie_handling="half").pvalue)
    with pytest.raises(ValueError, match="tie_handling"):
        sign_test(1, 2, tie_handling="coin")
    with pytest.raises(ValueError, match="wins"):
        sign_test(-1, 2)


def test_mcnemar_exact_is_the_binomial_test_on_discordant_pairs() -> None:
    res = mcnemar_exact(12, 3)
    assert abs(res.pvalue - sps.binomtest(12, 15).pvalue) <= 1e-12
    assert res.pvalue == pytest.approx(2 * sum(math.comb(15, k) for k in range(4)) / 2**15, abs=1e-12)


def test_holm_by_hand_and_order_preserved() -> None:
    adjusted = holm([0.01, 0.04, 0.03, math.nan, 0.5])
    assert np.allclose(adjusted[[0, 1, 2, 4]], [0.04, 0.09, 0.09, 0.5], atol=1e-12)
    assert math.isnan(adjusted[3])
    assert np.all(holm([0.3, 0.9]) == [0.6, 0.9])
    with pytest.raises(ValueError):
        holm([1.2])


@pytest.mark.parametrize("k,n", [(0, 7), (3, 20), (10, 20), (47, 50), (200, 1000)])
def test_intervals_equal_scipy(k: int, n: int) -> None:
    res = proportion(k, n)
    for ours, theirs in (("wilson", "wilson"), ("clopper-pearson", "exact")):
        ci = res.confidence_interval(0.9, method=ours)
        ref = sps.binomtest(k, n).proportion_ci(0.9, method=theirs)
        assert abs(ci.low - ref.low) <= 1e-12 and abs(ci.high - ref.high) <= 1e-12
        assert ci.level == 0.9 and ci.method == ours


def test_empty_proportion_is_uninformative() -> None:
    res = proportion(0, 0)
    assert math.isnan(res.statistic)
    assert (res.confidence_interval().low, res.confidence_interval().high) == (0.0, 1.0)
    with pytest.raises(ValueError):
        proportion(3, 2)
    with pytest.raises(ValueError, match="method"):
        proportion(1, 2).confidence_interval(method="wald")


def _exact_coverages(n: int, ps: list[float], method: str) -> list[float]:
    """Exact coverage at each p: the binomial probability of the k whose interval holds p."""
    k = np.arange(n + 1)
    cis = [proportion(int(i), n).confidence_interval(method=method) for i in k]
    low, high = np.array([c.low for c in cis]), np.array([c.high for c in cis])
    return [float(sps.binom.pmf(k, n, p) @ ((low <= p) & (p <= high))) for p in ps]


def test_wilson_average_coverage_is_nominal_and_clopper_pearson_never_below() -> None:
    # Exact coverage (sum of binomial probabilities), so no Monte Carlo error in this claim.
    ps = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    wilson = [c for n in (50, 80, 120, 200) for c in _exact_coverages(n, ps, "wilson")]
    assert 0.94 <= float(np.mean(wilson)) <= 0.96
    assert min(wilson) > 0.92  # at single (n, p) Wilson can dip a little below nominal
    exact = [c for n in (50, 120) for c in _exact_coverages(n, ps, "clopper-pearson")]
    assert min(exact) >= 0.95


def test_wilson_coverage_by_simulation() -> None:
    rng = np.random.default_rng(7)
    hits = []
    for n, p in [(50, 0.3), (100, 0.55), (200, 0.8)]:
        ks = rng.binomial(n, p, size=2_000)
        cis = {int(k): proportion(int(k), n).confidence_interval() for k in np.unique(ks)}
        hits.append(np.mean([cis[int(k)].low <= p <= cis[int(k)].high for k in ks]))
    assert 0.94 <= float(np.mean(hits)) <= 0.96
