"""Bradley-Terry ratings for several systems from all their pairwise verdicts.

Model: P(i beats j) = p_i / (p_i + p_j). A tie counts half a win to each side (the usual
convention, and the same as preference = (W + T/2)/n for two systems). The maximum-likelihood
strengths are found with Hunter's (2004) MM iteration, which increases the likelihood at
every step; ``rating`` is log p centred to mean 0 (a difference of 1 means odds e : 1),
``elo`` is the same on the Elo scale (400/ln 10 per unit, centred at 1000).

The MLE exists only when the "beat or tied" graph is strongly connected (no group of systems
that never won or tied against the rest); otherwise a ValueError says which systems.
Confidence intervals are percentile intervals over bootstrap resamples of verdicts, or of
whole clusters (e.g. prompts) when given. A resample can lack the MLE (e.g. a system with
no win in it); its ratings are then the MM iterate after the cap, so the interval stretches,
honestly, and ``n_degenerate`` counts such resamples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse.csgraph import connected_components

from ._types import check_level

__all__ = ["BradleyTerryResult", "bradley_terry"]

_ELO = 400 / np.log(10)


@dataclass(frozen=True)
class BradleyTerryResult:
    """Ratings (index order = ``systems``), their CIs and the observed pairwise win rates.

    ``win_rate[i, j]`` is i's preference over j ((wins + ties/2)/comparisons, nan if never met);
    ``comparisons[i, j]`` the number of verdicts between them.
    """

    systems: tuple[str, ...]
    rating: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    level: float
    win_rate: np.ndarray
    comparisons: np.ndarray
    n_resamples: int
    n_degenerate: int

    @property
    def elo(self) -> np.ndarray:
        """Ratings on the Elo scale (centred at 1000)."""
        return np.asarray(1000 + _ELO * self.rating)

    def table(self) -> list[dict[str, Any]]:
        """Systems ranked best first: name, rating, CI, elo and number of verdicts."""
        order = np.argsort(-self.rating, kind="stable")
        return [
            {
                "rank": r + 1,
                "system": self.systems[i],
                "rating": float(self.rating[i]),
                "ci_low": float(self.ci_low[i]),
                "ci_high": float(self.ci_high[i]),
                "elo": float(self.elo[i]),
                "verdicts": int(self.comparisons[i].sum()),
            }
            for r, i in enumerate(order)
        ]


def _fit(wins: np.ndarray, max_iter: int = 10_000, tol: float = 1e-12) -> np.ndarray:
    """MM fit on a stack of win matrices (..., K, K) -> centred log-strengths (..., K)."""
    games = wins + np.swapaxes(wins, -1, -2)
    total = wins.sum(axis=-1)
    p = np.ones(wins.shape[:-1])
    for _ in range(max_iter):
        denom = (games / (p[..., :, None] + p[..., None, :])).sum(axis=-1)
        new = np.maximum(total, 1e-300) / denom
        new /= np.exp(np.log(new).mean(axis=-1, keepdims=True))
        done = np.max(np.abs(np.log(new) - np.log(p))) < tol
        p = new
        if done:
            break
    theta = np.log(p)
    return np.asarray(theta - theta.mean(axis=-1, keepdims=True))


def _check_identifiable(wins: np.ndarray, systems: tuple[str, ...]) -> None:
    n_parts, part = connected_components(wins > 0, directed=True, connection="strong")
    if n_parts > 1:
        groups = [[s for s, g in zip(systems, part, strict=True) if g == k] for k in range(n_parts)]
        raise ValueError(
            f"Bradley-Terry ratings do not exist: these groups never won or tied across: {groups}; "
            "add comparisons between them"
        )


def _contributions(idx_1: np.ndarray, idx_2: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """One flattened K x K win matrix per verdict."""
    out = np.zeros((scores.size, k * k))
    rows = np.arange(scores.size)
    np.add.at(out, (rows, idx_1 * k + idx_2), scores)
    np.add.at(out, (rows, idx_2 * k + idx_1), 1 - scores)
    return out


def _bootstrap(per_unit: np.ndarray, k: int, n_resamples: int, seed: int) -> np.ndarray:
    """Refit on multinomial resamples of distinct units (same as resampling units uniformly)."""
    types, counts = np.unique(per_unit, axis=0, return_counts=True)
    n_units = int(counts.sum())
    draws = np.random.default_rng(seed).multinomial(n_units, counts / n_units, size=n_resamples)
    wins = (draws @ types).reshape(n_resamples, k, k)
    return _fit(wins, max_iter=2_000, tol=1e-9)


def bradley_terry(
    first: object,
    second: object,
    scores: object,
    *,
    clusters: object | None = None,
    level: float = 0.95,
    n_resamples: int = 1_000,
    seed: int = 0,
) -> BradleyTerryResult:
    """Fit Bradley-Terry ratings with bootstrap CIs from pairwise verdicts.

    Args:
        first: name of the first system of each verdict.
        second: name of the second system.
        scores: 1 when ``first`` won, 0.5 tie, 0 when ``second`` won.
        clusters: optional label per verdict (e.g. prompt id); whole clusters are resampled.
        level: confidence level of the intervals.
        n_resamples: bootstrap resamples (0 skips the intervals, which are then nan).
        seed: seed of the numpy Generator.

    Returns:
        BradleyTerryResult.

    Raises:
        ValueError: mismatched lengths, a score outside [0, 1], a system compared with itself,
            or data for which the MLE does not exist.
    """
    check_level(level)
    a, b = np.asarray(first, dtype=str), np.asarray(second, dtype=str)
    s = np.asarray(scores, dtype=float)
    if not a.shape == b.shape == s.shape or a.ndim != 1 or a.size == 0:
        raise ValueError("first, second and scores must be non-empty and of the same length")
    if np.any((s < 0) | (s > 1)) or np.any(a == b):
        raise ValueError("scores must lie in [0, 1] and no system may be compared with itself")
    systems, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    k = systems.size
    per_verdict = _contributions(inverse[: a.size], inverse[a.size :], s, k)
    wins = per_verdict.sum(axis=0).reshape(k, k)
    names = tuple(str(x) for x in systems)
    _check_identifiable(wins, names)
    rating = _fit(wins)
    low = high = np.full(k, np.nan)
    degenerate = 0
    if n_resamples > 0:
        units = per_verdict
        if clusters is not None:
            _, cl = np.unique(np.asarray(clusters), return_inverse=True)
            units = np.zeros((cl.max() + 1, k * k))
            np.add.at(units, cl, per_verdict)
        reps = _bootstrap(units, k, n_resamples, seed)
        low, high = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2], axis=0)
        degenerate = int(np.count_nonzero(np.abs(reps).max(axis=1) > 20))
    games = wins + wins.T
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(games > 0, wins / games, np.nan)
    return BradleyTerryResult(names, rating, low, high, level, rate, games, n_resamples, degenerate)
