"""Hypothesis tests on pairwise verdicts: sign test (three tie conventions), McNemar, Holm.

Tie conventions for the sign test, each named in ``TestResult.method``:

* ``"exclude"``: the classical sign test. Ties carry no information about the direction, so
  the exact two-sided binomial test is run on W wins out of W + L (``scipy.stats.binomtest``).
* ``"split"``: ties are split evenly between the two sides (an odd tie is dropped) and the
  exact binomial test is run on W + T//2 out of W + L + 2*(T//2). It keeps n closer to the
  number of pairs but is conservative: ties add no variance to the split.
* ``"half"``: ties count as half a win, the AlpacaEval convention. The per-pair scores
  (1, 0.5, 0) are compared with 0.5 by a one-sample t-test (``scipy.stats.ttest_1samp``),
  i.e. the test that matches "preference with standard error, ddof = 1".
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

from ._types import TestResult

__all__ = ["holm", "mcnemar_exact", "sign_test"]

_TIE_HANDLING = ("exclude", "split", "half")


def _check_counts(**counts: int) -> None:
    for name, value in counts.items():
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value!r}")


def _binomial(k: int, n: int, method: str) -> TestResult:
    if n == 0:
        return TestResult(math.nan, math.nan, method, 0, k)
    res = sps.binomtest(k, n, 0.5, alternative="two-sided")
    return TestResult(float(res.statistic), float(res.pvalue), method, n, k)


def _half_win_ttest(wins: int, losses: int, ties: int) -> TestResult:
    method = "t-test of preference vs 0.5, ties as half a win"
    n = wins + losses + ties
    scores = np.repeat([1.0, 0.0, 0.5], [wins, losses, ties])
    if n < 2 or wins == losses == 0 or (losses == ties == 0) or (wins == ties == 0):
        # No spread: the t statistic is undefined (all scores equal).
        return TestResult(math.nan, math.nan, method, n, wins)
    res = sps.ttest_1samp(scores, 0.5)
    return TestResult(float(res.statistic), float(res.pvalue), method, n, wins)


def sign_test(wins: int, losses: int, ties: int = 0, *, tie_handling: str = "exclude") -> TestResult:
    """Two-sided test that the fine-tune and the base are preferred equally often.

    Args:
        wins: pairs the fine-tune won.
        losses: pairs it lost.
        ties: tied pairs.
        tie_handling: ``"exclude"`` (default, exact sign test), ``"split"`` or ``"half"``;
            see the module docstring.

    Returns:
        TestResult; ``statistic`` is the share of wins among the pairs used (t statistic for
        ``"half"``), ``pvalue`` is nan when no pair informs the test.

    Raises:
        ValueError: a negative count or an unknown ``tie_handling``.
    """
    _check_counts(wins=wins, losses=losses, ties=ties)
    if tie_handling == "exclude":
        return _binomial(wins, wins + losses, "exact sign test, ties excluded")
    if tie_handling == "split":
        half = ties // 2
        return _binomial(wins + half, wins + losses + 2 * half, "exact sign test, ties split evenly")
    if tie_handling == "half":
        return _half_win_ttest(wins, losses, ties)
    raise ValueError(f"tie_handling must be one of {_TIE_HANDLING}, got {tie_handling!r}")


def mcnemar_exact(b: int, c: int) -> TestResult:
    """McNemar's exact test for paired right/wrong outcomes (e.g. verifiable checks).

    Args:
        b: pairs where only the fine-tune was right.
        c: pairs where only the base was right (concordant pairs do not enter the test).

    Returns:
        TestResult from the exact binomial test of b out of b + c at 0.5.

    Raises:
        ValueError: a negative count.
    """
    _check_counts(b=b, c=c)
    return _binomial(b, b + c, "McNemar exact test")


def holm(pvalues: object) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error control across categories).

    Args:
        pvalues: p-values in [0, 1]; nan entries stay nan and do not count towards m.

    Returns:
        Adjusted p-values in the input order; reject where adjusted < alpha.

    Raises:
        ValueError: a p-value outside [0, 1].
    """
    p = np.asarray(pvalues, dtype=float).ravel()
    valid = ~np.isnan(p)
    if np.any((p[valid] < 0) | (p[valid] > 1)):
        raise ValueError("pvalues must lie in [0, 1]")
    out = np.full(p.shape, math.nan)
    order = np.argsort(p[valid], kind="stable")
    m = order.size
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[valid][order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(stepped)
    out[valid] = adjusted
    return out
