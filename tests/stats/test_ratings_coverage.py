"""Coverage, family-wise error and rank outputs by seeded simulation of the clustered design.

Small replications for CI (the Monte Carlo error of a 95 % coverage over 150 runs of 6 pairs is
about 1 point); the grid is benchmarks/bench_ratings_coverage.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from judge.stats import BradleyTerryResult, bradley_terry

from .test_ratings_design import draw, layout, target

_STRONG = {"output_sd": 2.0, "call_sd": 2.0, "tie_threshold": 0.4}


def _fits(
    design: str,
    theta: list[float],
    n: int,
    reps: int,
    seed: int,
    clustered: bool = True,
    effects: dict[str, float] = _STRONG,
    n_draws: int = 2_000,
) -> Iterator[tuple[BradleyTerryResult, np.ndarray]]:
    """(fit, true differences) per simulated run; the fit uses the group labels when ``clustered``."""
    truth = np.asarray(theta)
    lay = layout(truth.size, design, n, seed=seed)
    first, second = lay.names()
    true = target(truth, design, **effects)
    for row in draw(lay, truth, reps=reps, rng=np.random.default_rng(seed), **effects):
        fit = bradley_terry(first, second, row, clusters=lay.group if clustered else None, n_draws=n_draws)
        yield fit, true[:, None] - true[None, :]


def _coverage(design: str, clustered: bool) -> float:
    hits = [
        np.mean(((fit.differences.low <= true) & (true <= fit.differences.high))[np.triu_indices(4, 1)])
        for fit, true in _fits(design, [0.0, 0.5, -0.4, 0.2], 150, 150, seed=11, clustered=clustered)
    ]
    return float(np.mean(hits))


def test_cluster_robust_intervals_cover_where_naive_ones_do_not() -> None:
    # all pairs: an output appears in three pairings of its item, so verdicts of a cluster correlate
    robust, naive = _coverage("all-pairs", True), _coverage("all-pairs", False)
    assert 0.93 <= robust <= 0.97
    assert naive <= 0.92 and robust - naive >= 0.03


def test_cluster_robust_intervals_cover_against_the_baseline() -> None:
    assert 0.93 <= _coverage("vs-baseline", True) <= 0.97


@pytest.mark.parametrize("design", ["vs-baseline", "all-pairs"])
def test_equal_models_rarely_look_different_and_rank_wide(design: str) -> None:
    fits = [fit for fit, _ in _fits(design, [0.0] * 4, 100, 200, seed=12, n_draws=10_000)]
    false_alarm = np.mean([fit.differences.clearly_better.any() for fit in fits])
    assert false_alarm <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / 200)  # family-wise, Monte Carlo tolerance
    assert np.mean([np.all((fit.rank_best == 1) & (fit.rank_worst == 4)) for fit in fits]) == 1 - false_alarm
    prob_best = np.mean([fit.prob_best for fit in fits], axis=0)  # systems m0 (baseline) .. m3
    if design == "all-pairs":
        assert np.allclose(prob_best, 0.25, atol=0.05)
        naive = [fit for fit, _ in _fits(design, [0.0] * 4, 100, 100, seed=12, clustered=False)]
        assert np.mean([fit.differences.clearly_better.any() for fit in naive]) > 0.1  # the check can fail
    else:  # the baseline is best only if all three challengers fall below it (1/8 if independent)
        assert 0.1 < prob_best[0] < 0.25 and np.allclose(prob_best[1:], (1 - prob_best[0]) / 3, atol=0.05)


def test_separated_models_get_exact_ranks() -> None:
    theta = [0.0, 1.5, 3.0, -1.5]  # true ranks 3, 2, 1, 4
    moderate = {"output_sd": 1.0, "call_sd": 1.0, "tie_threshold": 0.4}
    for fit, _ in _fits("all-pairs", theta, 100, 10, seed=13, effects=moderate):
        assert fit.rank_best.tolist() == fit.rank_worst.tolist() == [3, 2, 1, 4]
        assert fit.prob_best[2] > 0.99
