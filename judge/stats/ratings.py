"""Bradley-Terry ratings for several systems from all their pairwise verdicts.

**Model.** P(i beats j) = p_i / (p_i + p_j). A tie counts half a win to each side (the usual
convention, and the same as preference = (W + T/2)/n for two systems): a verdict's score s is 1,
0.5 or 0 and the log-likelihood is sum s log sigma(theta_i - theta_j) + (1 - s) log sigma(theta_j
- theta_i). The maximum-likelihood strengths are found with Hunter's (2004) MM iteration, which
increases the likelihood at every step; ``rating`` is log p centred to mean 0 (a difference of 1
means odds e : 1), ``elo`` is the same on the Elo scale (400/ln 10 per unit, centred at 1000).
The MLE exists only when the "beat or tied" graph is strongly connected (no group of systems that
never won or tied against the rest); otherwise a ValueError says which systems.

**Clusters.** Verdicts are not independent: in a run the items are cut into groups and a group's
judge calls (each mixing pairings, each output appearing in several pairings of its item) form one
*cluster*. Give one label per verdict in ``clusters``; without it every verdict is its own cluster.

**Intervals** (default ``method="sandwich"``): the cluster-robust (sandwich) covariance of the
centred ratings, ``I^+ (G/(G-1) sum_g u_g u_g^T) I^+`` with I the Fisher information, I^+ its
pseudo-inverse (the centring constraint) and u_g the score summed over cluster g (CR1); Wald
intervals use the t distribution with G - 1 degrees of freedom (normal without clusters). Such an
interval covers the rating the fit converges to (the Bradley-Terry projection of the true
preferences, which need not be exactly Bradley-Terry) in ``level`` of repeated runs, even when
the verdicts of a cluster are correlated; it speaks for new prompts like these, not other judges.
The default was chosen by coverage (benchmarks/bench_ratings_coverage.py, 58 cells of design x
K x n x clustering, 200 runs each): the difference intervals covered 95.1 % on average
(93.6-96.8 per cell), with the normal quantile instead of t 94.3 % (92.4 at worst), the same fit
without cluster labels 92.2 % (82.3 at worst). ``method="bootstrap"`` resamples whole clusters
instead and uses the covariance of the refits (plus percentile intervals for the ratings); it
covered 94.8 % (93.3-96.2), never better than the sandwich, at 2-3x the time with 400 resamples,
so it is kept for comparison only. A resample can lack the MLE (e.g. a system with no win in
it); its ratings are then the MM iterate after the cap, and ``n_degenerate`` counts them.

Pairwise differences, rank intervals and P(best) are in :mod:`.ranking`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import special
from scipy.sparse.csgraph import connected_components

from ._design import FLOOR, small_sample
from ._types import check_level
from .ranking import (
    BestOf,
    FloatArray,
    IntArray,
    PairwiseDifferences,
    best_among,
    compare,
    draws,
    prob_best,
    rank_interval,
)

__all__ = ["BradleyTerryResult", "bradley_terry"]

_ELO = 400 / np.log(10)


@dataclass(frozen=True)
class BradleyTerryResult:
    """Ratings (index order = ``systems``, sorted by name), their uncertainty and the win rates.

    Attributes:
        systems: the names.
        rating: centred log-strengths; ``ci_low``/``ci_high`` their intervals at ``level``.
        win_rate: ``[i, j]`` i's preference over j, (wins + ties/2)/comparisons, nan if never met;
            ``win_low``/``win_high`` its interval (Wilson on the cluster-effective count, at the
            quantile of the rating intervals).
        comparisons: ``[i, j]`` the number of verdicts between i and j.
        covariance: covariance of ``rating`` (cluster-robust sandwich or bootstrap, see ``method``).
        model_covariance: the inverse Fisher information (independent verdicts, Bradley-Terry true).
        standard_error: sqrt of the diagonal of ``covariance``.
        clusters: the number of clusters G; ``df``: degrees of freedom of the intervals (inf: normal).
        differences: every pairwise difference with marginal and simultaneous intervals.
        rank: 1 = highest rating; ``rank_best``/``rank_worst``: the rank interval (simultaneous).
        prob_best: share of draws (normal, or t with ``df``) in which each system rates highest.
        n_resamples, n_degenerate: bootstrap resamples and those without an MLE (0 for the sandwich).
    """

    systems: tuple[str, ...]
    rating: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    level: float
    win_rate: FloatArray
    comparisons: FloatArray
    n_resamples: int
    n_degenerate: int
    method: str
    covariance: FloatArray
    model_covariance: FloatArray
    clusters: int
    df: float
    differences: PairwiseDifferences
    rank: IntArray
    rank_best: IntArray
    rank_worst: IntArray
    prob_best: FloatArray
    win_low: FloatArray
    win_high: FloatArray
    n_draws: int
    seed: int

    @property
    def elo(self) -> FloatArray:
        """Ratings on the Elo scale (centred at 1000)."""
        return np.asarray(1000 + _ELO * self.rating)

    @property
    def standard_error(self) -> FloatArray:
        """Standard errors of the centred ratings."""
        return np.asarray(np.sqrt(np.clip(np.diag(self.covariance), 0.0, None)))

    def table(self) -> list[dict[str, Any]]:
        """Systems ranked best first: rating, SE, CI, elo, rank interval, P(best), verdicts."""
        order = np.argsort(-self.rating, kind="stable")
        return [
            {
                "rank": int(self.rank[i]),
                "system": self.systems[i],
                "rating": float(self.rating[i]),
                "standard_error": float(self.standard_error[i]),
                "ci_low": float(self.ci_low[i]),
                "ci_high": float(self.ci_high[i]),
                "elo": float(self.elo[i]),
                "rank_best": int(self.rank_best[i]),
                "rank_worst": int(self.rank_worst[i]),
                "prob_best": float(self.prob_best[i]),
                "verdicts": int(self.comparisons[i].sum()),
            }
            for i in order
        ]

    def best_among(self, subset: object) -> BestOf:
        """The best of ``subset`` (e.g. checkpoints), its P(best) and who cannot be told from it.

        The multiplicity correction and P(best) count the subset's members only.

        Raises:
            ValueError: an unknown or repeated name, or fewer than two.
        """
        names = tuple(str(s) for s in np.asarray(subset, dtype=str).ravel())
        return best_among(
            self.systems,
            self.rating,
            self.covariance,
            names,
            level=self.level,
            df=self.df,
            n_draws=self.n_draws,
            seed=self.seed,
        )


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
        groups = sorted([s for s, g in zip(systems, part, strict=True) if g == k] for k in range(n_parts))
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


def _sandwich(
    theta: np.ndarray, a: np.ndarray, b: np.ndarray, s: np.ndarray, cluster: np.ndarray, n_clusters: int
) -> tuple[np.ndarray, np.ndarray]:
    """(cluster-robust CR1 covariance, inverse information) of the centred ratings."""
    k = theta.size
    p = special.expit(theta[a] - theta[b])
    w = p * (1 - p)
    info = np.bincount(a * k + a, w, k * k) + np.bincount(b * k + b, w, k * k)
    info -= np.bincount(a * k + b, w, k * k) + np.bincount(b * k + a, w, k * k)
    centre = np.full((k, k), 1.0 / k)  # info has null space 1: (info + J/K)^-1 - J/K is its pseudo-inverse
    bread = np.linalg.inv(info.reshape(k, k) + centre) - centre
    resid = s - p
    score = np.bincount(cluster * k + a, resid, n_clusters * k) - np.bincount(
        cluster * k + b, resid, n_clusters * k
    )
    u = score.reshape(n_clusters, k)
    meat = u.T @ u * float(small_sample(s.size, n_clusters))
    return bread @ meat @ bread, bread


def _wilson_effective(
    a: np.ndarray, b: np.ndarray, s: np.ndarray, cluster: np.ndarray, k: int, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per cell (i, j): Wilson interval of i's preference on the cluster-effective count n / D.

    D is the cluster-robust (CR1) variance of the preference over p(1 - p)/n, at least FLOOR: ties
    pull D below 1 (a tie varies less than a win or a loss), clustering pushes it above.
    """
    low, high = np.full((k, k), np.nan), np.full((k, k), np.nan)
    for i, j in zip(*np.triu_indices(k, 1), strict=True):
        mask = ((a == i) & (b == j)) | ((a == j) & (b == i))
        if not mask.any():
            continue
        own = np.where(a[mask] == i, s[mask], 1 - s[mask])  # i's preference
        n, p = own.size, float(own.mean())
        sums = np.bincount(np.unique(cluster[mask], return_inverse=True)[1].ravel(), own - p)
        binomial = p * (1 - p) * n
        design = float(sums @ sums * small_sample(n, sums.size) / binomial) if binomial > 0 else 1.0
        n_eff = n / max(design, FLOOR)
        centre = (p + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
        half = z * np.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff * n_eff)) / (1 + z * z / n_eff)
        low[i, j], high[i, j] = max(0.0, centre - half), min(1.0, centre + half)
        low[j, i], high[j, i] = 1 - high[i, j], 1 - low[i, j]
    return low, high


