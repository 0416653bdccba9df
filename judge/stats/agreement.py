"""How far the judge can be trusted: position bias and consistency, agreement between judges
(Cohen's kappa) and with verifiable truth.

Proportions come back as :class:`ProportionResult` (Wilson or Clopper-Pearson interval via
``confidence_interval()``). Kappa's interval is a percentile bootstrap over pairs, drawn as
multinomial resamples of the confusion-matrix cells (equivalent to resampling pairs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._types import ConfidenceInterval, ProportionResult, check_level
from .intervals import proportion

__all__ = [
    "KappaResult",
    "agreement_with_truth",
    "cohen_kappa",
    "cohen_kappa_interval",
    "position_bias",
    "position_consistency",
]


def _paired(labels_1: Sequence[object], labels_2: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(labels_1, dtype=str), np.asarray(labels_2, dtype=str)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"the two label sequences must have the same length, got {a.shape} and {b.shape}")
    return a, b


def _confusion(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    k = int(inverse.max()) + 1 if inverse.size else 0
    cells = np.bincount(inverse[: a.size] * k + inverse[a.size :], minlength=k * k)
    return cells.reshape(k, k).astype(float)


def _kappa(confusion: np.ndarray) -> np.ndarray:
    """Kappa for a stack (..., K, K) of confusion matrices; nan where chance agreement is 1."""
    n = confusion.sum(axis=(-2, -1))
    observed = np.trace(confusion, axis1=-2, axis2=-1) / n
    expected = (confusion.sum(axis=-1) * confusion.sum(axis=-2)).sum(axis=-1) / n**2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(expected < 1, (observed - expected) / (1 - expected), np.nan))


def cohen_kappa(labels_1: Sequence[object], labels_2: Sequence[object]) -> float:
    """Cohen's kappa between two judges' labels on the same pairs.

    Args:
        labels_1: first judge's labels (e.g. "win"/"loss"/"tie").
        labels_2: second judge's labels for the same pairs, same order.

    Returns:
        Kappa in [-1, 1]; nan when there are no pairs or chance agreement is 1 (one label only).

    Raises:
        ValueError: lengths differ.
    """
    a, b = _paired(labels_1, labels_2)
    if a.size == 0:
        return math.nan
    return float(_kappa(_confusion(a, b)))


@dataclass(frozen=True)
class KappaResult:
    """Cohen's kappa with its bootstrap standard error and interval."""

    statistic: float
    standard_error: float
    ci: ConfidenceInterval
    n: int


def cohen_kappa_interval(
    labels_1: Sequence[object],
    labels_2: Sequence[object],
    *,
    level: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> KappaResult:
    """Cohen's kappa with a percentile bootstrap interval over pairs.

    Resamples where kappa is undefined (one label only) are left out of the interval.

    Raises:
        ValueError: lengths differ, no pairs, or bad level.
    """
    check_level(level)
    a, b = _paired(labels_1, labels_2)
    if a.size == 0:
        raise ValueError("no pairs: kappa needs at least one labelled pair")
    confusion = _confusion(a, b)
    k = confusion.shape[0]
    draws = np.random.default_rng(seed).multinomial(a.size, confusion.ravel() / a.size, size=n_resamples)
    reps = _kappa(draws.reshape(n_resamples, k, k).astype(float))
    reps = reps[np.isfinite(reps)]
    if reps.size == 0:
        low = high = se = math.nan
    else:
        low, high = (float(x) for x in np.quantile(reps, [(1 - level) / 2, (1 + level) / 2]))
        se = float(reps.std(ddof=1)) if reps.size > 1 else math.nan
    ci = ConfidenceInterval(low, high, level, "percentile bootstrap over pairs")
    return KappaResult(float(_kappa(confusion)), se, ci, int(a.size))


def position_bias(judge_labels: Sequence[str]) -> ProportionResult:
    """Share of "A" among the judge's non-tie blind verdicts (0.5 = no position bias).

    Test it against 0.5 with ``sign_test(n_a, n_b)``.

    Raises:
        ValueError: a label other than "A", "B" or "tie".
    """
    labels = np.asarray(judge_labels, dtype=str)
    unknown = set(np.unique(labels)) - {"A", "B", "tie"}
    if unknown:
        raise ValueError(f"judge_labels must be 'A', 'B' or 'tie', got {sorted(unknown)}")
    n_a, n_b = int(np.count_nonzero(labels == "A")), int(np.count_nonzero(labels == "B"))
    return proportion(n_a, n_a + n_b)


def position_consistency(round_0: Sequence[object], round_1: Sequence[object]) -> ProportionResult:
    """Share of items whose un-blinded results agree when judged in both orders.

    Args:
        round_0: result per item ("win"/"loss"/"tie", fine-tuned side) in the first order.
        round_1: result for the same items with the positions swapped.

    Raises:
        ValueError: lengths differ.
    """
    a, b = _paired(round_0, round_1)
    return proportion(int(np.count_nonzero(a == b)), int(a.size))


def agreement_with_truth(judge_results: Sequence[object], truth: Sequence[object | None]) -> ProportionResult:
    """Share of pairs where the judge agrees with verifiable truth (e.g. execution checks).

    Args:
        judge_results: the judge's result per pair.
        truth: the verified result per pair, or None where no check decides it (skipped).

    Raises:
        ValueError: lengths differ.
    """
    if len(judge_results) != len(truth):
        raise ValueError(f"judge_results and truth differ in length: {len(judge_results)} vs {len(truth)}")
    known = [(j, t) for j, t in zip(judge_results, truth, strict=True) if t is not None]
    return proportion(sum(str(j) == str(t) for j, t in known), len(known))
