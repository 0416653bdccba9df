"""Bradley-Terry vs a direct likelihood fit, judge agreement."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, special

from judge.stats import (
    agreement_with_truth,
    bradley_terry,
    cohen_kappa,
    cohen_kappa_interval,
    position_bias,
    position_consistency,
)

_SYSTEMS = ["base", "adapter-1", "adapter-2", "large"]


def _verdicts(n: int, seed: int) -> tuple[list[str], list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    true = np.array([0.0, -0.6, -1.0, 0.4])
    pairs = np.array([rng.choice(4, 2, replace=False) for _ in range(n)])
    p = special.expit(true[pairs[:, 0]] - true[pairs[:, 1]])
    u = rng.random(n)
    scores = np.where(u < 0.9 * p, 1.0, np.where(u < 0.9 * p + 0.1, 0.5, 0.0))
    return [_SYSTEMS[i] for i in pairs[:, 0]], [_SYSTEMS[j] for j in pairs[:, 1]], scores


def test_bradley_terry_equals_direct_maximum_likelihood() -> None:
    first, second, scores = _verdicts(600, 0)
    res = bradley_terry(first, second, scores, n_resamples=0)
    idx = {s: i for i, s in enumerate(res.systems)}
    a, b = np.array([idx[x] for x in first]), np.array([idx[x] for x in second])

    def nll(free: np.ndarray) -> float:
        theta = np.concatenate([[0.0], free])
        d = theta[a] - theta[b]
        return float(-(scores * special.log_expit(d) + (1 - scores) * special.log_expit(-d)).sum())

    fit = optimize.minimize(nll, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    direct = np.concatenate([[0.0], fit.x])
    assert np.allclose(res.rating, direct - direct.mean(), atol=1e-5)


def test_bradley_terry_ranking_intervals_and_win_matrix() -> None:
    first, second, scores = _verdicts(3_000, 1)
    res = bradley_terry(first, second, scores, n_resamples=500, clusters=np.arange(3_000) // 5)
    assert [row["system"] for row in res.table()] == ["large", "base", "adapter-1", "adapter-2"]
    assert np.all(res.ci_low < res.rating) and np.all(res.rating < res.ci_high)
    i, j = res.systems.index("large"), res.systems.index("adapter-2")
    assert res.win_rate[i, j] + res.win_rate[j, i] == pytest.approx(1.0)
    assert res.win_rate[i, j] > 0.6 and math.isnan(res.win_rate[i, i])


def test_bradley_terry_without_an_mle_says_why() -> None:
    with pytest.raises(ValueError, match="never won or tied"):
        bradley_terry(["a", "a", "b"], ["b", "c", "c"], [1.0, 1.0, 1.0], n_resamples=0)


def test_cohen_kappa_by_hand_and_interval() -> None:
    judge_1 = ["yes"] * 20 + ["no"] * 15 + ["yes"] * 5 + ["no"] * 10
    judge_2 = ["yes"] * 20 + ["no"] * 15 + ["no"] * 5 + ["yes"] * 10
    # p_o = 0.7, p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5 -> kappa = 0.4
    assert cohen_kappa(judge_1, judge_2) == pytest.approx(0.4, abs=1e-12)
    res = cohen_kappa_interval(judge_1, judge_2, n_resamples=5_000)
    assert res.ci.low < 0.4 < res.ci.high and 0.05 < res.standard_error < 0.25
    assert cohen_kappa(judge_1, judge_1) == 1.0
    assert math.isnan(cohen_kappa(["a", "a"], ["a", "a"]))


def test_position_and_truth_agreement() -> None:
    bias = position_bias(["A", "A", "A", "B", "tie"])
    assert (bias.k, bias.n) == (3, 4)
    consistent = position_consistency(["win", "loss", "tie", "win"], ["win", "win", "tie", "win"])
    assert (consistent.k, consistent.n) == (3, 4)
    truth = agreement_with_truth(["win", "loss", "tie"], ["win", None, "loss"])
    assert (truth.k, truth.n) == (1, 2) and truth.confidence_interval().high < 1
    with pytest.raises(ValueError):
        position_bias(["A", "left"])
