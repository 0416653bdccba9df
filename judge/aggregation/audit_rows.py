"""Audit rows: for each comparison, what the judge saw, what it said, and (for the reader) the key.

One row per blind pair, written to ``audit.jsonl``; the reports and ``judge audit`` read them.
"""

from __future__ import annotations

from judge.findings import Checks
from judge.judging.blind import unblind
from judge.records import (
    ROLES,
    AuditRow,
    BlindKey,
    BlindPair,
    Generation,
    Judgment,
    Outcome,
    PromptItem,
    Role,
)

__all__ = ["audit_rows"]


def _row(
    item: PromptItem,
    pair: BlindPair,
    key: BlindKey,
    j: Judgment | None,
    outcome: Outcome,
    raw: dict[str, str],
    checks: dict[Role, Checks],
) -> AuditRow:
    verdict = j.verdict if j else None
    status = outcome.status if j is None else ("judged" if verdict else "failed")
    return AuditRow(
        item_id=item.id,
        category=item.category,
        round=key.round,
        pair_id=pair.pair_id,
        prompt=pair.prompt,
        reference=pair.reference,
        output_a=pair.output_a,
        output_b=pair.output_b,
        a_role=key.a_role,
        status=status,
        judge_label=verdict.winner if verdict else None,
        result=unblind(key, verdict.winner) if verdict else (outcome.result if j is None else None),
        confidence=verdict.confidence if verdict else None,
        criteria=verdict.criteria if verdict else {},
        rationale=verdict.rationale if verdict else "",
        raw_reply=raw.get(j.call_id or "", "") if j else "",
        reason=j.reason if j else outcome.reason,
        position_consistent=outcome.position_consistent,
        checks=checks,
    )


def audit_rows(
    items: list[PromptItem],
    pairs: list[BlindPair],
    keys: list[BlindKey],
    judgments: dict[str, Judgment],
    raw: dict[str, str],
    outcomes: dict[str, Outcome],
    gens: dict[Role, dict[str, Generation]],
) -> list[AuditRow]:
    by_id = {i.id: i for i in items}
    return [
        _row(
            by_id[k.item_id],
            p,
            k,
            judgments.get(p.pair_id),
            outcomes[k.item_id],
            raw,
            {role: gens[role][k.item_id].checks for role in ROLES},
        )
        for p, k in zip(pairs, keys, strict=True)
    ]
