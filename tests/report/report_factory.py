"""Build Summaries and AuditRows for report tests from plain verdict lists.

Summaries come from the real aggregate stage (``judge.aggregate.summarize``), so report tests see
what a run writes; the small helpers below build single records for tests that need one.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from scipy.stats import binomtest, norm

from judge.aggregate import RunFacts, summarize
from judge.records import AuditRow, Outcome
from judge.summary import Counts, Estimate, Rate, SignTest, Summary

MODELS = {"finetuned": "ft-model", "base": "base-model"}


def rate(k: int, n: int) -> Rate:
    if n == 0:
        return Rate(k=0, n=0, estimate=None, ci_low=None, ci_high=None)
    ci = binomtest(k, n).proportion_ci(method="wilson")
    return Rate(k=k, n=n, estimate=k / n, ci_low=float(ci.low), ci_high=float(ci.high))


def preference(counts: Counts) -> Estimate:
    n = counts.n
    method = "Wilson score interval on (W + T/2)/n (not clustered)"
    if n < 2:
        est = None if n == 0 else (counts.win + counts.tie / 2) / n
        return Estimate(estimate=est, se=None, ci_low=None, ci_high=None, method=method)
    scores = [1.0] * counts.win + [0.5] * counts.tie + [0.0] * counts.loss
    mean = sum(scores) / n
    se = math.sqrt(sum((s - mean) ** 2 for s in scores) / (n - 1) / n)
    z = float(norm.ppf(0.975))  # Wilson rather than mean ± z*SE: no zero-width interval at 0 % or 100 %
    centre = (mean + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(mean * (1 - mean) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Estimate(estimate=mean, se=se, ci_low=centre - half, ci_high=centre + half, method=method)


def net_win(counts: Counts) -> Estimate:
    est = None if counts.n == 0 else (counts.win - counts.loss) / counts.n
    return Estimate(estimate=est, se=None, ci_low=None, ci_high=None, method="point estimate")


def pairs_for_power(counts: Counts, alpha: float = 0.05, power: float = 0.8) -> int | None:
    decisive = counts.win + counts.loss
    if decisive == 0 or counts.win == counts.loss:
        return None
    p = counts.win / decisive
    z_a, z_b = norm.ppf(1 - alpha / 2), norm.ppf(power)
    needed = ((z_a * 0.5 + z_b * math.sqrt(p * (1 - p))) / (p - 0.5)) ** 2
    return math.ceil(needed * counts.n / decisive)  # ties dilute: scale decisive pairs to all pairs


def sign_test(counts: Counts, alpha: float = 0.05) -> SignTest:
    decisive = counts.win + counts.loss
    p = None if decisive == 0 else float(binomtest(counts.win, decisive).pvalue)
    return SignTest(
        wins=counts.win, losses=counts.loss, pvalue=p, alpha=alpha, significant=p is not None and p < alpha
    )


def counts_of(results: Sequence[str | None]) -> Counts:
    c = Counter(results)
    return Counts(win=c["win"], tie=c["tie"], loss=c["loss"], failed=c[None])


def make_summary(rows: Sequence[AuditRow], **overrides: Any) -> Summary:
    """The real aggregate's Summary for the round-0 rows given (failed rows count as failed).

    Each row is its own cluster, as in a verdict file; ``overrides`` replace fields afterwards.
    """
    first = [r for r in rows if r.round == 0]
    outcomes = [
        Outcome(
            item_id=r.item_id,
            category=r.category,
            status="judged" if r.result is not None else "failed",
            result=r.result,
            confidence=r.confidence,
            cluster=f"row:{r.item_id}",
        )
        for r in first
    ]
    facts = RunFacts(
        run_id="test-run",
        models=MODELS,
        judge={"model": "judge-model", "base_url": "http://127.0.0.1:8000/v1"},
    )
    return summarize(outcomes, facts).model_copy(update=overrides)


def make_row(
    i: int, result: str | None, *, category: str = "general", a_role: str = "finetuned", **overrides: Any
) -> AuditRow:
    """One audit row whose judge label is consistent with its result and a_role."""
    label: str | None = None
    if result == "tie":
        label = "tie"
    elif result is not None:
        ft_label = "A" if a_role == "finetuned" else "B"
        label = ft_label if result == "win" else ("B" if ft_label == "A" else "A")
    fields: dict[str, Any] = dict(
        item_id=f"item-{i:03d}",
        category=category,
        pair_id=f"p{i:03d}",
        prompt=f"Prompt number {i}",
        output_a=f"Answer A to {i}",
        output_b=f"Answer B to {i}",
        a_role=a_role,
        status="judged" if result is not None else "failed",
        judge_label=label,
        result=result,
        confidence="high" if result is not None else None,
        rationale=f"Rationale {i}",
        raw_reply=f'{{"id": "p{i:03d}", "winner": "{label}"}}',
        reason=None if result is not None else "reply had no verdict for this id",
    )
    fields.update(overrides)
    return AuditRow(**fields)
