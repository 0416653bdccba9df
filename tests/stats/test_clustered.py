"""The clustered decision and its interval: exact sign test without clustering, consistency with
the interval everywhere, Tango's restricted fit, CR1 standard errors, and the issue's cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize
from scipy import stats as sps

from judge.stats import ClusterCounts, clustered_sign_test, net_win_interval, net_win_summary
from judge.stats.clustered import _restricted_variance


def _counts(w: int, l_: int, t: int, batch: int | None = None) -> ClusterCounts:
    results = [1] * w + [-1] * l_ + [0] * t
    labels = None if batch is None else [i // batch for i in range(len(results))]
    return ClusterCounts.from_results(results, labels)


def test_one_verdict_per_cluster_is_scipys_exact_sign_test() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        w, l_, t = (int(x) for x in rng.integers(0, 80, size=3))
        test = clustered_sign_test(_counts(w, l_, t))
        if w + l_ == 0:
            assert math.isnan(test.pvalue)
            continue
        assert abs(test.pvalue - sps.binomtest(w, w + l_).pvalue) <= 1e-12
        assert test.method.startswith("exact sign test")


def test_interval_excludes_zero_exactly_when_significant_on_every_small_table() -> None:
    # Every table with W, L <= 40 and T in {0, 3, 17}: the printed interval and the decision agree.
    w, l_, t = (a.ravel() for a in np.meshgrid(np.arange(41), np.arange(41), [0, 3, 17]))
    keep = w + l_ + t > 0
    w, l_, t = w[keep], l_[keep], t[keep]
    pvalue, low, high = net_win_interval(w, l_, t)
    significant = pvalue < 0.05
    excludes = (low > 0) | (high < 0)
    assert np.array_equal(significant, excludes)
    est = (w - l_) / (w + l_ + t)
    assert np.all((low <= est + 1e-9) & (est - 1e-9 <= high)) and np.all(high - low > 0)


def test_clustered_tables_agree_too() -> None:
    rng = np.random.default_rng(1)
    for _ in range(200):
        n, batch = int(rng.integers(5, 120)), int(rng.integers(2, 11))
        shared = rng.choice([1, 0, -1], size=n // batch + 1, p=[0.5, 0.1, 0.4])
        own = rng.choice([1, 0, -1], size=n, p=[0.5, 0.1, 0.4])
        results = np.where(rng.random(n) < 0.6, shared[np.arange(n) // batch], own)
        res = net_win_summary(ClusterCounts.from_results(results, np.arange(n) // batch))
        assert res.significant == (res.ci.low > 0 or res.ci.high < 0)
        assert res.ci.low <= res.net <= res.ci.high


def test_restricted_fit_is_the_maximum_likelihood_under_the_null() -> None:
    w, l_, t = 14, 5, 1
    for d0 in (-0.3, 0.1, 0.5, 0.8):

        def nll(p_loss: float, d0: float = d0) -> float:
            p_win, p_tie = p_loss + d0, 1 - 2 * p_loss - d0
            return -(w * math.log(p_win) + l_ * math.log(p_loss) + t * math.log(p_tie))

        lo = max(0.0, -d0) + 1e-9
        best = optimize.minimize_scalar(
            nll, bounds=(lo, (1 - d0) / 2 - 1e-9), method="bounded", options={"xatol": 1e-10}
        )
        expected = 2 * best.x + d0 * (1 - d0)
        assert float(_restricted_variance(w, l_, w + l_ + t, d0)) == pytest.approx(expected, abs=1e-6)


def test_standard_error_is_cluster_robust_and_alpaca_evals_without_clusters() -> None:
    rng = np.random.default_rng(2)
    results = rng.choice([1, 0, -1], size=200, p=[0.5, 0.1, 0.4])
    plain = net_win_summary(ClusterCounts.from_results(results))
    assert plain.standard_error == pytest.approx(results.std(ddof=1) / math.sqrt(200), abs=1e-12)
    labels = np.arange(200) // 5
    sums = np.bincount(labels, weights=results - results.mean())
    cr1 = math.sqrt(40 / 39 * (sums @ sums)) / 200
    assert net_win_summary(ClusterCounts.from_results(results, labels)).standard_error == pytest.approx(
        cr1, abs=1e-12
    )


def test_correlated_calls_widen_the_interval_and_weaken_the_test() -> None:
    # 60 pairs in 12 calls, each call unanimous: 12 independent verdicts, not 60.
    calls = [1] * 8 + [-1] * 4
    results = np.repeat(calls, 5)
    plain = net_win_summary(ClusterCounts.from_results(results))
    clustered = net_win_summary(ClusterCounts.from_results(results, np.arange(60) // 5))
    assert plain.significant and not clustered.significant
    assert clustered.test.pvalue == pytest.approx(sps.binomtest(8, 12).pvalue, rel=0.25)
    assert clustered.design_effect == pytest.approx(5 * 12 / 11)
    assert clustered.ci.high - clustered.ci.low > 2 * (plain.ci.high - plain.ci.low)


@pytest.mark.parametrize(
    "w,l_,t,significant,pref_low,pref_high",
    [
        (14, 5, 1, False, 0.5, 0.87),  # was "Not significant" beside 52-90 %
        (5, 0, 0, False, 0.5, 1.0),  # was "CI 100 % to 100 %"
        (0, 80, 0, True, 0.0, 0.046),  # was "0 %-0 %"
        (0, 0, 24, False, 0.43, 0.57),  # was "50 %-50 %"; |net| <= 1 - Wilson tie low (0.86)
        (251_500, 248_500, 0, True, 0.5016, 0.5044),
        (502, 498, 0, False, 0.471, 0.533),
        (1, 0, 0, False, 0.207, 1.0),
    ],
)
def test_the_issues_tables(
    w: int, l_: int, t: int, significant: bool, pref_low: float, pref_high: float
) -> None:
    res = net_win_summary(_counts(w, l_, t))
    est, low, high = res.preference
    assert res.significant is significant
    assert low == pytest.approx(pref_low, abs=0.006) and high == pytest.approx(pref_high, abs=0.006)
    assert high > low and low <= est <= high


def test_single_call_has_no_between_call_information() -> None:
    res = net_win_summary(ClusterCounts.from_results([1, 1, 1, 1, -1], ["c"] * 5))
    assert not res.significant and res.ci.low < -0.5 and math.isnan(res.standard_error)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="results"):
        ClusterCounts.from_results([2, 1])
    with pytest.raises(ValueError, match="one label per result"):
        ClusterCounts.from_results([1, 0], ["a"])
    with pytest.raises(ValueError, match="no pair"):
        net_win_summary(ClusterCounts.from_results([]))
