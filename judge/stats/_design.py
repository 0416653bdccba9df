"""The decision with the judge call as the unit: a sign test on effective counts.

Every pair gives ``r = +1`` (fine-tune wins), ``0`` (tie) or ``-1`` (loss); pairs judged in the
same call (a *cluster*) are correlated. Everything is computed from a few sufficient numbers per
data set (:class:`ClusterCounts`): wins W, losses L, pairs n and, over clusters g with sum ``S_g``
and size ``n_g``, ``sum S_g^2``, ``sum S_g n_g`` and ``sum n_g^2``. So the functions work on one
data set or, element-wise, on arrays of many (simulations), at O(1) after one bincount.

The sign test on *effective* counts ``W / D`` of ``(W + L) / D``, where the design effect
``D = sum S_g^2 / (W + L)`` (at least ``FLOOR``, times the small-sample factor G/(G - 1)) is the
ratio of the sign statistic's cluster-robust variance under the null to its variance if every
verdict were independent. With one verdict per cluster ``S_g^2`` is 1 for a decisive pair and 0
for a tie, so ``D == 1`` exactly and the test *is* ``scipy.stats.binomtest(W, W + L)``; with
non-integer effective counts the binomial tails are the regularized incomplete beta function
(see :func:`effective_pvalue` for the continuity correction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special
from scipy import stats as sps

from ._types import TestResult

__all__ = [
    "FLOOR",
    "ClusterCounts",
    "clustered_sign_test",
    "effective_pvalue",
    "null_design_effect",
    "small_sample",
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


def effective_pvalue(wins: Array, losses: Array, design: Array) -> Array:
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
        pvalue = float(effective_pvalue(w, l_, design))
    return TestResult(w / m, pvalue, _method(design, counts), m, w)


def _method(design: float, counts: ClusterCounts) -> str:
    if counts.clusters == counts.n:
        return "exact sign test, ties excluded (each verdict its own cluster)"
    return f"sign test on effective counts, design effect {design:.2f} from {counts.clusters} judge calls"
