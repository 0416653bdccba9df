"""Power of the exact two-sided sign test, by exact binomial computation.

With n pairs, a tie probability ``p_tie`` and, among non-ties, a win probability
``q = p_win / (p_win + p_loss)``, the number of decisive pairs is M ~ Binomial(n, 1 - p_tie)
and, given M = m, the wins are Binomial(m, q). The test (ties excluded, as
:func:`judge.stats.sign_test`) rejects when wins <= c_m or wins >= m - c_m, with c_m the
largest count whose two-sided exact p-value is <= alpha. So

    power(n) = sum_m P(M = m) * P(reject | m)

is computed exactly. Power is a saw-tooth in n (discreteness), so "pairs needed" is the
smallest n whose power reaches the target, found by scanning n upward from a point safely
below the normal-approximation answer.

Beyond ``EXACT_LIMIT`` pairs the saw-tooth is far below a pair in a thousand and the scan would
cost seconds, so the normal approximation (null variance for the critical value, the
alternative's for the power) is returned instead: any effect other than exactly zero gets a
finite number of pairs, in well under 0.1 s (a net win rate of 0.4 points needs ~490,000 pairs).

Clustering: verdicts that share a judge call are correlated, so a design needs ``D`` times the
pairs of an independent one (:func:`design_effect`, ``D = 1 + (batch - 1) * icc``); the
effective n of a clustered run is ``n / D``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special
from scipy import stats as sps

__all__ = ["EXACT_LIMIT", "design_effect", "minimum_detectable_effect", "pairs_for_power", "sign_test_power"]

EXACT_LIMIT = 1_500


def _critical_counts(m_max: int, alpha: float) -> np.ndarray:
    """c_m for m = 0..m_max (-1 where the test can never reject)."""
    m = np.arange(m_max + 1)
    c = sps.binom.ppf(alpha / 2, m, 0.5)
    # ppf gives the smallest c with cdf >= alpha/2; step back where that overshoots alpha/2.
    over = sps.binom.cdf(c, m, 0.5) * 2 > alpha * (1 + 1e-12)
    return np.asarray(np.where(over, c - 1, c), dtype=int)


def _reject_prob(q: float, m_max: int, alpha: float) -> np.ndarray:
    """P(reject | m decisive pairs) for m = 0..m_max."""
    m = np.arange(m_max + 1)
    c = _critical_counts(m_max, alpha)
    low = np.where(c >= 0, sps.binom.cdf(c, m, q), 0.0)
    high = np.where(c >= 0, sps.binom.sf(m - c - 1, m, q), 0.0)
    return np.asarray(np.minimum(1.0, low + high))


def _check(p_win: float, p_loss: float, power: float, alpha: float) -> None:
    if p_win < 0 or p_loss < 0 or p_win + p_loss > 1 + 1e-12:
        raise ValueError(f"need p_win, p_loss >= 0 and p_win + p_loss <= 1, got {p_win!r}, {p_loss!r}")
    if not 0 < power < 1:
        raise ValueError(f"power must be in (0, 1), got {power!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")


def _power_at(n: int, p_decisive: float, reject: np.ndarray) -> float:
    # Only m within 12 standard deviations of n * p_decisive carry probability (< 1e-30 outside).
    # The table must reach m = n; callers extend it before asking beyond its end.
    spread = 12 * math.sqrt(n * p_decisive * (1 - p_decisive)) + 2
    lo = max(0, int(n * p_decisive - spread))
    hi = min(n, int(n * p_decisive + spread) + 1, reject.size - 1)
    m = np.arange(lo, hi + 1)
    return float(sps.binom.pmf(m, n, p_decisive) @ reject[lo : hi + 1])


def sign_test_power(n: int, p_win: float, p_loss: float, *, alpha: float = 0.05) -> float:
    """Exact power of the two-sided sign test (ties excluded) with ``n`` pairs.

    Args:
        n: total pairs, ties included.
        p_win: probability the fine-tune wins a pair.
        p_loss: probability it loses (ties have the rest).
        alpha: significance level.

    Returns:
        The probability that the test rejects at ``alpha``.
    """
    _check(p_win, p_loss, 0.5, alpha)
    if n <= 0 or p_win + p_loss == 0:
        return 0.0
    q = p_win / (p_win + p_loss)
    return _power_at(n, p_win + p_loss, _reject_prob(q, n, alpha))


def _normal_guess(q: float, p_decisive: float, power: float, alpha: float) -> float:
    # Normal approximation with the null variance for the critical value, the alternative's for power.
    z_a, z_b = special.ndtri(1 - alpha / 2), special.ndtri(power)
    m = ((0.5 * z_a + z_b * math.sqrt(q * (1 - q))) / (q - 0.5)) ** 2
    return float(m / p_decisive)


def _scan_start(guess: float, p_decisive: float, reject: np.ndarray, power: float) -> int:
    """A point below the answer: at 0.9 of the normal guess power is ~0.04 under target, far more
    than the saw-tooth wobble at such n; small n are scanned from 1, where the wobble is large."""
    start = 1 if guess < 300 else int(0.9 * guess)
    while start > 1 and _power_at(start, p_decisive, reject) > power - 0.02:
        start //= 2
    return start


def design_effect(batch_size: int, icc: float) -> float:
    """Variance inflation of a mean over batches of ``batch_size`` with intra-call correlation ``icc``.

    Raises:
        ValueError: batch_size < 1 or icc outside [0, 1].
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
    if not 0 <= icc <= 1:
        raise ValueError(f"icc must be in [0, 1], got {icc!r}")
    return 1.0 + (batch_size - 1) * icc


