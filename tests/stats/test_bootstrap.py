"""Bootstrap intervals: standard error, agreement with scipy and with a naive cluster bootstrap,
and coverage by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from judge.stats import bootstrap_mean, net_win_rate, preference
from judge.stats.bootstrap import bootstrap_means


def _scores(rng: np.random.Generator, n: int, p_win: float = 0.5, p_tie: float = 0.1) -> np.ndarray:
    return rng.choice([1.0, 0.5, 0.0], size=n, p=[p_win, p_tie, 1 - p_win - p_tie])


def test_standard_error_is_alpaca_eval_way_and_seed_reproduces() -> None:
    x = _scores(np.random.default_rng(0), 40)
    res = preference(x, n_resamples=2_000, seed=3)
    assert abs(res.standard_error - np.std(x, ddof=1) / math.sqrt(x.size)) <= 1e-12
    assert res.statistic == pytest.approx(x.mean(), abs=1e-15)
    assert res.ci == preference(x, n_resamples=2_000, seed=3).ci
    assert res.bootstrap_se != preference(x, n_resamples=2_000, seed=4).bootstrap_se


@pytest.mark.parametrize("ours,theirs", [("percentile", "percentile"), ("bca", "BCa")])
def test_unclustered_interval_matches_scipy_bootstrap(ours: str, theirs: str) -> None:
    x = _scores(np.random.default_rng(1), 60, 0.6)
    mine = preference(x, n_resamples=50_000, method=ours).ci
    ref = sps.bootstrap((x,), np.mean, method=theirs, n_resamples=50_000, rng=0).confidence_interval
    # Different random draws: agree to within the Monte Carlo error of the end points.
    assert abs(mine.low - ref.low) < 0.012 and abs(mine.high - ref.high) < 0.012


def test_cluster_bootstrap_equals_naive_resampling_of_clusters() -> None:
    rng = np.random.default_rng(2)
    # Strongly correlated batches of 5: one shared draw decides most of each batch.
    batch = rng.choice([1.0, 0.0], size=60)
    x = np.where(rng.random((60, 5)) < 0.8, batch[:, None], _scores(rng, 300).reshape(60, 5)).ravel()
    clusters = np.repeat(np.arange(60), 5)
    ours = preference(x, clusters, n_resamples=20_000)
    picks = rng.integers(0, 60, size=(20_000, 60))
    naive = x.reshape(60, 5)[picks].mean(axis=(1, 2))
    assert ours.bootstrap_se == pytest.approx(naive.std(ddof=1), rel=0.03)
    assert ours.ci.low == pytest.approx(np.quantile(naive, 0.025), abs=0.01)
    # Ignoring the clustering would understate the uncertainty by about sqrt(design effect).
    assert ours.bootstrap_se > 1.5 * preference(x, n_resamples=20_000).bootstrap_se
    assert ours.n_clusters == 60 and "clustered" in ours.method


def test_net_win_rate_and_edge_cases() -> None:
    res = net_win_rate([1, 1, 1, 0, -1, 1, -1, 0], n_resamples=1_000)
    assert res.statistic == pytest.approx(2 / 8) and res.ci.low < 0.25 < res.ci.high
    one_cluster = bootstrap_mean([1.0, 0.0, 0.5], ["c", "c", "c"], n_resamples=200)
    assert math.isnan(one_cluster.ci.low) and math.isnan(one_cluster.ci.high)
    assert math.isnan(preference([1.0], n_resamples=200).standard_error)
    for bad in ({"scores": []}, {"scores": [2.0]}, {"scores": [1.0, 0.0], "method": "basic"}):
        with pytest.raises(ValueError):
            preference(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="clusters"):
        preference([1.0, 0.0], ["a"])


def test_batch_and_single_give_the_same_interval() -> None:
    x = _scores(np.random.default_rng(4), 30)
    _, low, high = bootstrap_means(x[None, :], n_resamples=3_000, seed=9, method="bca")
    single = preference(x, n_resamples=3_000, seed=9, method="bca").ci
    assert (low[0], high[0]) == pytest.approx((single.low, single.high), abs=1e-12)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_preference_interval_coverage_by_simulation(method: str) -> None:
    # 2,000 simulated runs per setting, n >= 50; the mean over settings must be 95 +- 1 %,
    # and no setting may be far off (Monte Carlo SE per setting is ~0.5 %).
    rng = np.random.default_rng(11)
    coverages = []
    for n, p_win, p_tie in [(50, 0.5, 0.1), (50, 0.3, 0.2), (100, 0.7, 0.1), (200, 0.45, 0.1)]:
        truth = p_win + p_tie / 2
        data = rng.choice([1.0, 0.5, 0.0], size=(2_000, n), p=[p_win, p_tie, 1 - p_win - p_tie])
        _, low, high = bootstrap_means(data, n_resamples=1_000, seed=int(rng.integers(2**31)), method=method)
        coverages.append(float(np.mean((low <= truth) & (truth <= high))))
    assert 0.94 <= float(np.mean(coverages)) <= 0.96, coverages
    assert min(coverages) >= 0.93 and max(coverages) <= 0.97, coverages
