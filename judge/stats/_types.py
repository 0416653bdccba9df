"""Result objects shared by every statistics module (scipy-like: attributes, not dicts)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

__all__ = ["BootstrapResult", "ConfidenceInterval", "ProportionResult", "TestResult"]

_CI_METHODS = {"wilson": "wilson", "clopper-pearson": "exact"}


@dataclass(frozen=True)
class ConfidenceInterval:
    """A two-sided interval ``[low, high]`` at confidence ``level``, computed by ``method``."""

    low: float
    high: float
    level: float
    method: str


def check_level(level: float) -> None:
    """Raise ValueError unless ``0 < level < 1`` (shared argument check)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (exclusive), got {level!r}")


@dataclass(frozen=True)
class ProportionResult:
    """A proportion ``k/n`` (``statistic`` is nan when ``n == 0``)."""

    k: int
    n: int
    statistic: float

    def confidence_interval(self, level: float = 0.95, method: str = "wilson") -> ConfidenceInterval:
        """Two-sided interval for the true proportion.

        ``"wilson"`` (score interval): coverage oscillates with n and p around the nominal level;
        averaged over p it is close to nominal for n >= 50 but at a given (n, p) it can be a little
        below. ``"clopper-pearson"`` (exact): coverage is guaranteed >= ``level`` at every n and p,
        at the price of being wider. With ``n == 0`` the interval is the uninformative [0, 1].

        Args:
            level: confidence level in (0, 1).
            method: ``"wilson"`` or ``"clopper-pearson"``.

        Returns:
            The interval.

        Raises:
            ValueError: unknown ``method`` or ``level`` out of range.
        """
        check_level(level)
        if method not in _CI_METHODS:
            raise ValueError(f"method must be one of {sorted(_CI_METHODS)}, got {method!r}")
        if self.n == 0:
            return ConfidenceInterval(0.0, 1.0, level, method)
        ci = sps.binomtest(self.k, self.n).proportion_ci(confidence_level=level, method=_CI_METHODS[method])
        return ConfidenceInterval(float(ci.low), float(ci.high), level, method)


@dataclass(frozen=True)
class TestResult:
    """A hypothesis test: ``statistic``, two-sided ``pvalue``, the ``method`` in words, the ``n`` used.

    ``k`` is the count the test is built on (wins for the sign test), ``None`` when it has none.
    """

    __test__ = False  # not a pytest test class, despite the name

    statistic: float
    pvalue: float
    method: str
    n: int
    k: int | None = None

    def significant(self, alpha: float = 0.05) -> bool:
        """Whether ``pvalue < alpha`` (False when the p-value is nan)."""
        return bool(self.pvalue < alpha)


@dataclass(frozen=True)
class BootstrapResult:
    """A point estimate with its standard error and a bootstrap interval.

    ``standard_error`` is the analytic one (``std(ddof=1)/sqrt(n)`` over pairs, as AlpacaEval
    reports it); ``bootstrap_se`` is the standard deviation of the bootstrap replicates, which
    reflects clustering when clusters were given.
    """

    statistic: float
    standard_error: float
    ci: ConfidenceInterval
    n_resamples: int
    method: str
    n: int = 0
    n_clusters: int = 0
    bootstrap_se: float = math.nan


def as_float_array(values: object, name: str) -> np.ndarray:
    """Convert ``values`` to a 1-D float array, naming ``name`` in the error."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite numbers only")
    return arr
