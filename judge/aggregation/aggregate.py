"""Stage 4: un-blind verdicts into outcomes and summarise them honestly.

Outcomes are records; pandas is used only here, where we aggregate. Every number in the
:class:`~judge.summary.Summary` comes from :mod:`judge.stats`; the words in
``Summary.conclusion`` follow those numbers (a non-significant result is called direction,
not evidence; a fine-tune that loses is told so plainly).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import pandas as pd

from judge import stats
from judge.aggregation import inference
from judge.aggregation.reliability import JudgedPair, agreement, judge_reliability
from judge.aggregation.thresholds import measured, reliability_verdict
from judge.config import StatsOptions
from judge.judging.blind import unblind
from judge.judging.resample import Rejudged
from judge.records import BlindKey, Judgment, Outcome, PromptItem, Result, Winner
from judge.reporting.narrator import conclusion, judge_caveats, power_note, reliability_reasons
from judge.summary import (
    CategorySummary,
    Counts,
    ImportedFile,
    JudgeReliability,
    PositionBias,
    Problem,
    Rate,
    Summary,
    UsageSummary,
    Verification,
)

__all__ = ["RunFacts", "build_outcomes", "summarize", "to_dataframe"]


def _combine(item: PromptItem, rounds: list[tuple[BlindKey, Judgment]]) -> Outcome:
    ok = [(k, j) for k, j in sorted(rounds, key=lambda r: r[0].round) if j.status == "ok" and j.verdict]
    first_key = min(rounds, key=lambda r: r[0].round)[0]
    label: Literal["A", "B"] = "A" if first_key.a_role == "finetuned" else "B"
    if not ok:
        reasons = "; ".join(sorted({j.reason or "no verdict" for _, j in rounds}))
        return Outcome(
            item_id=item.id,
            category=item.category,
            status="failed",
            finetuned_label=label,
            cluster="+".join(sorted({j.call_id for _, j in rounds if j.call_id})),
            reason=reasons,
        )
    results = [unblind(k, j.verdict.winner) for k, j in ok if j.verdict]
    key0, j0 = ok[0]
    assert j0.verdict is not None
    consistent = None if len(results) < 2 else results[0] == results[1]
    result: Result = results[0] if consistent in (None, True) else "tie"
    criteria = {name: unblind(key0, winner) for name, winner in j0.verdict.criteria.items()}
    partial = len(ok) < len(rounds)
    return Outcome(
        item_id=item.id,
        category=item.category,
        status="judged",
        result=result,
        finetuned_label=label,
        judge_label=j0.verdict.winner if key0.round == 0 else None,
        confidence=j0.verdict.confidence,
        criteria=criteria,
        rationale=j0.verdict.rationale,
        cluster="+".join(sorted({j.call_id for _, j in rounds if j.call_id})),
        position_consistent=consistent,
        reason="only one order got a verdict" if partial else None,
    )


def build_outcomes(
    items: list[PromptItem],
    keys: list[BlindKey],
    judgments: dict[str, Judgment],
    decided: dict[str, tuple[Result, str]] | None = None,
) -> list[Outcome]:
    """Un-blind: one Outcome per prompt, from the fine-tuned side.

    Args:
        items: the prompts, in order.
        keys: the blinding key (one per pair).
        judgments: pair id -> judgment (every pair sent must be here, ok or failed).
        decided: item id -> (result, reason) for pairs a check decided without the judge.

    Returns:
        Outcomes in prompt order. Under both_orders, two disagreeing verdicts make a tie.
    """
    decided = decided or {}
    by_item: dict[str, list[tuple[BlindKey, Judgment]]] = {}
    for key in keys:
        if key.item_id in decided:
            continue
        judgment = judgments.get(key.pair_id)
        if judgment is None:
            raise RuntimeError(f"pair {key.pair_id} has no judgment: refusing to drop it silently")
        by_item.setdefault(key.item_id, []).append((key, judgment))
    outcomes = []
    for item in items:
        if item.id in decided:
            result, reason = decided[item.id]
            outcomes.append(
                Outcome(
                    item_id=item.id,
                    category=item.category,
                    status="decided_by_check",
                    result=result,
                    reason=reason,
                    cluster=f"check:{item.id}",
                )
            )
        else:
            outcomes.append(_combine(item, by_item[item.id]))
    return _join_clusters(outcomes)


def _join_clusters(outcomes: list[Outcome]) -> list[Outcome]:
    """Label each outcome with its cluster: calls that share an item are one cluster.

    Under both_orders an item is judged in two calls; blinding judges round 1 in the same groups
    of items as round 0, so a group's two calls join into one cluster (re-asked calls join the
    same way). Outcomes with no call (decided by a check) stay their own cluster.
    """
    parent: dict[str, str] = {}

    def find(call: str) -> str:
        while parent.setdefault(call, call) != call:
            parent[call] = parent[parent[call]]
            call = parent[call]
        return call

    calls = [
        [c for c in o.cluster.split("+") if c] if o.status != "decided_by_check" else [] for o in outcomes
    ]
    for ids in calls:
        for other in ids[1:]:
            a, b = find(ids[0]), find(other)
            parent[max(a, b)] = min(a, b)
    return [
        o.model_copy(update={"cluster": f"calls:{find(ids[0])}" if ids else o.cluster or f"item:{o.item_id}"})
        for o, ids in zip(outcomes, calls, strict=True)
    ]


def to_dataframe(outcomes: list[Outcome]) -> pd.DataFrame:
    """Outcomes as a table (one row per prompt; criteria flattened to ``criterion_<name>``)."""
    # Plain field values (no nested models), so the instance dict is the dump, ten times faster.
    names = [n for n in Outcome.model_fields if n != "criteria"]
    df = pd.DataFrame({n: [getattr(o, n, None) for o in outcomes] for n in names})
    criteria = pd.DataFrame([{f"criterion_{k}": v for k, v in o.criteria.items()} for o in outcomes])
    return pd.concat([df, criteria], axis=1) if len(criteria.columns) else df


@dataclass
class RunFacts:
    """What the summary says about the run besides the verdicts."""

    run_id: str
    models: dict[str, str]
    judge: dict[str, str] = field(default_factory=dict)
    usage: UsageSummary = field(default_factory=UsageSummary)
    label_counts: Counter[Winner] = field(default_factory=Counter)  # blind labels chosen, all rounds
    extras: dict[str, Any] = field(default_factory=dict)  # what users add (perplexity, ...)
    imported: ImportedFile | None = None  # another tool's verdict file: its source and numbers
    verification: Verification | None = None  # what the checks verified
    judged: list[JudgedPair] = field(default_factory=list)  # ok verdicts with slot and lengths
    keys: list[BlindKey] = field(default_factory=list)
    rejudged_batches: Rejudged | None = None  # self-consistency sample
    rejudged_single: Rejudged | None = None  # batched-vs-single sample
    comparison: Literal["base", "reference", "baseline", "model"] = "base"  # see Summary.comparison


def _rate(k: int, n: int, level: float) -> Rate:
    ci = stats.proportion(k, n).confidence_interval(level=level, method="wilson")
    return Rate(
        k=k,
        n=n,
        estimate=k / n if n else None,
        ci_low=ci.low if n else None,
        ci_high=ci.high if n else None,
        level=level,
        method="wilson",
    )


def _counts(df: pd.DataFrame) -> Counts:
    judged = df[df.status != "failed"]
    c = Counter(judged.result)
    return Counts(
        win=c["win"],
        tie=c["tie"],
        loss=c["loss"],
        failed=int((df.status == "failed").sum()),
        decided_by_check=int((df.status == "decided_by_check").sum()),
    )


T = TypeVar("T")


class _Guard:
    """Runs one statistic at a time; a failure becomes a Problem and a fallback, never a lost run."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def __call__(self, part: str, compute: Callable[[], T], fallback: T) -> T:
        try:
            return compute()
        except Exception as exc:
            self.problems.append(Problem(part=part, error=f"{type(exc).__name__}: {exc}"))
            return fallback


