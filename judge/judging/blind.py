"""Stage 2: blinding. The only module that decides, and knows, which model is A.

* Each pair's id is an HMAC of (item id, round) under the run seed: opaque to the judge,
  stable across re-runs (so the ledger can resume), and it reveals neither the item id
  nor the position.
* The position (which role is A) is drawn per item from a second HMAC of (seed, item id):
  independent of file order, of the other items and of the batch.
* Batches are a seeded shuffle of the pairs. Under ``both_orders`` the swapped copies (round 1)
  are judged in the *same groups of items* as round 0, each group in its own new call with the
  order inside it reshuffled: a judge never sees both orders of a pair in one call, and a group's
  two calls form one cluster for the statistics (aggregation joins calls that share an item).

The key (:class:`~judge.records.BlindKey`) goes to ``key.jsonl`` in the run folder and is
read back only by :func:`unblind`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random

from judge.judging.evidence import evidence_for
from judge.records import BlindKey, BlindPair, Generation, PromptItem, Result, Role, Winner

__all__ = ["batches", "make_pairs", "mixed_batches", "unblind"]


def _mac(seed: int, message: str) -> bytes:
    return hmac.new(str(seed).encode(), message.encode("utf-8"), hashlib.sha256).digest()


def _unit(item_id: str, pairing: str) -> str:
    # A two-model run's pairing is "": its ids are those of every earlier version.
    return f"{pairing}\x00{item_id}" if pairing else item_id


def pair_id(seed: int, item_id: str, round_: int, pairing: str = "") -> str:
    """The opaque id the judge sees for one (pairing, item, round)."""
    digest = _mac(seed, f"pair\x00{_unit(item_id, pairing)}\x00{round_}")
    return base64.b32encode(digest[:5]).decode().lower()


def first_a_role(seed: int, item_id: str, pairing: str = "") -> Role:
    """Which role is shown as A in round 0 for this item (a fair coin per item and pairing)."""
    return "finetuned" if _mac(seed, f"position\x00{_unit(item_id, pairing)}")[0] & 1 else "base"


def make_pairs(
    items: list[PromptItem],
    outputs: dict[Role, dict[str, Generation]],
    *,
    seed: int,
    both_orders: bool = False,
    evidence: bool = False,
    pairing: str = "",
) -> tuple[list[BlindPair], list[BlindKey]]:
    """Build the blind pairs and their key.

    Args:
        items: the prompts to compare (every one must have an output from each role).
        outputs: role -> item id -> that role's generation.
        seed: the run seed.
        both_orders: also build the position-swapped copy of every pair (round 1).
        evidence: put the checks' verified facts about each output beside it, by label.
        pairing: several models: the pairing's name, which keys its ids and coins apart from the
            other pairings' ("" in a two-model run).

    Returns:
        (pairs, keys), index-aligned.
    """
    pairs: list[BlindPair] = []
    keys: list[BlindKey] = []
    for item in items:
        a_role = first_a_role(seed, item.id, pairing)
        for round_ in (0, 1) if both_orders else (0,):
            role_a: Role = a_role if round_ == 0 else ("base" if a_role == "finetuned" else "finetuned")
            role_b: Role = "base" if role_a == "finetuned" else "finetuned"
            pid = pair_id(seed, item.id, round_, pairing)
            gen_a, gen_b = outputs[role_a][item.id], outputs[role_b][item.id]
            facts = (evidence_for(item, gen_a.checks), evidence_for(item, gen_b.checks))
            facts = facts if evidence else (None, None)
            pairs.append(
                BlindPair(
                    pair_id=pid,
                    prompt=item.prompt,
                    reference=item.reference,
                    output_a=gen_a.output,
                    output_b=gen_b.output,
                    evidence_a=facts[0],
                    evidence_b=facts[1],
                )
            )
            keys.append(BlindKey(pair_id=pid, item_id=item.id, round=round_, a_role=role_a))
    if len({p.pair_id for p in pairs}) != len(pairs):
        raise RuntimeError("pair id collision; choose another seed")  # 40-bit ids: never in practice
    return pairs, keys


def batches(pairs: list[BlindPair], keys: list[BlindKey], *, seed: int, size: int) -> list[list[BlindPair]]:
    """Shuffle pairs (seeded) into judge batches of at most ``size``; rounds never share a batch.

    Round 0 is a seeded shuffle cut into batches. Every later round judges the same groups of
    items as round 0 (so a group is one cluster across its calls), with the groups and the order
    inside each group reshuffled, so no call repeats another's layout.
    """
    by_round: dict[int, dict[str, BlindPair]] = {}
    for p, k in zip(pairs, keys, strict=True):
        by_round.setdefault(k.round, {})[k.item_id] = p
    first = list(by_round.get(0, {}).items())
    random.Random(f"{seed}:batches:0").shuffle(first)
    groups = [[item for item, _ in first[i : i + size]] for i in range(0, len(first), size)]
    out = [[by_round[0][item] for item in group] for group in groups]
    for round_ in sorted(r for r in by_round if r != 0):
        rng = random.Random(f"{seed}:batches:{round_}")
        order = list(range(len(groups)))
        rng.shuffle(order)
        for g in order:
            chosen = [by_round[round_][item] for item in groups[g] if item in by_round[round_]]
            rng.shuffle(chosen)
            out.append(chosen)
        extra = [p for item, p in by_round[round_].items() if item not in by_round[0]]
        out.extend(extra[i : i + size] for i in range(0, len(extra), size))
    return [b for b in out if b]


def mixed_batches(
    pairings: list[tuple[str, list[BlindPair], list[BlindKey]]], *, seed: int, size: int
) -> list[list[BlindPair]]:
    """Several models: judge batches that mix the pairings, a group of items forming one cluster.

    The items are shuffled (seeded) and cut into groups of ``size``. Each group is judged in one call
    per pairing *offset* r = 0..P-1: the call holds, for the group's j-th item, its comparison in
    pairing (j + r) mod P. So every call mixes pairings and never shows one prompt twice, each
    (item, pairing, round) is judged exactly once, and a group's calls share only the group's items,
    which makes the group the independent unit for statistics across models. Under ``both_orders``
    the swapped copies are judged by the same rule in calls of their own. The order of calls and of
    the comparisons inside each call is shuffled.

    Args:
        pairings: (pairing name, its pairs to judge, their keys), in config order.
        seed: the run seed.
        size: comparisons per call.
    """
    found: dict[tuple[str, int, str], BlindPair] = {}
    items: dict[str, None] = {}
    rounds: set[int] = set()
    for name, pairs, keys in pairings:
        for p, k in zip(pairs, keys, strict=True):
            found[(name, k.round, k.item_id)] = p
            items.setdefault(k.item_id)
            rounds.add(k.round)
    names = [name for name, _, _ in pairings]
    order = list(items)
    random.Random(f"{seed}:groups").shuffle(order)
    groups = [order[i : i + size] for i in range(0, len(order), size)]
    out: list[list[BlindPair]] = []
    for round_ in sorted(rounds):
        rng = random.Random(f"{seed}:mixed:{round_}")
        calls = []
        for group in groups:
            for r in range(len(names)):
                chosen = [
                    found[key]
                    for j, item in enumerate(group)
                    if (key := (names[(j + r) % len(names)], round_, item)) in found
                ]
                rng.shuffle(chosen)
                calls.append(chosen)
        rng.shuffle(calls)
        out.extend(c for c in calls if c)
    return out


def unblind(key: BlindKey, winner: Winner) -> Result:
    """Turn a blind verdict into the fine-tuned model's result for that pair."""
    if winner == "tie":
        return "tie"
    chosen: Role = key.a_role if winner == "A" else ("base" if key.a_role == "finetuned" else "finetuned")
    return "win" if chosen == "finetuned" else "loss"
