"""Blinding: positions drawn per item from (seed, id), opaque stable ids, un-blinding a pure inverse."""

from __future__ import annotations

from collections import Counter

from judge.judging.blind import batches, first_a_role, make_pairs, pair_id, unblind
from judge.records import Generation, PromptItem, Role


def _inputs(n: int) -> tuple[list[PromptItem], dict[Role, dict[str, Generation]]]:
    items = [PromptItem(id=f"q{i}", prompt=f"p{i}") for i in range(n)]
    outs: dict[Role, dict[str, Generation]] = {
        role: {i.id: Generation(item_id=i.id, role=role, output=f"{role}:{i.id}") for i in items}
        for role in ("finetuned", "base")
    }
    return items, outs


def test_positions_are_fair_and_do_not_depend_on_order_or_neighbours() -> None:
    roles = Counter(first_a_role(11, f"q{i}") for i in range(4000))
    assert 1850 < roles["finetuned"] < 2150  # a fair coin per item (±4.7 sd)
    items, outs = _inputs(50)
    _, keys = make_pairs(items, outs, seed=11)
    _, rev_keys = make_pairs(items[::-1][:20], outs, seed=11)
    by_item = {k.item_id: k.a_role for k in keys}
    assert all(by_item[k.item_id] == k.a_role for k in rev_keys)
    other = {k.item_id: k.a_role for k in make_pairs(items, outs, seed=12)[1]}
    assert other != by_item, "the run seed must change the draw"


def test_pairs_show_the_right_outputs_and_unblind_inverts() -> None:
    items, outs = _inputs(30)
    pairs, keys = make_pairs(items, outs, seed=3, both_orders=True)
    assert len(pairs) == 60
    for pair, key in zip(pairs, keys, strict=True):
        assert pair.output_a == f"{key.a_role}:{key.item_id}"
        assert key.item_id not in pair.pair_id and len(pair.pair_id) == 8
        fine_label = "A" if key.a_role == "finetuned" else "B"
        base_label = "B" if fine_label == "A" else "A"
        assert unblind(key, fine_label) == "win" and unblind(key, base_label) == "loss"
        assert unblind(key, "tie") == "tie"
    rounds = {(k.item_id, k.round): k.a_role for k in keys}
    assert all(rounds[(i.id, 0)] != rounds[(i.id, 1)] for i in items)


def test_ids_are_stable_and_batches_are_seeded_shuffles() -> None:
    assert pair_id(5, "q1", 0) == pair_id(5, "q1", 0) != pair_id(5, "q1", 1) != pair_id(6, "q1", 0)
    items, outs = _inputs(23)
    pairs, keys = make_pairs(items, outs, seed=9, both_orders=True)
    groups = batches(pairs, keys, seed=9, size=5)
    assert [len(g) for g in groups] == [5, 5, 5, 5, 3] * 2
    round_of = {k.pair_id: k.round for k in keys}
    assert all(len({round_of[p.pair_id] for p in g}) == 1 for g in groups)
    assert batches(pairs, keys, seed=9, size=5) == groups
    flat = [p.pair_id for g in groups for p in g]
    assert sorted(flat) == sorted(p.pair_id for p in pairs)
    assert flat[:23] != [p.pair_id for p in pairs if round_of[p.pair_id] == 0], "batches must be shuffled"
