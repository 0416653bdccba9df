"""One decision and one interval for the net win rate, with the judge call as the unit.

Every pair gives ``r = +1`` (fine-tune wins), ``0`` (tie) or ``-1`` (loss); pairs judged in the
same call (a *cluster*) are correlated. Everything here is computed from six sufficient numbers
per data set: wins W, losses L, pairs n and, over clusters g with sum ``S_g`` and size ``n_g``,
``sum S_g^2``, ``sum S_g n_g`` and ``sum n_g^2`` (:class:`ClusterCounts`). So the functions work on
one data set or, element-wise, on arrays of many (simulations), and cost O(1) after one bincount.

**Decision** (:func:`clustered_sign_test`): the sign test on *effective* counts ``W / D`` of
``(W + L) / D``, where the design effect ``D = sum S_g^2 / (W + L)`` (at least ``FLOOR``, times
the small-sample factor G/(G - 1)) is the ratio of the sign statistic's cluster-robust variance
under the null to its variance if every verdict were independent. With one verdict per cluster
``S_g^2`` is 1 for a decisive pair and 0 for a tie, so ``D == 1`` exactly and the test *is*
``scipy.stats.binomtest(W, W + L)``; with non-integer effective counts the binomial tails are the
regularized incomplete beta function (see :func:`_effective_pvalue` for the continuity correction).

**Interval** (:func:`net_win_interval`): the values ``d0`` of the net win rate that a score test
does not reject: Tango's score test for a difference of paired proportions (ties are the
concordant pairs), whose variance uses the restricted maximum-likelihood fit under ``d0``,
multiplied by the cluster design effect at ``d0``. Score intervals keep their coverage at extreme
rates and never collapse to zero width (all wins, all ties). At ``d0 = 0`` this score test is the
normal form of the decision's test, which is never more conservative than the exact one, so an
interval that contains 0 comes with a non-significant decision; where the exact test does not
reject but the score interval stops short of 0, the interval is widened to reach 0. The printed
interval therefore excludes 0 exactly when the decision is "significant".

**Standard error**: cluster-robust (CR1): ``sqrt(G / (G - 1) * sum (S_g - n_g d)^2) / n``; with
one verdict per cluster it is ``std(r, ddof=1) / sqrt(n)``, AlpacaEval's standard error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special
from scipy import stats as sps

from ._types import ConfidenceInterval, TestResult, check_level

__all__ = [
    "ClusterCounts",
    "ClusteredResult",
    "clustered_rate",
    "clustered_sign_test",
    "net_win_interval",
    "net_win_summary",
]

Array = Any  # a float or a numpy array (element-wise over data sets)
FLOOR = 0.5  # D below 1 (calls more balanced than chance) may halve the variance, no more


@dataclass(frozen=True)
class ClusterCounts:
    """Sufficient statistics of one data set of pairwise results grouped into clusters.

    Attributes:
        wins: pairs the fine-tune won (W).
        losses: pairs it lost (L).
        ties: tied pairs (T).
        sum_sq: sum over clusters of the squared cluster sum of results.
        cross: sum over clusters of (cluster sum x cluster size).
        size_sq: sum over clusters of the squared cluster size.
        clusters: number of clusters G.
    """

    wins: int
    losses: int
    ties: int
    sum_sq: float
    cross: float
    size_sq: float
    clusters: int

    @property
    def n(self) -> int:
        """Pairs with a result (W + L + T)."""
        return self.wins + self.losses + self.ties

    @classmethod
    def from_results(cls, results: object, clusters: object | None = None) -> ClusterCounts:
        """Build from per-pair results (+1 win, 0 tie, -1 loss) and optional cluster labels.

        Args:
            results: one of +1 / 0 / -1 per pair.
            clusters: a label per pair (judge call or group); None: every pair its own cluster.

        Raises:
            ValueError: a result other than -1, 0, 1 or a label array of the wrong length.
        """
        r = np.asarray(results, dtype=float).ravel()
        if r.size and not np.all(np.isin(r, (-1.0, 0.0, 1.0))):
            raise ValueError("results must be +1 (win), 0 (tie) or -1 (loss)")
        if clusters is None:
            index = np.arange(r.size)
        else:
            labels = np.asarray(clusters).ravel()
            if labels.shape != r.shape:
                raise ValueError(f"clusters must have one label per result ({r.size}), got {labels.size}")
            index = np.unique(labels, return_inverse=True)[1].ravel()
        sums = np.bincount(index, weights=r) if r.size else np.zeros(0)
        sizes = np.bincount(index).astype(float) if r.size else np.zeros(0)
        return cls(
            wins=int((r == 1).sum()),
            losses=int((r == -1).sum()),
            ties=int((r == 0).sum()),
            sum_sq=float(sums @ sums),
            cross=float(sums @ sizes),
            size_sq=float(sizes @ sizes),
            clusters=int(sizes.size),
        )


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


def small_sample(n: Array, clusters: Array) -> Array:
    """CR1 factor G / (G - 1) when pairs share clusters (1 with one verdict per cluster).

    With a single cluster there is no between-call information: the factor is n, as if the
    whole call were one verdict.
    """
    n, g = np.asarray(n, dtype=float), np.asarray(clusters, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(g >= n, 1.0, np.where(g >= 2, g / np.maximum(g - 1, 1), np.maximum(n, 1.0)))


def null_design_effect(wins: Array, losses: Array, sum_sq: Array, factor: Array = 1.0) -> Array:
    """D at the null: max(FLOOR, sum S_g^2 / (W + L)) x the small-sample factor; 1 without decisive pairs.

    With one verdict per cluster the ratio is exactly 1 and so is the factor.
    """
    m = np.asarray(wins + losses, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(m > 0, np.asarray(sum_sq, dtype=float) / np.where(m > 0, m, 1.0), 1.0)
    return np.where(m > 0, np.maximum(FLOOR, ratio) * factor, 1.0)


def _effective_pvalue(wins: Array, losses: Array, design: Array) -> Array:
    """Two-sided p-value at 0.5 for W/D of (W + L)/D (nan where W + L == 0).

    D == 1: the exact binomial test. D > 1: the binomial tails at the effective counts moved
    ``(1 - 1/D) / 2`` away from the centre, so that the continuity correction is one unit of the
    sign statistic W - L (as in the unclustered test) rather than D units, and never below the
    normal form of the same test, which keeps the interval (whose score test at 0 is that normal
    form) consistent with the decision.
    """
    design = np.asarray(design, dtype=float)
    k = np.asarray(wins, dtype=float) / design
    m = np.asarray(wins + losses, dtype=float) / design
    shift = 0.5 * (1 - 1 / design)
    k_low, k_high = np.maximum(k - shift, 0.0), np.minimum(k + shift, m)
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = np.where(m - k_low > 0, special.betainc(np.maximum(m - k_low, 1e-300), k_low + 1, 0.5), 1.0)
        upper = np.where(k_high > 0, special.betainc(np.maximum(k_high, 1e-300), m - k_high + 1, 0.5), 1.0)
        normal = 2 * special.ndtr(-np.abs(2 * k - m) / np.sqrt(np.where(m > 0, m, 1.0)))
    p = np.minimum(1.0, 2 * np.minimum(lower, upper))
    p = np.where(design > 1, np.maximum(p, normal), p)
    return np.where(m > 0, p, np.nan)


def clustered_sign_test(counts: ClusterCounts) -> TestResult:
    """Two-sided sign test of "no difference" with the judge call as the unit of independence.

    Args:
        counts: the data's sufficient statistics.

    Returns:
        TestResult; ``pvalue`` equals ``scipy.stats.binomtest(W, W + L).pvalue`` when the design
        effect is 1 (always so with one verdict per cluster), nan when no pair is decisive;
        ``statistic`` is W / (W + L).
    """
    w, l_ = counts.wins, counts.losses
    m = w + l_
    design = float(null_design_effect(w, l_, counts.sum_sq, small_sample(counts.n, counts.clusters)))
    if m == 0:
        return TestResult(math.nan, math.nan, _method(design, counts), 0, w)
    if design == 1.0:
        pvalue = float(sps.binomtest(w, m, 0.5).pvalue)
    else:
        pvalue = float(_effective_pvalue(w, l_, design))
    return TestResult(w / m, pvalue, _method(design, counts), m, w)


def _method(design: float, counts: ClusterCounts) -> str:
    if counts.clusters == counts.n:
        return "exact sign test, ties excluded (each verdict its own cluster)"
    return f"sign test on effective counts, design effect {design:.2f} from {counts.clusters} judge calls"


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
    pvalue = _effective_pvalue(w, l_, design)
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


def clustered_rate(
    indicators: object, clusters: object | None = None, *, level: float = 0.95
) -> ConfidenceInterval:
    """Wilson interval for a rate (e.g. the win rate) with the judge call as the unit.

    The Wilson score interval on effective counts ``k / D`` of ``n / D``, where D is the ratio of
    the cluster-robust variance of the rate to the binomial one (times G / (G - 1) when pairs share
    clusters), at least 1. With one verdict per cluster D is 1 and the interval is scipy's Wilson.

    Args:
        indicators: 1 where the event happened (a win), 0 elsewhere, one per pair.
        clusters: a label per pair; None: every pair its own cluster.
        level: confidence level.

    Returns:
        The interval; [0, 1] when there is no pair.
    """
    check_level(level)
    x = np.asarray(indicators, dtype=float).ravel()
    n = x.size
    if n == 0:
        return ConfidenceInterval(0.0, 1.0, level, "wilson")
    index = (
        np.arange(n) if clusters is None else np.unique(np.asarray(clusters).ravel(), return_inverse=True)[1]
    )
    p = float(x.mean())
    spread = float(((x - p) ** 2).sum())
    sums = np.bincount(index.ravel(), weights=x - p)
    factor = float(small_sample(n, sums.size))
    design = max(1.0, float(sums @ sums) / spread * factor) if spread > 0 else 1.0
    if design == 1.0:
        ci = sps.binomtest(int(x.sum()), n).proportion_ci(confidence_level=level, method="wilson")
        return ConfidenceInterval(float(ci.low), float(ci.high), level, "wilson")
    z2, n_eff = float(special.ndtri((1 + level) / 2)) ** 2, n / design
    centre = (p + z2 / (2 * n_eff)) / (1 + z2 / n_eff)
    half = math.sqrt(z2 * p * (1 - p) / n_eff + z2 * z2 / (4 * n_eff * n_eff)) / (1 + z2 / n_eff)
    return ConfidenceInterval(
        max(0.0, centre - half), min(1.0, centre + half), level, f"wilson, design effect {design:.2f}"
    )
