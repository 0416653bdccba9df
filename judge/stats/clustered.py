"""One decision and one interval for the net win rate, with the judge call as the unit.

**Decision**: :func:`judge.stats.clustered_sign_test` (module ``_design``), the sign test on
effective counts; it is scipy's exact sign test when every verdict is its own cluster.

**Interval** (:func:`net_win_interval`): the values ``d0`` of the net win rate that a score test
does not reject: Tango's score test for a difference of paired proportions (ties are the
concordant pairs), whose variance uses the restricted maximum-likelihood fit under ``d0``,
multiplied by the cluster design effect at ``d0``. Score intervals keep their coverage at extreme
rates and never collapse to zero width (all wins, all ties). At ``d0 = 0`` this score test is the
normal form of the decision's test, which is never more conservative than the decision (checked
exhaustively for alpha >= 0.001; by construction when clustered), so an interval that contains 0
comes with a non-significant decision; where the decision does not reject but the score interval
stops short of 0, the interval is widened to reach 0. The printed interval therefore excludes 0
exactly when the decision is "significant".

**Standard error**: cluster-robust (CR1): ``sqrt(G / (G - 1) * sum (S_g - n_g d)^2) / n``; with
one verdict per cluster it is ``std(r, ddof=1) / sqrt(n)``, AlpacaEval's standard error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from ._design import (
    FLOOR,
    Array,
    ClusterCounts,
    clustered_sign_test,
    effective_pvalue,
    null_design_effect,
    small_sample,
)
from ._types import ConfidenceInterval, TestResult, check_level

__all__ = ["ClusteredResult", "consistent", "net_win_interval", "net_win_summary"]


@dataclass(frozen=True)
class ClusteredResult:
    """The decision, its interval and standard error for the net win rate (W - L)/n.

    ``test`` is the clustered sign test (its ``statistic`` is the effective win share);
    ``ci`` the interval on the net win rate, consistent with ``test`` at ``alpha``;
    ``design_effect`` is D at the null; ``preference`` is (1 + net)/2 with the same interval.
    """

    net: float
    standard_error: float
    ci: ConfidenceInterval
    test: TestResult
    alpha: float
    design_effect: float
    n: int
    clusters: int

    @property
    def significant(self) -> bool:
        """Whether the decision rejects "no difference" at ``alpha`` (the interval excludes 0)."""
        return self.test.significant(self.alpha)

    @property
    def preference(self) -> tuple[float, float, float]:
        """(estimate, low, high) of the preference (W + T/2)/n = (1 + net)/2."""
        return (1 + self.net) / 2, (1 + self.ci.low) / 2, (1 + self.ci.high) / 2


def _restricted_variance(wins: Array, losses: Array, n: Array, d0: Array) -> Array:
    """Var(r) under H0: net = d0 at the restricted MLE (Tango 1998): 2 p_loss + d0 (1 - d0)."""
    a = 2.0 * n
    b = -wins - losses + (2.0 * n - wins + losses) * d0
    c = -losses * d0 * (1.0 - d0)
    p_loss = (-b + np.sqrt(np.maximum(b * b - 4 * a * c, 0.0))) / (2 * a)
    return 2 * p_loss + d0 * (1 - d0)


def _design_at(counts: _Stats, d0: Array) -> Array:
    """max(FLOOR, sum (S_g - n_g d0)^2 / sum (r_i - d0)^2) x CR1: clustering's inflation at d0."""
    cl = counts.sum_sq - 2 * d0 * counts.cross + d0 * d0 * counts.size_sq
    iid = counts.wins + counts.losses - 2 * d0 * (counts.wins - counts.losses) + counts.n * d0 * d0
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(iid > 1e-12, cl / np.where(iid > 1e-12, iid, 1.0), 1.0)
    return np.maximum(FLOOR, ratio) * counts.factor


@dataclass(frozen=True)
class _Stats:
    """ClusterCounts as float arrays (one element per data set)."""

    wins: np.ndarray
    losses: np.ndarray
    n: np.ndarray
    sum_sq: np.ndarray
    cross: np.ndarray
    size_sq: np.ndarray
    factor: np.ndarray


def _rejects(s: _Stats, d0: np.ndarray, crit: float) -> np.ndarray:
    """Whether the clustered score test rejects net = d0 (|z| > crit)."""
    var = _restricted_variance(s.wins, s.losses, s.n, d0) * _design_at(s, d0)
    num = s.wins - s.losses - s.n * d0
    with np.errstate(invalid="ignore", divide="ignore"):
        z2 = np.where(
            var > 1e-15,
            num * num / (s.n * np.where(var > 1e-15, var, 1.0)),
            np.where(np.abs(num) > 1e-9, np.inf, 0.0),
        )
    return np.asarray(z2 > crit * crit)


