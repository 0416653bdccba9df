"""What the ratings allow us to say about order: pairwise differences, ranks, the best model.

Everything follows from the ratings and their covariance (normal approximation):

* **Pairwise differences** theta_i - theta_j with a marginal interval at ``level`` (for a single
  comparison of interest, e.g. one adapter against the baseline) and a *simultaneous* interval:
  the critical value is the ``level`` quantile of max |T| over all K(K-1)/2 standardised
  differences, drawn from the joint normal (or multivariate t with the cluster degrees of
  freedom) with the estimated covariance, as R's multcomp does. "i is clearly better than j"
  means the simultaneous interval lies above 0. We chose this over Holm because the printed
  interval and the decision then agree by construction, the correlation between differences is
  used (a little tighter than Bonferroni: 2.57 instead of 2.64 for four models, all pairs), and
  with probability >= ``level`` *every* interval covers at once, so no "clearly better" is wrong
  and every rank interval below holds, jointly.
* **Rank intervals**: best rank = 1 + the number of models clearly better, worst rank = K - the
  number clearly worse.
* **P(best)**: the share of draws from the same approximation (normal, or multivariate t with the
  cluster degrees of freedom, seeded) in which a model's rating is the highest. It describes the
  uncertainty of the estimates, not a posterior probability. Under the vs-baseline design with
  equal models it is not 1/K for everyone: the baseline is best only if every challenger falls
  below it (about 1/8 with three challengers), each challenger is best in about (1 - 1/8)/3.
* :func:`best_among`: the best of a subset (checkpoints of one training run), its P(best) within
  the subset and the members whose difference to it is not clear (the correction then counts the
  subset's pairs only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special
from scipy import stats as sps

__all__ = ["BestOf", "PairwiseDifferences", "best_among", "compare", "draws", "prob_best", "rank_interval"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class PairwiseDifferences:
    """theta_i - theta_j for every ordered pair (K x K arrays; the diagonal is 0 / nan).

    ``low``/``high``: marginal interval at ``level``; ``sim_low``/``sim_high``: simultaneous
    interval (all pairs at once) with critical value ``sim_critical``; ``adjusted_pvalue``: the
    single-step max-|T| p-value of "no difference" (< 1 - level exactly when the simultaneous
    interval excludes 0, up to simulation error).
    """

    systems: tuple[str, ...]
    estimate: FloatArray
    standard_error: FloatArray
    low: FloatArray
    high: FloatArray
    sim_low: FloatArray
    sim_high: FloatArray
    adjusted_pvalue: FloatArray
    critical: float
    sim_critical: float
    level: float

    @property
    def clearly_better(self) -> BoolArray:
        """``[i, j]``: i is clearly better than j (the simultaneous interval lies above 0)."""
        return np.asarray(self.sim_low > 0)

    def table(self) -> list[dict[str, Any]]:
        """One row per unordered pair, the higher-rated model first, largest difference first."""
        k = len(self.systems)
        pairs = [(i, j) if self.estimate[i, j] >= 0 else (j, i) for i in range(k) for j in range(i + 1, k)]
        pairs.sort(key=lambda p: -self.estimate[p])
        return [
            {
                "better": self.systems[i],
                "worse": self.systems[j],
                "difference": float(self.estimate[i, j]),
                "standard_error": float(self.standard_error[i, j]),
                "ci_low": float(self.low[i, j]),
                "ci_high": float(self.high[i, j]),
                "sim_low": float(self.sim_low[i, j]),
                "sim_high": float(self.sim_high[i, j]),
                "adjusted_pvalue": float(self.adjusted_pvalue[i, j]),
                "clearly_better": bool(self.clearly_better[i, j]),
            }
            for i, j in pairs
        ]


@dataclass(frozen=True)
class BestOf:
    """The best model of a subset, how sure we are, and who cannot be told apart from it.

    ``prob_best`` is indexed like ``systems`` (the subset, in the order given);
    ``indistinguishable`` holds the best itself and every member whose simultaneous interval for
    the difference to the best contains 0.
    """

    systems: tuple[str, ...]
    best: str
    prob_best: FloatArray
    indistinguishable: tuple[str, ...]
    differences: PairwiseDifferences

    def table(self) -> list[dict[str, Any]]:
        """The subset's members in the order given: rating difference to the best and P(best)."""
        b = self.systems.index(self.best)
        d = self.differences
        return [
            {
                "system": name,
                "difference_to_best": float(d.estimate[i, b]) if i != b else 0.0,
                "sim_low": float(d.sim_low[i, b]) if i != b else 0.0,
                "sim_high": float(d.sim_high[i, b]) if i != b else 0.0,
                "prob_best": float(self.prob_best[i]),
                "best": i == b,
                "indistinguishable": name in self.indistinguishable,
            }
            for i, name in enumerate(self.systems)
        ]