def _validated(
    first: object, second: object, scores: object, clusters: object | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(first, second, scores, cluster index 0..G-1) as arrays, or a ValueError naming the verdict."""
    a, b = np.asarray(first, dtype=str), np.asarray(second, dtype=str)
    s = np.asarray(scores, dtype=float)
    if not a.shape == b.shape == s.shape or a.ndim != 1 or a.size == 0:
        sizes = f"{a.size}, {b.size}, {s.size}"
        raise ValueError(f"first, second and scores must be non-empty and of the same length, got {sizes}")
    bad = np.flatnonzero(~((s >= 0) & (s <= 1)))
    if bad.size:
        raise ValueError(
            f"scores must lie in [0, 1] (1 win, 0.5 tie, 0 loss); verdict {bad[0]} has {s[bad[0]]}"
        )
    same = np.flatnonzero(a == b)
    if same.size:
        raise ValueError(f"verdict {same[0]} compares {str(a[same[0]])!r} with itself")
    labels = np.arange(s.size) if clusters is None else np.asarray(clusters).ravel()
    if labels.size != s.size:
        raise ValueError(f"clusters must hold one label per verdict ({s.size}), got {labels.size}")
    return a, b, s, np.unique(labels, return_inverse=True)[1].ravel()


def bradley_terry(
    first: object,
    second: object,
    scores: object,
    *,
    clusters: object | None = None,
    level: float = 0.95,
    method: Literal["sandwich", "bootstrap"] = "sandwich",
    n_resamples: int = 1_000,
    n_draws: int = 20_000,
    seed: int = 0,
) -> BradleyTerryResult:
    """Fit Bradley-Terry ratings with cluster-robust intervals, ranks and P(best).

    Args:
        first: name of the first system of each verdict.
        second: name of the second system.
        scores: 1 when ``first`` won, 0.5 tie, 0 when ``second`` won.
        clusters: a label per verdict (the group of judge calls it belongs to); None: each
            verdict its own cluster.
        level: confidence level of every interval (marginal and simultaneous).
        method: "sandwich" (cluster-robust covariance, the default: it covered best) or
            "bootstrap" (covariance and rating percentiles of cluster-bootstrap refits).
        n_resamples: bootstrap resamples (method "bootstrap" only; at least 2).
        n_draws: draws from the normal approximation for P(best) and the simultaneous intervals.
        seed: seed of the numpy Generator (bootstrap and draws).

    Returns:
        BradleyTerryResult.

    Raises:
        ValueError: mismatched lengths, a score outside [0, 1], a system compared with itself,
            a cluster label per verdict missing, fewer clusters than systems, or data for which
            the MLE does not exist.
    """
    check_level(level)
    if method not in ("sandwich", "bootstrap") or (method == "bootstrap" and n_resamples < 2):
        raise ValueError(f"method must be 'sandwich' or 'bootstrap' (with n_resamples >= 2), got {method!r}")
    a, b, s, cluster = _validated(first, second, scores, clusters)
    n_clusters = int(cluster.max()) + 1
    systems, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    k, ia, ib = systems.size, inverse[: a.size], inverse[a.size :]
    if n_clusters < k:
        raise ValueError(
            f"{n_clusters} clusters cannot estimate the covariance of {k} ratings; need at least {k}"
        )
    per_verdict = _contributions(ia, ib, s, k)
    wins = per_verdict.sum(axis=0).reshape(k, k)
    names = tuple(str(x) for x in systems)
    _check_identifiable(wins, names)
    rating = _fit(wins)
    cov, model_cov = _sandwich(rating, ia, ib, s, cluster, n_clusters)
    df = float(n_clusters - 1) if n_clusters < s.size else np.inf
    reps = None
    if method == "bootstrap":
        units = np.zeros((n_clusters, k * k))
        np.add.at(units, cluster, per_verdict)
        reps = _bootstrap(units, k, n_resamples, seed)
        cov = np.cov(reps, rowvar=False)
    deviations = draws(cov, df, n_draws, seed)
    diffs = compare(names, rating, cov, deviations, level, df)
    if reps is None:
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        low, high = rating - diffs.critical * se, rating + diffs.critical * se
    else:
        low, high = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2], axis=0)
    best, worst = rank_interval(diffs.clearly_better)
    games = wins + wins.T
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(games > 0, wins / games, np.nan)
    win_low, win_high = _wilson_effective(ia, ib, s, cluster, k, diffs.critical)
    return BradleyTerryResult(
        systems=names,
        rating=rating,
        ci_low=np.asarray(low),
        ci_high=np.asarray(high),
        level=level,
        win_rate=rate,
        comparisons=games,
        n_resamples=0 if reps is None else n_resamples,
        n_degenerate=0 if reps is None else int(np.count_nonzero(np.abs(reps).max(axis=1) > 20)),
        method="cluster-robust sandwich (CR1)" if reps is None else "cluster bootstrap",
        covariance=cov,
        model_covariance=model_cov,
        clusters=n_clusters,
        df=df,
        differences=diffs,
        rank=np.asarray(np.argsort(np.argsort(-rating, kind="stable")) + 1, dtype=np.int64),
        rank_best=best,
        rank_worst=worst,
        prob_best=prob_best(rating, deviations),
        win_low=win_low,
        win_high=win_high,
        n_draws=n_draws,
        seed=seed,
    )