def pairs_for_power(
    p_win: float, p_loss: float, *, power: float = 0.8, alpha: float = 0.05, design: float = 1.0
) -> int | None:
    """Smallest number of pairs (ties included) whose sign test reaches ``power``.

    Exact (binomial) up to :data:`EXACT_LIMIT` independent pairs, the normal approximation
    beyond; then multiplied by the design effect of the clustering.

    Args:
        p_win: expected probability the fine-tune wins a pair.
        p_loss: expected probability it loses; ties ~ 1 - p_win - p_loss.
        power: target probability of a significant result.
        alpha: two-sided significance level.
        design: design effect (>= 1) of judging several pairs per call.

    Returns:
        The number of pairs (finite for any effect), or None only when p_win == p_loss.

    Raises:
        ValueError: probabilities, power, alpha or design out of range.
    """
    _check(p_win, p_loss, power, alpha)
    if not design >= 1:
        raise ValueError(f"design must be >= 1, got {design!r}")
    p_decisive = p_win + p_loss
    if p_decisive == 0 or p_win == p_loss:
        return None
    q = p_win / p_decisive
    guess = _normal_guess(q, p_decisive, power, alpha)
    independent = math.ceil(guess) if guess > EXACT_LIMIT else _exact_scan(q, p_decisive, guess, power, alpha)
    return independent if design == 1 else math.ceil(independent * design)


def _exact_scan(q: float, p_decisive: float, guess: float, power: float, alpha: float) -> int:
    reject = _reject_prob(q, int(1.5 * guess) + 50, alpha)
    n = _scan_start(guess, p_decisive, reject, power)
    while True:
        if n >= reject.size:  # the guess was short (e.g. q near 1): extend the table
            reject = _reject_prob(q, 2 * reject.size, alpha)
        if _power_at(n, p_decisive, reject) >= power:
            return n
        n += 1


def minimum_detectable_effect(
    n: int, *, p_tie: float = 0.0, power: float = 0.8, alpha: float = 0.05
) -> float:
    """Smallest net win rate p_win - p_loss that ``n`` pairs detect with the given power.

    Computed by root-finding on the exact power (:func:`sign_test_power`), which grows with the
    effect at fixed n.

    Args:
        n: total pairs, ties included.
        p_tie: expected share of ties.
        power: target probability of a significant result.
        alpha: two-sided significance level.

    Returns:
        The effect (W - L)/n in (0, 1 - p_tie], or nan when even a clean sweep is not detectable.

    Raises:
        ValueError: arguments out of range.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n!r}")
    if not 0 <= p_tie < 1:
        raise ValueError(f"p_tie must be in [0, 1), got {p_tie!r}")
    _check(0.5, 0.5, power, alpha)
    decisive = 1 - p_tie

    def gap(effect: float) -> float:
        p_win = (decisive + effect) / 2
        return sign_test_power(n, p_win, decisive - p_win, alpha=alpha) - power

    if n > EXACT_LIMIT:  # normal approximation, as pairs_for_power uses at this size
        z_a, z_b = special.ndtri(1 - alpha / 2), special.ndtri(power)
        m = n * decisive
        q = optimize.brentq(
            lambda q: (0.5 * z_a + z_b * math.sqrt(q * (1 - q))) / (q - 0.5) - math.sqrt(m), 0.5 + 1e-12, 1.0
        )
        return float(decisive * (2 * q - 1))
    if gap(decisive) < 0:
        return math.nan
    return float(optimize.brentq(gap, 0.0, decisive, xtol=1e-6))
