"""Bradley-Terry for several models: the fit and covariance against a direct likelihood, the
pairwise and rank outputs, the win-rate intervals and the errors. Data from the design simulator."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, special
from scipy import stats as sps

from judge.stats import bradley_terry

from .test_ratings_design import draw, layout

_EFFECTS = {"output_sd": 1.0, "call_sd": 1.0, "tie_threshold": 0.4}


def _data(design: str, theta: list[float], n: int, seed: int, **effects: float) -> tuple[np.ndarray, ...]:
    lay = layout(len(theta), design, n, seed=seed)
    scores = draw(lay, np.asarray(theta), reps=1, rng=np.random.default_rng(seed), **(effects or _EFFECTS))[0]
    first, second = lay.names()
    return first, second, scores, lay.group


def _nll(free: np.ndarray, a: np.ndarray, b: np.ndarray, s: np.ndarray) -> float:
    """Negative log-likelihood with the first system's rating fixed at 0."""
    theta = np.concatenate([[0.0], free])
    d = theta[a] - theta[b]
    return float(-(s * special.log_expit(d) + (1 - s) * special.log_expit(-d)).sum())


def _direct(
    first: np.ndarray, second: np.ndarray, s: np.ndarray, systems: tuple[str, ...]
) -> tuple[np.ndarray, ...]:
    idx = {name: i for i, name in enumerate(systems)}
    a, b = np.array([idx[x] for x in first]), np.array([idx[x] for x in second])
    fit = optimize.minimize(
        _nll,
        np.zeros(len(systems) - 1),
        args=(a, b, s),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20_000, "maxfev": 40_000},
    )
    fit = optimize.minimize(_nll, fit.x, args=(a, b, s), method="BFGS", options={"gtol": 1e-9})
    return fit.x, a, b


