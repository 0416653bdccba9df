"""Build Summaries and AuditRows for report tests from plain verdict lists.

The numbers are computed honestly with scipy (Wilson intervals, exact sign test, normal-approximation
sample size) so report tests see internally consistent summaries. The real
aggregate stage replaces this for runs; the report only reads the records.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from scipy.stats import binomtest, norm

from judge.checks import run_checks
from judge.findings import Checks
from judge.records import AuditRow, Generation, PromptItem
from judge.summary import CategorySummary, Counts, Estimate, Rate, SignTest, Summary

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
    return SignTest(wins=counts.win, losses=counts.loss, pvalue=p, alpha=alpha,
                    significant=p is not None and p < alpha, pairs_for_power=pairs_for_power(counts, alpha))


def counts_of(results: Sequence[str | None]) -> Counts:
    c = Counter(results)
    return Counts(win=c["win"], tie=c["tie"], loss=c["loss"], failed=c[None])


def make_summary(rows: Sequence[AuditRow], **overrides: Any) -> Summary:
    """A Summary consistent with the round-0 rows given (failed rows count as failed)."""
    first = [r for r in rows if r.round == 0]
    counts = counts_of([r.result for r in first])
    cats = sorted({r.category for r in first})
    per_cat = []
    if len(cats) > 1:
        for cat in cats:
            cc = counts_of([r.result for r in first if r.category == cat])
            per_cat.append(CategorySummary(category=cat, counts=cc, preference=preference(cc),
                                           sign_test=sign_test(cc)))
    conf = Counter(r.confidence for r in first if r.confidence is not None)
    fields: dict[str, Any] = dict(
        run_id="test-run", created=datetime.now(UTC).isoformat(timespec="seconds"), models=MODELS,
        judge={"model": "judge-model", "base_url": "http://127.0.0.1:8000/v1"}, counts=counts,
        win_rate=rate(counts.win, counts.n), loss_rate=rate(counts.loss, counts.n),
        tie_rate=rate(counts.tie, counts.n), preference=preference(counts), net_win_rate=net_win(counts),
        sign_test=sign_test(counts), confidence=dict(conf), per_category=per_cat,
        conclusion="",
    )
    fields.update(overrides)
    return Summary(**fields)


_NO_CALL: dict[str, Any] = {}


def checks_for(output: str, expected_call: dict[str, Any] | object | None = _NO_CALL) -> Checks:
    """What the product's own checks (``judge.checks.run_checks``) find in ``output``.

    With ``expected_call`` (None: a direct answer is right) the output is also scored as a tool call.
    """
    metadata = {} if expected_call is _NO_CALL else {"expected_call": expected_call}
    item = PromptItem(id="x", prompt="p", metadata=metadata)
    return run_checks([item], [Generation(item_id="x", role="finetuned", output=output)])[("x", "finetuned")]


RIGHT = "Paris."  # scored against expected_call=None: a direct answer, verified right
# a tool call where a direct answer is right: verified wrong
WRONG_CALL = '<tool_call>{"name": "search", "arguments": {}}</tool_call>'
COLLAPSED = "," * 64  # seed 003's comma collapse: degenerate


def make_row(i: int, result: str | None, *, category: str = "general", a_role: str = "finetuned",
             **overrides: Any) -> AuditRow:
    """One audit row whose judge label is consistent with its result and a_role."""
    label: str | None = None
    if result == "tie":
        label = "tie"
    elif result is not None:
        ft_label = "A" if a_role == "finetuned" else "B"
        label = ft_label if result == "win" else ("B" if ft_label == "A" else "A")
    fields: dict[str, Any] = dict(
        item_id=f"item-{i:03d}", category=category, pair_id=f"p{i:03d}", prompt=f"Prompt number {i}",
        output_a=f"Answer A to {i}", output_b=f"Answer B to {i}", a_role=a_role,
        status="judged" if result is not None else "failed", judge_label=label, result=result,
        confidence="high" if result is not None else None, rationale=f"Rationale {i}",
        raw_reply=f'{{"id": "p{i:03d}", "winner": "{label}"}}',
        reason=None if result is not None else "reply had no verdict for this id",
    )
    fields.update(overrides)
    return AuditRow(**fields)
