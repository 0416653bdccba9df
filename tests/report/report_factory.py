"""Build Summaries and AuditRows for report tests from plain verdict lists.

Summaries come from the real aggregate stage (``judge.aggregation.aggregate.summarize``), so report tests see
what a run writes; the small helpers below build single records for tests that need one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from judge.aggregation.aggregate import RunFacts, summarize
from judge.aggregation.reliability import JudgedPair
from judge.checks import run_checks
from judge.findings import Checks
from judge.records import AuditRow, Generation, Outcome, PromptItem
from judge.summary import Summary

MODELS = {"finetuned": "ft-model", "base": "base-model"}


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
        label_counts=Counter(r.judge_label for r in rows if r.judge_label),
        judged=judged_rows(rows),
    )
    return summarize(outcomes, facts).model_copy(update=overrides)


def judged_rows(rows: Sequence[AuditRow], batch_size: int = 5) -> list[JudgedPair]:
    """The rows' verdicts as the pipeline hands them to aggregation: in calls of five, in order."""
    ok = [r for r in rows if r.judge_label is not None]
    calls = [ok[i : i + batch_size] for i in range(0, len(ok), batch_size)]
    return [
        JudgedPair(
            r.pair_id,
            r.item_id,
            r.round,
            slot,
            len(call),
            r.judge_label,
            r.a_role,
            len(r.output_a),
            len(r.output_b),
            dict(r.criteria),
        )
        for call in calls
        for slot, r in enumerate(call, start=1)
        if r.judge_label is not None
    ]


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
