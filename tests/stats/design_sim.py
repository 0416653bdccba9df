"""Seeded simulation of the batched design, for the tests and benchmarks/bench_inference.py.

The layout (which items share a judge call, and which calls form one cluster) comes from the
product's own code: ``judge.judging.blind.make_pairs`` and ``batches`` place the items, and
``judge.aggregation.aggregate.build_outcomes`` labels the clusters from the call ids of the judgments.
Verdicts are then drawn many times at once with numpy:

* every call has a shared verdict, every item a latent verdict of its own, both drawn from
  (p_win, p_tie, p_loss);
* a verdict copies its call's shared verdict with probability sqrt(icc), otherwise it is the
  item's own verdict, so two verdicts in one call agree beyond chance with correlation icc;
* under both_orders an item is judged in two calls (its round-0 and round-1 call); the two
  verdicts combine as aggregation does (they agree, or the item is a tie).

The statistics are the product's: ``judge.stats.clustered.net_win_interval`` on each data set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from judge.aggregation.aggregate import build_outcomes
from judge.judging.blind import batches, make_pairs
from judge.records import Generation, Judgment, PromptItem, Role, Verdict
from judge.stats.clustered import net_win_interval

_VALUES = np.array([1, 0, -1])  # win, tie, loss


@dataclass(frozen=True)
class Layout:
    """Calls per (item, round) and the cluster index per item, as the product builds them."""

    calls: np.ndarray  # (items, rounds) call index
    cluster: np.ndarray  # (items,) cluster index 0..G-1
    n_calls: int


def layout(n_items: int, batch: int, both_orders: bool, seed: int = 0) -> Layout:
    """Place ``n_items`` into judge calls with the product's blinding and batching code."""
    items = [PromptItem(id=f"q{i}", prompt=f"p{i}") for i in range(n_items)]
    outs: dict[Role, dict[str, Generation]] = {
        role: {i.id: Generation(item_id=i.id, role=role, output=role) for i in items}
        for role in ("finetuned", "base")
    }
    pairs, keys = make_pairs(items, outs, seed=seed, both_orders=both_orders)
    call_of = {
        p.pair_id: c for c, group in enumerate(batches(pairs, keys, seed=seed, size=batch)) for p in group
    }
    tie = Verdict(id="x", winner="tie", confidence="high")
    judgments = {
        k.pair_id: Judgment(pair_id=k.pair_id, status="ok", verdict=tie, call_id=f"call{call_of[k.pair_id]}")
        for k in keys
    }
    outcomes = build_outcomes(items, keys, judgments)
    index = {item.id: i for i, item in enumerate(items)}
    rounds = 2 if both_orders else 1
    calls = np.zeros((n_items, rounds), dtype=int)
    for k in keys:
        calls[index[k.item_id], k.round] = call_of[k.pair_id]
    cluster = np.unique([o.cluster for o in outcomes], return_inverse=True)[1].ravel()
    return Layout(calls, cluster, len(set(call_of.values())))


def draw(
    lay: Layout, probs: tuple[float, float, float], icc: float, reps: int, rng: np.random.Generator
) -> np.ndarray:
    """(reps, items) results +1/0/-1 under the clustered model."""
    p = np.asarray(probs)
    n_items = lay.calls.shape[0]
    shared = _VALUES[rng.choice(3, size=(reps, lay.n_calls), p=p)]
    own = _VALUES[rng.choice(3, size=(reps, n_items), p=p)]
    copy = np.sqrt(icc)
    verdicts = [
        np.where(rng.random((reps, n_items)) < copy, shared[:, lay.calls[:, r]], own)
        for r in range(lay.calls.shape[1])
    ]
    if len(verdicts) == 1:
        return verdicts[0]
    return np.where(verdicts[0] == verdicts[1], verdicts[0], 0)


def truth(probs: tuple[float, float, float], icc: float, both_orders: bool) -> float:
    """The expected result of one item (the net win rate the intervals should cover)."""
    p = np.asarray(probs)
    if not both_orders:
        return float(p @ _VALUES)
    same = (1 - np.sqrt(icc)) ** 2  # both verdicts are the item's own: they agree
    return float(((1 - same) * p * p + same * p) @ _VALUES)


def decide(
    lay: Layout, results: np.ndarray, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The product's decision p-value and interval for each simulated data set."""
    onehot = np.zeros((lay.cluster.size, int(lay.cluster.max()) + 1))
    onehot[np.arange(lay.cluster.size), lay.cluster] = 1.0
    sums = results @ onehot
    sizes = onehot.sum(axis=0)
    return net_win_interval(
        (results == 1).sum(axis=1),
        (results == -1).sum(axis=1),
        (results == 0).sum(axis=1),
        (sums * sums).sum(axis=1),
        sums @ sizes,
        float(sizes @ sizes),
        sizes.size,
        alpha=alpha,
    )


def rates(
    n_calls: int,
    batch: int,
    icc: float,
    both_orders: bool,
    probs: tuple[float, float, float],
    reps: int,
    seed: int,
) -> tuple[float, float]:
    """(rejection rate of "no difference", coverage of the true net win rate) over ``reps`` runs."""
    lay = layout(n_calls * batch, batch, both_orders, seed=seed)
    results = draw(lay, probs, icc, reps, np.random.default_rng(seed))
    pvalue, low, high = decide(lay, results)
    target = truth(probs, icc, both_orders)
    return float(np.mean(pvalue < 0.05)), float(np.mean((low <= target + 1e-12) & (target - 1e-12 <= high)))
