"""Proportions and their intervals (Wilson, Clopper-Pearson), via ``scipy.stats.binomtest``."""

from __future__ import annotations

import math

from ._types import ProportionResult

__all__ = ["proportion"]


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
