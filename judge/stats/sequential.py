"""Always-valid sequential sign test, so a run can stop once the answer is clear.

Design: a mixture sequential probability ratio test (Robbins 1970) on the decisive verdicts.
Under the null, wins among decisive verdicts are Bernoulli(1/2). Against it we put a
Beta(a, a) mixture over the win probability q (symmetric, so the test is two-sided):

    Lambda(W, L) = B(a + W, a + L) / B(a, a) * 2 ** (W + L)

Lambda is a non-negative martingale under the null with mean 1, so by Ville's inequality
P(Lambda ever reaches 1/alpha) <= alpha: the type-I error stays below alpha however often one
looks and whenever one stops (the tests check this by simulation). Ties carry no information
about the direction and are skipped, which keeps the guarantee when ties are frequent.

Decisions: ``"finetuned better"`` / ``"base better"`` once Lambda >= 1/alpha (direction from
W vs L); ``"no difference shown"`` once ``max_pairs`` is given and even a clean sweep of the
pairs left could no longer reach 1/alpha (stopping for futility never adds type-I error);
``"continue"`` otherwise. ``prior_strength`` a tunes the test towards small effects (large a)
or large ones (small a); the default 8 suits win probabilities of about 0.6 to 0.8.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["CONTINUE", "SequentialSignTest", "mixture_log_evidence"]

CONTINUE = "continue"
_DECISIONS = ("finetuned better", "base better", "no difference shown")


def mixture_log_evidence(wins: object, losses: object, prior_strength: float = 8.0) -> np.ndarray:
    """log Lambda for (arrays of) win and loss counts; vectorised for simulation.

    Args:
        wins: decisive wins so far.
        losses: decisive losses so far.
        prior_strength: a of the Beta(a, a) mixture.

    Returns:
        The log mixture likelihood ratio against q = 1/2.
    """
    w, lo = np.asarray(wins, dtype=float), np.asarray(losses, dtype=float)
    a = prior_strength
    return np.asarray(special.betaln(a + w, a + lo) - special.betaln(a, a) + (w + lo) * math.log(2))


class SequentialSignTest:
    """Feed verdicts one at a time; ``update`` says whether to continue or what was decided."""

    def __init__(
        self, alpha: float = 0.05, *, prior_strength: float = 8.0, max_pairs: int | None = None
    ) -> None:
        """Start an empty test.

        Args:
            alpha: type-I error bound, in (0, 1).
            prior_strength: a of the Beta(a, a) mixture, > 0.
            max_pairs: planned number of pairs (ties included), enabling the futility stop.

        Raises:
            ValueError: an argument out of range.
        """
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
        if prior_strength <= 0:
            raise ValueError(f"prior_strength must be > 0, got {prior_strength!r}")
        if max_pairs is not None and max_pairs < 1:
            raise ValueError(f"max_pairs must be >= 1, got {max_pairs!r}")
        self.alpha, self.prior_strength, self.max_pairs = alpha, prior_strength, max_pairs
        self.wins = self.losses = self.ties = 0
        self.decision = CONTINUE
        self.decided_at: int | None = None

    @property
    def n(self) -> int:
        """Verdicts seen (ties included), not counting those after the decision."""
        return self.wins + self.losses + self.ties

    @property
    def log_evidence(self) -> float:
        """Current log Lambda; the test decides when it reaches log(1/alpha)."""
        return float(mixture_log_evidence(self.wins, self.losses, self.prior_strength))

    def update(self, result: str) -> str:
        """Add one verdict (``"win"``, ``"loss"`` or ``"tie"``) and return the decision.

        Verdicts after a decision are ignored: the guarantee is for stopping at that point.

        Raises:
            ValueError: an unknown result.
        """
        if result not in ("win", "loss", "tie"):
            raise ValueError(f"result must be 'win', 'loss' or 'tie', got {result!r}")
        if self.decision != CONTINUE:
            return self.decision
        self.wins += result == "win"
        self.losses += result == "loss"
        self.ties += result == "tie"
        self.decision = self._decide()
        if self.decision != CONTINUE:
            self.decided_at = self.n
        return self.decision

    def _decide(self) -> str:
        threshold = math.log(1 / self.alpha)
        if self.log_evidence >= threshold:
            return _DECISIONS[0] if self.wins > self.losses else _DECISIONS[1]
        if self.max_pairs is not None:
            left = max(0, self.max_pairs - self.n)
            best = mixture_log_evidence(
                [self.wins + left, self.wins], [self.losses, self.losses + left], self.prior_strength
            )
            if best.max() < threshold:
                return _DECISIONS[2]
        return CONTINUE

    def calls_saved(self, planned_pairs: int | None = None, batch_size: int = 5) -> int:
        """Judge calls not needed because the test stopped early (0 while it continues).

        Args:
            planned_pairs: pairs the run would have judged (defaults to ``max_pairs``).
            batch_size: pairs per judge call.

        Raises:
            ValueError: no planned size known, or a bad batch size.
        """
        planned = planned_pairs if planned_pairs is not None else self.max_pairs
        if planned is None or batch_size < 1:
            raise ValueError("calls_saved needs planned_pairs (or max_pairs) and batch_size >= 1")
        if self.decided_at is None:
            return 0
        return math.ceil(planned / batch_size) - math.ceil(self.decided_at / batch_size)