def _category(category: str, group: pd.DataFrame, opts: StatsOptions, guard: _Guard) -> CategorySummary:
    counts = _counts(group)
    res = guard(f"category {category}", lambda: inference.clustered(group, opts.alpha), None)
    preference, net = inference.estimates(res, opts.alpha)
    return CategorySummary(
        category=category,
        counts=counts,
        preference=preference,
        net_win_rate=net,
        sign_test=inference.sign_test(counts, res, opts.alpha),
    )


def _categories(df: pd.DataFrame, opts: StatsOptions, guard: _Guard) -> list[CategorySummary]:
    if df.category.nunique() < 2:
        return []
    parts = [_category(str(c), g, opts, guard) for c, g in df.groupby("category", sort=True)]
    tests = guard("Holm adjustment", lambda: inference.holm_update([c.sign_test for c in parts]), None)
    if tests is None:
        return parts
    return [c.model_copy(update={"sign_test": t}) for c, t in zip(parts, tests, strict=True)]


def _position_bias(df: pd.DataFrame, facts: RunFacts, level: float) -> PositionBias | None:
    a, b = facts.label_counts["A"], facts.label_counts["B"]
    if a + b == 0:
        return None
    both = df[df.position_consistent.notna()] if "position_consistent" in df else df.iloc[0:0]
    consistency = _rate(int(both.position_consistent.sum()), len(both), level) if len(both) else None
    return PositionBias(share_a=_rate(a, a + b, level), consistency=consistency)


