"""The decision and interval under the batched design, by seeded simulation with the product's own
blinding, batching and cluster labelling (tests/stats/design_sim.py). The full grid is in
benchmarks/bench_inference.py; these cells keep CI fast."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from judge.aggregation.aggregate import build_outcomes
from judge.judging.blind import batches, make_pairs
from judge.records import Generation, Judgment, PromptItem, Role, Verdict
from judge.stats import clustered_rate, net_win_interval

from .design_sim import decide, draw, layout, rates, truth

NULL = (0.45, 0.10, 0.45)


@pytest.mark.parametrize(
    "n_calls,batch,icc,both",
    [
        (40, 5, 0.3, False),
        (40, 5, 0.6, True),
        (100, 5, 0.1, False),
        (60, 10, 0.3, True),
        (200, 1, 0.0, False),
    ],
)
def test_type_one_error_stays_at_alpha_under_clustering(
    n_calls: int, batch: int, icc: float, both: bool
) -> None:
    rejected, covered = rates(n_calls, batch, icc, both, NULL, reps=3_000, seed=7)
    # Monte Carlo SE ~0.4 points. With tens of calls at high correlation there are few independent
    # units and no exact test attains 5 %: the decision is then conservative, never liberal.
    assert (0.04 if n_calls >= 100 else 0.025) <= rejected <= 0.06, rejected
    assert covered == pytest.approx(1 - rejected)


def test_ignoring_the_calls_would_reject_far_too_often() -> None:
    # The same data with every verdict its own cluster (the old decision): ~15 % at icc 0.3.
    lay = layout(200, 5, both_orders=False, seed=3)
    results = draw(lay, NULL, 0.3, 3_000, np.random.default_rng(3))
    naive, _, _ = net_win_interval((results == 1).sum(1), (results == -1).sum(1), (results == 0).sum(1))
    clustered, _, _ = decide(lay, results)
    assert np.mean(naive < 0.05) > 0.10 and np.mean(clustered < 0.05) < 0.06


@pytest.mark.parametrize(
    "probs,n_calls,batch,icc,both",
    [
        ((0.9, 0.05, 0.05), 20, 1, 0.0, False),  # n = 20 at an extreme rate
        ((0.9, 0.05, 0.05), 10, 5, 0.3, False),
        ((0.9, 0.05, 0.05), 40, 5, 0.6, True),
        ((0.5, 0.1, 0.4), 40, 5, 0.3, False),
        ((0.6, 0.2, 0.2), 100, 5, 0.6, True),
    ],
)
def test_interval_coverage(
    probs: tuple[float, float, float], n_calls: int, batch: int, icc: float, both: bool
) -> None:
    _, covered = rates(n_calls, batch, icc, both, probs, reps=3_000, seed=11)
    assert 0.93 <= covered <= (0.985 if n_calls * batch <= 50 else 0.97), covered


def test_both_orders_judges_the_same_groups_in_new_calls_and_they_form_one_cluster() -> None:
    items = [PromptItem(id=f"q{i}", prompt=f"p{i}") for i in range(23)]
    outs: dict[Role, dict[str, Generation]] = {
        role: {i.id: Generation(item_id=i.id, role=role, output=role) for i in items}
        for role in ("finetuned", "base")
    }
    pairs, keys = make_pairs(items, outs, seed=5, both_orders=True)
    groups = batches(pairs, keys, seed=5, size=5)
    key_of = {k.pair_id: k for k in keys}
    calls = [[(key_of[p.pair_id].item_id, key_of[p.pair_id].round) for p in g] for g in groups]
    first = [frozenset(i for i, _ in c) for c in calls if c[0][1] == 0]
    second = [frozenset(i for i, _ in c) for c in calls if c[0][1] == 1]
    assert sorted(map(sorted, first)) == sorted(map(sorted, second))  # the same groups of items
    assert all(len({r for _, r in c}) == 1 for c in calls)  # a call never holds both orders
    orders = {frozenset(i for i, _ in c): [i for i, _ in c] for c in calls if c[0][1] == 0}
    reshuffled = [[i for i, _ in c] != orders[frozenset(i for i, _ in c)] for c in calls if c[0][1] == 1]
    assert any(reshuffled)
    verdict = Verdict(id="x", winner="A", confidence="high")
    call_of = {p.pair_id: f"call-{n}" for n, g in enumerate(groups) for p in g}
    judgments = {
        k.pair_id: Judgment(pair_id=k.pair_id, status="ok", verdict=verdict, call_id=call_of[k.pair_id])
        for k in keys
    }
    outcomes = build_outcomes(items, keys, judgments)
    cluster_items: dict[str, set[str]] = {}
    for o in outcomes:
        cluster_items.setdefault(o.cluster, set()).add(o.item_id)
    assert sorted(map(sorted, cluster_items.values())) == sorted(map(sorted, first))  # 5 clusters, not 23


def test_truth_of_the_combined_verdict() -> None:
    # Under both_orders disagreeing verdicts become ties: the simulated mean matches truth().
    lay = layout(500, 5, both_orders=True, seed=1)
    results = draw(lay, (0.6, 0.1, 0.3), 0.3, 400, np.random.default_rng(1))
    assert results.mean() == pytest.approx(truth((0.6, 0.1, 0.3), 0.3, True), abs=0.005)


@pytest.mark.parametrize("n_calls,batch,icc", [(40, 5, 0.3), (100, 10, 0.6), (30, 1, 0.0)])
def test_win_rate_interval_counts_calls_as_units(n_calls: int, batch: int, icc: float) -> None:
    lay = layout(n_calls * batch, batch, both_orders=False, seed=2)
    results = draw(lay, (0.5, 0.1, 0.4), icc, 1_000, np.random.default_rng(2))
    covered = [(ci := clustered_rate(row == 1, lay.cluster)).low <= 0.5 <= ci.high for row in results]
    assert 0.93 <= np.mean(covered) <= 0.97
    if batch == 1:  # one verdict per call: scipy's Wilson interval itself
        wins = int((results[0] == 1).sum())
        ref = sps.binomtest(wins, results.shape[1]).proportion_ci(method="wilson")
        assert clustered_rate(results[0] == 1, lay.cluster).low == pytest.approx(ref.low, abs=1e-12)