def _hessian(x: np.ndarray, a: np.ndarray, b: np.ndarray, s: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Central finite differences of the negative log-likelihood."""
    m = x.size
    out = np.zeros((m, m))
    for i in range(m):
        for j in range(m):
            e_i, e_j = np.eye(m)[i] * h, np.eye(m)[j] * h
            out[i, j] = (
                _nll(x + e_i + e_j, a, b, s)
                - _nll(x + e_i - e_j, a, b, s)
                - _nll(x - e_i + e_j, a, b, s)
                + _nll(x - e_i - e_j, a, b, s)
            ) / (4 * h * h)
    return out


@pytest.mark.parametrize("design", ["vs-baseline", "all-pairs"])
def test_ratings_and_information_equal_a_direct_likelihood_fit(design: str) -> None:
    first, second, s, group = _data(design, [0.0, 0.5, -0.3, 0.9], 150, seed=4)
    res = bradley_terry(first, second, s, clusters=group)
    free, a, b = _direct(first, second, s, res.systems)
    direct = np.concatenate([[0.0], free])
    assert np.allclose(res.rating, direct - direct.mean(), atol=1e-6)
    # the model-based covariance of (theta_i - theta_0) is the inverse Hessian of the likelihood
    contrast = np.eye(4)[1:] - np.eye(4)[0]
    inverse_hessian = np.linalg.inv(_hessian(free, a, b, s))
    assert np.allclose(contrast @ res.model_covariance @ contrast.T, inverse_hessian, rtol=1e-5)


def test_sandwich_without_clustering_matches_the_inverse_hessian_when_the_model_holds() -> None:
    # no ties and no random effects: Bradley-Terry is true, so meat ~ information
    first, second, s, group = _data(
        "all-pairs", [0.0, 0.4, -0.4, 0.8], 1500, seed=5, output_sd=0.0, call_sd=0.0, tie_threshold=0.0
    )
    for clusters, tolerance in ((None, 0.1), (group, 0.2)):  # 9,000 verdicts, 300 clusters
        res = bradley_terry(first, second, s, clusters=clusters)
        ratio = np.diag(res.covariance) / np.diag(res.model_covariance)
        assert np.all(np.abs(ratio - 1) < tolerance), ratio
    assert res.df == res.clusters - 1 == 1500 // 5 - 1
    # ...while correlated verdicts make the cluster-robust variance the larger one
    first, second, s, group = _data(
        "all-pairs", [0.0, 0.4, -0.4, 0.8], 600, seed=5, output_sd=2.0, call_sd=2.0, tie_threshold=0.0
    )
    res = bradley_terry(first, second, s, clusters=group)
    assert np.all(np.diag(res.covariance) / np.diag(res.model_covariance) > 1.2)


def test_pairwise_table_ranks_and_intervals_hang_together() -> None:
    first, second, s, group = _data("all-pairs", [0.0, 1.5, -1.5, 0.1], 200, seed=6)
    res = bradley_terry(first, second, s, clusters=group, seed=1)
    d = res.differences
    assert np.allclose(d.estimate, -d.estimate.T) and np.allclose(np.diag(d.estimate), 0)
    assert d.sim_critical > d.critical == pytest.approx(sps.t.ppf(0.975, res.clusters - 1))
    assert np.array_equal(d.clearly_better, d.sim_low > 0)
    off = ~np.eye(4, dtype=bool)
    assert np.all((d.adjusted_pvalue[off] < 0.05) == d.clearly_better[off] | d.clearly_better.T[off])
    # the rating interval is the t interval of the centred rating
    assert np.allclose(res.ci_high - res.rating, d.critical * res.standard_error)
    rows = res.table()
    assert [r["system"] for r in rows] == ["m1", "m3", "m0", "m2"]
    assert [(r["rank_best"], r["rank_worst"]) for r in rows] == [(1, 1), (2, 3), (2, 3), (4, 4)]
    assert sum(r["prob_best"] for r in rows) == pytest.approx(1.0) and rows[0]["prob_best"] > 0.99
    pairs = d.table()
    assert len(pairs) == 6 and all(p["difference"] >= 0 for p in pairs)
    assert {(p["better"], p["worse"]) for p in pairs if not p["clearly_better"]} == {("m3", "m0")}


def test_best_among_checkpoints() -> None:
    # the baseline m0 and four checkpoints m1..m4 of one run, each against the baseline
    first, second, s, group = _data("vs-baseline", [0.0, -0.5, 0.9, 1.0, -0.6], 200, seed=7)
    res = bradley_terry(first, second, s, clusters=group)
    best = res.best_among(["m1", "m2", "m3", "m4"])
    assert best.best in {"m2", "m3"} and set(best.indistinguishable) == {"m2", "m3"}
    assert best.prob_best.sum() == pytest.approx(1.0) and best.prob_best[[0, 3]].max() < 0.01
    assert best.differences.sim_critical < res.differences.sim_critical  # 6 pairs, not 10
    assert [r["indistinguishable"] for r in best.table()] == [False, True, True, False]
    assert res.best_among(["m1", "m4"]).best == "m1"
    with pytest.raises(ValueError, match="at least two distinct systems"):
        res.best_among(["m1", "step-9"])


def test_win_rate_intervals() -> None:
    first, second, s, group = _data(
        "all-pairs", [0.0, 0.5, -0.3], 200, seed=8, output_sd=2.0, call_sd=2.0, tie_threshold=0.0
    )
    clustered = bradley_terry(first, second, s, clusters=group)
    plain = bradley_terry(first, second, s)
    off = ~np.eye(3, dtype=bool)
    assert np.all(
        (clustered.win_low <= clustered.win_rate) & (clustered.win_rate <= clustered.win_high) | ~off
    )
    assert np.allclose(clustered.win_low, 1 - clustered.win_high.T, equal_nan=True)
    # every verdict its own cluster, no ties: exactly scipy's Wilson interval (df inf: z)
    i, j = plain.systems.index("m1"), plain.systems.index("m2")
    wins = round(float(plain.win_rate[i, j] * plain.comparisons[i, j]))
    ci = sps.binomtest(wins, int(plain.comparisons[i, j])).proportion_ci(0.95, method="wilson")
    assert (plain.win_low[i, j], plain.win_high[i, j]) == pytest.approx((ci.low, ci.high), abs=1e-9)
    assert np.all((clustered.win_high - clustered.win_low)[off] > (plain.win_high - plain.win_low)[off])


def test_bootstrap_option_agrees_with_the_sandwich() -> None:
    first, second, s, group = _data("all-pairs", [0.0, 0.5, -0.3, 0.2], 200, seed=9)
    sandwich = bradley_terry(first, second, s, clusters=group)
    boot = bradley_terry(first, second, s, clusters=group, method="bootstrap", n_resamples=500)
    assert boot.method == "cluster bootstrap" and boot.n_resamples == 500
    ratio = boot.differences.standard_error / sandwich.differences.standard_error
    assert np.all(np.abs(ratio[~np.isnan(ratio)] - 1) < 0.25)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"first": ["a", "b"], "second": ["b"], "scores": [1, 0]}, "same length, got 2, 1, 2"),
        (
            {"first": ["a", "b"], "second": ["b", "a"], "scores": [1, 0], "clusters": [1]},
            "one label per verdict",
        ),
        ({"first": ["a", "b"], "second": ["b", "a"], "scores": [1, 1.5]}, "verdict 1 has 1.5"),
        ({"first": ["a"], "second": ["b"], "scores": [float("nan")]}, "verdict 0 has nan"),
        ({"first": ["a", "b"], "second": ["b", "b"], "scores": [1, 1]}, "verdict 1 compares 'b' with itself"),
        (
            {"first": ["a", "b", "c"], "second": ["b", "c", "a"], "scores": [1, 1, 1], "clusters": [0, 0, 1]},
            "2 clusters cannot estimate the covariance of 3 ratings",
        ),
        (
            {"first": ["a", "b"], "second": ["b", "a"], "scores": [1, 1], "method": "jackknife"},
            "method must be",
        ),
        (
            {"first": ["a", "a", "b"], "second": ["b", "c", "c"], "scores": [1, 1, 1]},
            r"\[\['a'\], \['b'\], \['c'\]\]",
        ),
        ({"first": ["a", "b"], "second": ["b", "a"], "scores": [1, 1], "level": 95}, "level must be"),
    ],
)
def test_bad_input_says_what_is_wrong(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bradley_terry(**kwargs)  # type: ignore[arg-type]