def draws(covariance: FloatArray, df: float, n_draws: int, seed: int) -> FloatArray:
    """(n_draws, K) deviations from N(0, covariance), or multivariate t with ``df`` when finite."""
    values, vectors = np.linalg.eigh(covariance)
    factor = vectors * np.sqrt(np.clip(values, 0.0, None))
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_draws, covariance.shape[0])) @ factor.T
    if np.isfinite(df):
        z /= np.sqrt(rng.chisquare(df, size=(n_draws, 1)) / df)
    return np.asarray(z)


def _quantile(level: float, df: float) -> float:
    return float(special.ndtri((1 + level) / 2) if not np.isfinite(df) else sps.t.ppf((1 + level) / 2, df))


def compare(
    systems: tuple[str, ...],
    rating: FloatArray,
    covariance: FloatArray,
    deviations: FloatArray,
    level: float,
    df: float,
) -> PairwiseDifferences:
    """All pairwise differences with marginal and simultaneous intervals.

    Args:
        systems: names, indexed like ``rating``.
        rating: the estimates.
        covariance: their covariance.
        deviations: draws from :func:`draws` with the same covariance (for the max-|T| quantile).
        level: confidence level.
        df: degrees of freedom of the t reference (inf: normal).
    """
    k = rating.size
    est = rating[:, None] - rating[None, :]
    var = np.diag(covariance)[:, None] + np.diag(covariance)[None, :] - 2 * covariance
    se = np.sqrt(np.clip(var, 0.0, None))
    np.fill_diagonal(se, np.nan)
    iu = np.triu_indices(k, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_draws = np.abs(deviations[:, iu[0]] - deviations[:, iu[1]]) / se[iu]
        max_t = np.sort(np.nan_to_num(t_draws, nan=0.0).max(axis=1))
        observed = np.abs(est) / se
    sim = float(np.quantile(max_t, level))
    adjusted = 1.0 - np.searchsorted(max_t, observed, side="left") / max_t.size
    crit = _quantile(level, df)
    return PairwiseDifferences(
        systems=systems,
        estimate=est,
        standard_error=se,
        low=est - crit * se,
        high=est + crit * se,
        sim_low=est - sim * se,
        sim_high=est + sim * se,
        adjusted_pvalue=np.where(np.isnan(se), np.nan, adjusted),
        critical=crit,
        sim_critical=sim,
        level=level,
    )


def rank_interval(clearly_better: BoolArray) -> tuple[IntArray, IntArray]:
    """(best, worst) rank per model: 1 + #clearly better than it, K - #clearly worse than it."""
    k = clearly_better.shape[0]
    return (
        np.asarray(1 + clearly_better.sum(axis=0), dtype=np.int64),
        np.asarray(k - clearly_better.sum(axis=1), dtype=np.int64),
    )


def prob_best(rating: FloatArray, deviations: FloatArray) -> FloatArray:
    """Share of draws rating + deviation in which each model is the highest."""
    winners = np.argmax(rating + deviations, axis=1)
    return np.asarray(np.bincount(winners, minlength=rating.size) / deviations.shape[0], dtype=np.float64)


def best_among(
    systems: tuple[str, ...],
    rating: FloatArray,
    covariance: FloatArray,
    subset: tuple[str, ...],
    *,
    level: float,
    df: float,
    n_draws: int,
    seed: int,
) -> BestOf:
    """The highest-rated member of ``subset`` with P(best) and the members not clearly worse.

    Raises:
        ValueError: a name not in ``systems``, a repeated name or fewer than two names.
    """
    unknown = [s for s in subset if s not in systems]
    if unknown or len(set(subset)) != len(subset) or len(subset) < 2:
        raise ValueError(
            f"subset must name at least two distinct systems of {list(systems)}; got {list(subset)}"
        )
    idx = np.array([systems.index(s) for s in subset])
    sub_rating, sub_cov = rating[idx], covariance[np.ix_(idx, idx)]
    deviations = draws(sub_cov, df, n_draws, seed)
    diffs = compare(subset, sub_rating, sub_cov, deviations, level, df)
    b = int(np.argmax(sub_rating))
    unclear = [s for i, s in enumerate(subset) if i == b or not diffs.clearly_better[b, i]]
    return BestOf(subset, subset[b], prob_best(sub_rating, deviations), tuple(unclear), diffs)
