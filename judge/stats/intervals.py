"""Proportions and their intervals (Wilson, Clopper-Pearson), via ``scipy.stats.binomtest``."""

from __future__ import annotations

import math

import numpy as np
from scipy import special
from scipy import stats as sps

from ._design import small_sample
from ._types import ConfidenceInterval, ProportionResult, check_level

__all__ = ["clustered_rate", "proportion"]


def proportion(k: int, n: int) -> ProportionResult:
    """The proportion ``k/n`` as a result object with ``confidence_interval()``.

    Args:
        k: successes, ``0 <= k <= n``.
        n: trials, ``n >= 0``.

    Returns:
        ProportionResult; ``statistic`` is nan when ``n == 0``.

    Raises:
        ValueError: ``k`` or ``n`` out of range.
    """
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k!r}, n={n!r}")
    return ProportionResult(int(k), int(n), k / n if n else math.nan)


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