def _reliability(facts: RunFacts, position: PositionBias | None, level: float) -> JudgeReliability:
    truth = facts.verification.judge_vs_truth if facts.verification else None
    again = [agreement(facts.judged, r, facts.keys, level) if r else None
             for r in (facts.rejudged_batches, facts.rejudged_single)]  # fmt: skip
    found = judge_reliability(facts.judged, position, truth, again[0], again[1], level)
    if found.verdict == "not measured":
        return found
    reasons = reliability_reasons(found, reliability_verdict(found)[1], measured(found))
    return found.model_copy(update={"reasons": reasons})


def summarize(outcomes: list[Outcome], facts: RunFacts, opts: StatsOptions | None = None) -> Summary:
    """All statistics of a run, with the conclusion in words.

    Never raises on the data: a statistic that fails is named in ``Summary.problems`` and the
    rest of the summary (counts, verdicts, whatever else computed) stands.
    """
    opts = opts or StatsOptions()
    guard = _Guard()
    df = to_dataframe(outcomes) if outcomes else pd.DataFrame(columns=list(Outcome.model_fields))
    counts = _counts(df)
    n, level = counts.n, opts.level
    res = guard("decision and interval", lambda: inference.clustered(df, opts.alpha), None)
    preference, net = inference.estimates(res, opts.alpha)
    sign = inference.sign_test(counts, res, opts.alpha)
    effect = inference.effect(res, opts.margin)
    power = guard("power", lambda: inference.power(counts, res, opts), None)
    if power is not None and power.pairs_needed is None:
        power = power.model_copy(update={"note": power_note(power, n)})
    bounds = guard("failed-pair bounds", lambda: inference.failed_bounds(df, opts.alpha), None)
    position_bias = guard("position bias", lambda: _position_bias(df, facts, level), None)
    reliability = guard("judge reliability", lambda: _reliability(facts, position_bias, level), None)
    confidence = Counter(df[df.status == "judged"].confidence.dropna()) if n else Counter()
    per_category = _categories(df, opts, guard)
    summary = Summary(
        run_id=facts.run_id,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        models=facts.models,
        judge=facts.judge,
        counts=counts,
        win_rate=inference.rate(df, "win", level),
        loss_rate=inference.rate(df, "loss", level),
        tie_rate=inference.rate(df, "tie", level),
        comparison=facts.comparison,
        preference=preference,
        net_win_rate=net,
        sign_test=sign,
        effect=effect,
        power=power,
        failed_bounds=bounds,
        position_bias=position_bias,
        judge_reliability=reliability,
        verification=facts.verification,
        confidence={k: int(confidence.get(k, 0)) for k in ("high", "medium", "low")} if confidence else {},
        per_category=per_category,
        usage=facts.usage,
        problems=guard.problems,
        conclusion="",
        imported=facts.imported,
        extras=facts.extras,
    )
    words = guard(
        "conclusion",
        lambda: " ".join(p for p in (conclusion(summary), judge_caveats(summary)) if p),
        "",
    )
    return summary.model_copy(update={"conclusion": words, "problems": guard.problems})
