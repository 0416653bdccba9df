"""Seeded simulation of the several-models judging design, for the rating tests and the benchmark.

The design (issue 14): K models, one the baseline; pairings "vs-baseline" (every other model
against the baseline) or "all-pairs". Items are shuffled and cut into groups of 5; for each group
the judge is called once per round r = 0..P-1 (P pairings) and call r holds, for item j of the
group, the comparison of pairing (j + r) mod P. So each (item, pairing) is judged once (twice with
``both_orders``: the call repeated with A/B swapped, a call of its own) and a group's calls form
one cluster.

Verdicts come from a latent-scale model with two random effects that make a cluster's verdicts
correlated:

* ``output_sd``: each model's output on an item has a quality q[item, model] ~ N(0, sd^2), shared
  by every pairing of that item in which the output appears;
* ``call_sd``: each call leans towards or against each model by v[call, model] ~ N(0, sd^2).

The margin of first over second is m = theta_f - theta_s + (q_f - q_s) + (v_f - v_s) plus a
standard logistic error; |margin| <= ``tie_threshold`` is a tie (score 0.5), above it a win (1),
below a loss (0). The ratings the fit estimates (:func:`target`) are the Bradley-Terry fit of the
expected scores (the "pseudo-true" ratings): with random effects the marginal preferences are not
exactly Bradley-Terry, and this is what the maximum-likelihood fit converges to.

The module also tests that the layout is the design above.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import special

from judge.stats import bradley_terry

GROUP = 5
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(60)  # E f(Z), Z ~ N(0, 1)


def pairings(k: int, design: str) -> list[tuple[int, int]]:
    """(first, second) model indices; model 0 is the baseline."""
    if design == "vs-baseline":
        return [(m, 0) for m in range(1, k)]
    if design == "all-pairs":
        return list(itertools.combinations(range(k), 2))
    raise ValueError(f"unknown design {design!r}")


@dataclass(frozen=True)
class Layout:
    """One row per verdict: models compared, the item, the judge call and the cluster (group)."""

    first: np.ndarray
    second: np.ndarray
    item: np.ndarray
    call: np.ndarray
    group: np.ndarray
    k: int
    n_items: int
    n_calls: int

    def names(self) -> tuple[np.ndarray, np.ndarray]:
        """Model names of first and second ("m0" is the baseline)."""
        names = np.array([f"m{i}" for i in range(self.k)])
        return names[self.first], names[self.second]


def layout(k: int, design: str, n_items: int, *, both_orders: bool = False, seed: int = 0) -> Layout:
    """Place every (item, pairing) comparison into judge calls as the design says."""
    pairs = pairings(k, design)
    n_pairings = len(pairs)
    order = np.random.default_rng(seed).permutation(n_items)
    rows: list[tuple[int, int, int, int, int]] = []
    call = 0
    for g, start in enumerate(range(0, n_items, GROUP)):
        group = order[start : start + GROUP]
        for r in range(n_pairings):
            for _ in range(2 if both_orders else 1):
                for j, item in enumerate(group):
                    f, s = pairs[(j + r) % n_pairings]
                    rows.append((f, s, int(item), call, g))
                call += 1
    f, s, item, calls, groups = (np.array(col) for col in zip(*rows, strict=True))
    return Layout(f, s, item, calls, groups, k, n_items, call)


def draw(
    lay: Layout,
    theta: np.ndarray,
    *,
    output_sd: float,
    call_sd: float,
    tie_threshold: float,
    reps: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """(reps, verdicts) scores 1 / 0.5 / 0 from first's side."""
    q = rng.normal(0.0, output_sd, (reps, lay.n_items, lay.k))
    v = rng.normal(0.0, call_sd, (reps, lay.n_calls, lay.k))
    margin = (
        theta[lay.first]
        - theta[lay.second]
        + q[:, lay.item, lay.first]
        - q[:, lay.item, lay.second]
        + v[:, lay.call, lay.first]
        - v[:, lay.call, lay.second]
        + rng.logistic(size=(reps, lay.first.size))
    )
    return np.where(margin > tie_threshold, 1.0, np.where(margin < -tie_threshold, 0.0, 0.5))


def expected_score(diff: np.ndarray, *, output_sd: float, call_sd: float, tie_threshold: float) -> np.ndarray:
    """E[score] of a verdict whose rating difference is ``diff`` (Gauss-Hermite over the effects)."""
    sd = np.sqrt(2 * output_sd**2 + 2 * call_sd**2)
    m = np.asarray(diff, dtype=float)[..., None] + sd * _NODES
    both = special.expit(m - tie_threshold) + special.expit(m + tie_threshold)
    return np.asarray((both / 2) @ _WEIGHTS / _WEIGHTS.sum())


def target(
    theta: np.ndarray, design: str, *, output_sd: float, call_sd: float, tie_threshold: float
) -> np.ndarray:
    """The centred ratings the fit converges to: Bradley-Terry on the expected scores."""
    pairs = np.array(pairings(theta.size, design))
    expected = expected_score(
        theta[pairs[:, 0]] - theta[pairs[:, 1]],
        output_sd=output_sd,
        call_sd=call_sd,
        tie_threshold=tie_threshold,
    )
    names = np.array([f"m{i}" for i in range(theta.size)])
    # each pairing twice: the same ratings, and enough verdicts for the fit's covariance
    fit = bradley_terry(names[pairs[:, 0]].repeat(2), names[pairs[:, 1]].repeat(2), expected.repeat(2))
    return fit.rating[np.argsort(np.argsort(names))]  # systems are sorted by name: back to model order


def test_every_item_meets_every_pairing_once_and_calls_mix_pairings() -> None:
    for design, k in (("vs-baseline", 4), ("all-pairs", 4), ("all-pairs", 6)):
        lay = layout(k, design, 40, seed=3)
        n_pairings = len(pairings(k, design))
        keys = set(zip(lay.item.tolist(), lay.first.tolist(), lay.second.tolist(), strict=True))
        assert len(keys) == lay.first.size == 40 * n_pairings
        for c in range(lay.n_calls):
            in_call = lay.call == c
            assert np.unique(lay.group[in_call]).size == 1  # a call lies in one cluster
            assert np.unique(lay.item[in_call]).size == in_call.sum() == GROUP
            assert np.unique(lay.first[in_call] * k + lay.second[in_call]).size == min(GROUP, n_pairings)
        assert lay.n_calls == 40 // GROUP * n_pairings


def test_both_orders_repeats_each_call_in_its_cluster() -> None:
    once, twice = layout(4, "vs-baseline", 20, seed=1), layout(4, "vs-baseline", 20, both_orders=True, seed=1)
    assert twice.first.size == 2 * once.first.size and twice.n_calls == 2 * once.n_calls
    assert np.array_equal(twice.group[twice.call % 2 == 0], twice.group[twice.call % 2 == 1])


def test_expected_score_matches_the_draws() -> None:
    lay = layout(3, "all-pairs", 400, seed=2)
    theta = np.array([0.0, 0.8, -0.4])
    effects = {"output_sd": 0.7, "call_sd": 0.5, "tie_threshold": 0.4}
    scores = draw(lay, theta, reps=20, rng=np.random.default_rng(0), **effects)
    expected = expected_score(theta[lay.first] - theta[lay.second], **effects)
    for f, s in pairings(3, "all-pairs"):
        mask = (lay.first == f) & (lay.second == s)
        assert abs(scores[:, mask].mean() - expected[mask][0]) < 0.01
    assert 0.1 < np.mean(scores == 0.5) < 0.3
