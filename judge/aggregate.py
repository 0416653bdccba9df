"""Stage 4: un-blind verdicts into outcomes and summarise them honestly.

Outcomes are records; pandas is used only here, where we aggregate. Every number in the
:class:`~judge.summary.Summary` comes from :mod:`judge.stats`; the words in
``Summary.conclusion`` follow those numbers (a non-significant result is called direction,
not evidence; a fine-tune that loses is told so plainly).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from judge import stats
from judge.blind import unblind
from judge.conclusion import conclusion, judge_caveats
from judge.config import StatsOptions
from judge.records import BlindKey, Judgment, Outcome, PromptItem, Result, Winner
from judge.summary import (
    CategorySummary,
    Counts,
    Estimate,
    PositionBias,
    Rate,
    SignTest,
    Summary,
    UsageSummary,
)

__all__ = ["RunFacts", "build_outcomes", "summarize", "to_dataframe"]

_SCORE = {"win": 1.0, "tie": 0.5, "loss": 0.0}
_SIGN = {"win": 1, "tie": 0, "loss": -1}


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

    calls = [[c for c in o.cluster.split("+") if c] if o.status != "decided_by_check" else [] for o in outcomes]
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
    rows = []
    for o in outcomes:
        row: dict[str, Any] = o.model_dump(exclude={"criteria"})
        row.update({f"criterion_{k}": v for k, v in o.criteria.items()})
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class RunFacts:
    """What the summary says about the run besides the verdicts."""

    run_id: str
    models: dict[str, str]
    judge: dict[str, str] = field(default_factory=dict)
    usage: UsageSummary = field(default_factory=UsageSummary)
    label_counts: Counter[Winner] = field(default_factory=Counter)  # blind labels chosen, all rounds
    extras: dict[str, Any] = field(default_factory=dict)


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


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


def _estimate(res: stats.BootstrapResult | None, level: float, method: str) -> Estimate:
    if res is None:
        return Estimate(estimate=None, se=None, ci_low=None, ci_high=None, level=level, method=method)
    return Estimate(
        estimate=_num(res.statistic),
        se=_num(res.standard_error),
        ci_low=_num(res.ci.low),
        ci_high=_num(res.ci.high),
        level=level,
        method=method,
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


def _bootstrap(df: pd.DataFrame, opts: StatsOptions, what: str) -> stats.BootstrapResult | None:
    judged = df[df.status != "failed"]
    if len(judged) < 2:
        return None
    fn = stats.preference if what == "preference" else stats.net_win_rate
    values = judged.result.map(_SCORE if what == "preference" else _SIGN).to_numpy(dtype=float)
    return fn(
        values, judged.cluster.to_numpy(), level=opts.level, n_resamples=opts.bootstrap_resamples, seed=0
    )


def _sign(counts: Counts, opts: StatsOptions) -> SignTest:
    if counts.win + counts.loss == 0:
        return SignTest(
            wins=0, losses=0, pvalue=None, alpha=opts.alpha, significant=False, power_target=opts.power
        )
    p = stats.sign_test(counts.win, counts.loss).pvalue
    n = counts.n
    needed = stats.pairs_for_power(counts.win / n, counts.loss / n, power=opts.power, alpha=opts.alpha)
    return SignTest(
        wins=counts.win,
        losses=counts.loss,
        pvalue=float(p),
        alpha=opts.alpha,
        significant=bool(p < opts.alpha),
        pairs_for_power=needed,
        power_target=opts.power,
    )


def _categories(df: pd.DataFrame, opts: StatsOptions) -> list[CategorySummary]:
    if df.category.nunique() < 2:
        return []
    parts = []
    for category, group in df.groupby("category", sort=True):
        counts = _counts(group)
        parts.append(
            CategorySummary(
                category=str(category),
                counts=counts,
                preference=_estimate(_bootstrap(group, opts, "preference"), opts.level, _PREF_METHOD),
                sign_test=_sign(counts, opts),
            )
        )
    pvalues = [c.sign_test.pvalue for c in parts]
    valid = [i for i, p in enumerate(pvalues) if p is not None]
    if valid:
        adjusted = stats.holm(np.array([pvalues[i] for i in valid]))
        for i, adj in zip(valid, adjusted, strict=True):
            parts[i] = parts[i].model_copy(
                update={
                    "sign_test": parts[i].sign_test.model_copy(
                        update={"pvalue_holm": float(adj), "significant": bool(adj < opts.alpha)}
                    )
                }
            )
    return parts


_PREF_METHOD = "(W + T/2)/n; SE with ddof=1; percentile bootstrap CI resampling whole judge calls"


def _position_bias(df: pd.DataFrame, facts: RunFacts, level: float) -> PositionBias | None:
    a, b = facts.label_counts["A"], facts.label_counts["B"]
    if a + b == 0:
        return None
    both = df[df.position_consistent.notna()] if "position_consistent" in df else df.iloc[0:0]
    consistency = _rate(int(both.position_consistent.sum()), len(both), level) if len(both) else None
    return PositionBias(share_a=_rate(a, a + b, level), consistency=consistency)


def summarize(outcomes: list[Outcome], facts: RunFacts, opts: StatsOptions | None = None) -> Summary:
    """All statistics of a run, with the conclusion in words."""
    opts = opts or StatsOptions()
    df = to_dataframe(outcomes) if outcomes else pd.DataFrame(columns=list(Outcome.model_fields))
    counts = _counts(df)
    n = counts.n
    sign = _sign(counts, opts)
    preference = _estimate(_bootstrap(df, opts, "preference"), opts.level, _PREF_METHOD)
    net = _estimate(_bootstrap(df, opts, "net"), opts.level, "(W - L)/n; bootstrap CI resampling judge calls")
    position_bias = _position_bias(df, facts, opts.level)
    confidence = Counter(df[df.status == "judged"].confidence.dropna()) if n else Counter()
    return Summary(
        run_id=facts.run_id,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        models=facts.models,
        judge=facts.judge,
        counts=counts,
        win_rate=_rate(counts.win, n, opts.level),
        loss_rate=_rate(counts.loss, n, opts.level),
        tie_rate=_rate(counts.tie, n, opts.level),
        preference=preference,
        net_win_rate=net,
        sign_test=sign,
        position_bias=position_bias,
        confidence={k: int(confidence.get(k, 0)) for k in ("high", "medium", "low")} if confidence else {},
        per_category=_categories(df, opts),
        usage=facts.usage,
        conclusion=" ".join(
            part
            for part in (
                conclusion(counts, preference, sign, facts.models),
                judge_caveats(position_bias, facts.extras),
            )
            if part
        ),
        extras=facts.extras,
    )
