"""Extra judge calls that measure the judge: the same blind pairs judged again.

Two samples of the run's judged pairs (``[judge] recheck_*``): one judged again in new batches
with new batch-mates (self-consistency: the run-to-run flip rate), one judged one comparison per
call (does batching change verdicts?). The pairs are the same blind pairs (same ids, same A/B),
so blindness holds; the calls go through the run's own stage, so they are in the ledger (a rerun
replays them for free) and in the run's token and cost totals.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from judge.config import JudgeSpec
from judge.judging.stage import JudgeStage
from judge.records import BlindPair, Judgment

__all__ = [
    "Rejudged",
    "Resampled",
    "extra_calls",
    "judge_then_resample",
    "recheck_size",
    "resample",
    "sample_pairs",
]


@dataclass
class Rejudged:
    """Verdicts of one extra sample (pair id -> judgment) and what it cost."""

    judgments: dict[str, Judgment] = field(default_factory=dict)
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Resampled:
    """The two samples' verdicts (None: the sample was turned off or had nothing to judge)."""

    def __init__(self, batches: Rejudged | None = None, single: Rejudged | None = None) -> None:
        self.batches, self.single = batches, single


def recheck_size(n: int, spec: JudgeSpec) -> int:
    """Pairs per sample: ``recheck_share`` of n, at least ``recheck_min``, at most n."""
    return min(n, max(spec.recheck_min, math.ceil(spec.recheck_share * n)))


def _call(j: Judgment | None) -> str:
    return j.call_id or "" if j is not None and j.status == "ok" else ""


def sample_pairs(
    groups: list[list[BlindPair]], judgments: Mapping[str, Judgment], spec: JudgeSpec, seed: int
) -> list[BlindPair]:
    """A seeded random sample of the pairs that got a verdict in a call holding other pairs too."""
    sizes = Counter(_call(j) for j in judgments.values())
    sizes[""] = 0
    ok = [p for g in groups for p in g if sizes[_call(judgments.get(p.pair_id))] > 1]
    rng = random.Random(f"recheck:{seed}")
    return rng.sample(ok, recheck_size(len(ok), spec)) if len(ok) > 1 else []


def new_batches(
    pairs: list[BlindPair], groups: list[list[BlindPair]], size: int, seed: int
) -> list[list[BlindPair]]:
    """The sample in new calls of ``size``: reshuffled so no call repeats one of the run's, and never two
    pairs of one prompt in a call."""
    seen = {tuple(p.pair_id for p in g) for g in groups}
    rng = random.Random(f"rebatch:{seed}")
    for _ in range(20):
        order = pairs[:]
        rng.shuffle(order)
        out: list[list[BlindPair]] = []
        for pair in order:
            room = next((g for g in out if len(g) < size and all(q.prompt != pair.prompt for q in g)), None)
            if room is None:
                out.append([pair])
            else:
                room.append(pair)
        if not any(tuple(p.pair_id for p in g) in seen for g in out):
            return out
    return out


async def _judge(stage: JudgeStage, batches: list[list[BlindPair]]) -> Rejudged:
    calls, usage = stage.calls, stage.usage
    failed, failure, on_call = set(stage.api_failed), stage.failure, stage.on_call
    stage.on_call = None  # the progress bar counts the run's pairs, not these
    try:
        judgments = await stage.run(batches)
    finally:  # a failed extra call must not mark a judged pair as failed, nor stop the run's own calls
        stage.api_failed, stage.failure, stage.on_call = failed, failure, on_call
    return Rejudged(judgments=judgments, calls=stage.calls - calls,
                    prompt_tokens=stage.usage.prompt_tokens - usage.prompt_tokens,
                    completion_tokens=stage.usage.completion_tokens - usage.completion_tokens)  # fmt: skip


async def resample(
    groups: list[list[BlindPair]], judgments: Mapping[str, Judgment], stage: JudgeStage, seed: int
) -> Resampled:
    """Judge the two samples through ``stage`` (after the run's own calls), as ``stage.spec`` asks.

    Args:
        groups: the batches the run judged (in the order sent).
        judgments: the run's verdicts, pair id -> judgment.
        stage: the run's judge stage (its ledger, client, usage).
        seed: the run seed (the samples and new batches are seeded from it).
    """
    spec = stage.spec
    if stage.failure is not None or not (spec.recheck_batches or spec.recheck_single):
        return Resampled()
    sample = sample_pairs(groups, judgments, spec, seed)
    if not sample:
        return Resampled()
    again = (
        await _judge(stage, new_batches(sample, groups, spec.batch_size, seed))
        if spec.recheck_batches
        else None
    )
    single = await _judge(stage, [[p] for p in sample]) if spec.recheck_single else None
    return Resampled(again, single)


async def judge_then_resample(
    stage: JudgeStage, groups: list[list[BlindPair]], seed: int
) -> tuple[dict[str, Judgment], Resampled]:
    """The run's verdicts, then the reliability samples (the dry run's estimate does the same)."""
    judgments = await stage.run(groups)
    return judgments, await resample(groups, judgments, stage, seed)


def extra_calls(again: Resampled) -> int:
    """Judge calls the reliability samples took."""
    return sum(r.calls for r in (again.batches, again.single) if r is not None)