def _bound(s: _Stats, start: np.ndarray, end: float, crit: float, steps: int = 60) -> np.ndarray:
    """The first d0 from ``start`` towards ``end`` where the test rejects (``end`` if never)."""
    inside = np.broadcast_to(start, s.n.shape).astype(float).copy()
    outside = np.full(s.n.shape, end)
    never = ~_rejects(s, outside, crit)
    for _ in range(steps):
        mid = (inside + outside) / 2
        rej = _rejects(s, mid, crit)
        outside = np.where(rej, mid, outside)
        inside = np.where(rej, inside, mid)
    return np.where(never, end, (inside + outside) / 2)


def net_win_interval(
    wins: Array,
    losses: Array,
    ties: Array,
    sum_sq: Array | None = None,
    cross: Array | None = None,
    size_sq: Array | None = None,
    clusters: Array | None = None,
    *,
    alpha: float = 0.05,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decision p-value and interval for the net win rate, element-wise over data sets.

    Args:
        wins, losses, ties: counts (arrays of equal shape, or scalars).
        sum_sq, cross, size_sq, clusters: as in :class:`ClusterCounts`; None: one verdict per
            cluster (then sum_sq = W + L, cross = W - L, size_sq = n, clusters = n).
        alpha: 1 - confidence level; also the decision's level.

    Returns:
        (pvalue, low, high): the clustered sign test's p-value (nan without decisive pairs) and
        the interval, which excludes 0 exactly where pvalue < alpha.
    """
    check_level(1 - alpha)
    w, l_, t = (np.asarray(x, dtype=float) for x in (wins, losses, ties))
    n = w + l_ + t
    s = _Stats(
        w,
        l_,
        n,
        np.asarray(w + l_ if sum_sq is None else sum_sq, dtype=float),
        np.asarray(w - l_ if cross is None else cross, dtype=float),
        np.asarray(n if size_sq is None else size_sq, dtype=float),
        small_sample(n, n if clusters is None else clusters),
    )
    design = null_design_effect(w, l_, s.sum_sq, s.factor)
    pvalue = effective_pvalue(w, l_, design)
    crit = float(special.ndtri(1 - alpha / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        est = np.where(n > 0, (w - l_) / np.where(n > 0, n, 1.0), 0.0)
    low, high = consistent(pvalue, est, _bound(s, est, -1.0, crit), _bound(s, est, 1.0, crit), alpha)
    return pvalue, np.where(n > 0, low, -1.0), np.where(n > 0, high, 1.0)


def consistent(pvalue: Array, est: Array, low: Array, high: Array, alpha: float) -> tuple[Array, Array]:
    """Make the interval agree with the decision: it holds 0 exactly when pvalue >= alpha.

    A non-significant decision widens the interval to reach 0. The score test at 0 is the normal
    form of the decision's exact test and never more conservative, so a significant decision
    already comes with an interval that excludes 0; the clip only guards against rounding.
    """
    keep_zero = ~(np.asarray(pvalue) < alpha)  # nan (no decisive pair) counts as "not significant"
    low = np.where(keep_zero, np.minimum(low, 0.0), low)
    high = np.where(keep_zero, np.maximum(high, 0.0), high)
    low = np.where(~keep_zero & (est > 0), np.maximum(low, 1e-12), low)
    high = np.where(~keep_zero & (est < 0), np.minimum(high, -1e-12), high)
    return low, high


def _cr1_se(c: ClusterCounts, est: float) -> float:
    if c.clusters < 2:
        return math.nan
    spread = c.sum_sq - 2 * est * c.cross + est * est * c.size_sq
    return math.sqrt(max(spread, 0.0) * c.clusters / (c.clusters - 1)) / c.n


def net_win_summary(counts: ClusterCounts, *, alpha: float = 0.05) -> ClusteredResult:
    """The net win rate with its clustered decision, interval and standard error.

    Args:
        counts: the data's sufficient statistics (at least one pair).
        alpha: significance level; the interval's level is 1 - alpha.

    Returns:
        ClusteredResult whose interval excludes 0 exactly when ``significant``.

    Raises:
        ValueError: no pair in ``counts`` or alpha out of range.
    """
    if counts.n == 0:
        raise ValueError("counts holds no pair with a result")
    test = clustered_sign_test(counts)
    _, low, high = net_win_interval(
        counts.wins,
        counts.losses,
        counts.ties,
        counts.sum_sq,
        counts.cross,
        counts.size_sq,
        counts.clusters,
        alpha=alpha,
    )
    est = (counts.wins - counts.losses) / counts.n
    low, high = consistent(test.pvalue, est, low, high, alpha)  # the exact p decides at the edge
    ci = ConfidenceInterval(float(low), float(high), 1 - alpha, "clustered score interval (Tango)")
    return ClusteredResult(
        net=est,
        standard_error=_cr1_se(counts, est),
        ci=ci,
        test=test,
        alpha=alpha,
        design_effect=float(
            null_design_effect(
                counts.wins, counts.losses, counts.sum_sq, small_sample(counts.n, counts.clusters)
            )
        ),
        n=counts.n,
        clusters=counts.clusters,
    )
