"""The rationale audit: read audit.jsonl, flag rows, filter them the same way the HTML page does."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from judge.aggregation.reliability import criteria_contradict
from judge.errors import InputError
from judge.records import AuditRow, Result

__all__ = [
    "check_disagrees",
    "check_verdict",
    "filter_rows",
    "injection_suspected",
    "rationale_disagrees",
    "read_audit",
    "search_text",
]


def read_audit(path: Path) -> list[AuditRow]:
    """Read ``audit.jsonl``: one AuditRow per non-blank line.

    Raises:
        InputError: with the 1-based line of the first row that is not a valid AuditRow.
    """
    rows = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rows.append(AuditRow.model_validate_json(line))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "row"
                raise InputError(path, number, f"not an audit row: {where}: {first['msg']}") from None
    return rows


def check_verdict(row: AuditRow) -> Result | None:
    """What the checks alone say about the pair, from the fine-tune's side.

    A side is good when the screen found it not degenerate and, where the answer is verifiable, it
    is right (:attr:`judge.findings.Checks.good`). Returns ``"win"``/``"loss"`` when exactly one
    side is good, None when the checks do not separate the two sides (or are absent).
    """
    ft_checks, base_checks = row.checks.get("finetuned"), row.checks.get("base")
    ft = ft_checks.good if ft_checks is not None else None
    base = base_checks.good if base_checks is not None else None
    if ft is None or base is None or ft == base:
        return None
    return "win" if ft else "loss"


def injection_suspected(row: AuditRow) -> list[str]:
    """The roles whose output tripped the injection screen (such a pair was judged alone)."""
    return [role for role, checks in sorted(row.checks.items()) if checks.injection_suspected]


def check_disagrees(row: AuditRow) -> bool:
    """True when the checks pick one side and the judge's verdict is anything else."""
    by_check = check_verdict(row)
    return by_check is not None and row.result is not None and row.result != by_check


def rationale_disagrees(row: AuditRow) -> bool:
    """True when the verdict's own criteria majority names the other side than its winner."""
    return criteria_contradict(row.judge_label, row.criteria)


def search_text(row: AuditRow) -> str:
    """The text a search looks through, lower-cased as JS toLowerCase does (the page searches the same)."""
    fields = (
        row.item_id,
        row.category,
        row.prompt,
        row.reference or "",
        row.output_a,
        row.output_b,
        row.rationale,
        row.raw_reply,
        row.reason or "",
    )
    return "\n".join(fields).lower()


def filter_rows(
    rows: Iterable[AuditRow],
    *,
    category: str | None = None,
    result: str | None = None,
    confidence: str | None = None,
    inconsistent: bool = False,
    check_disagrees: bool = False,
    rationale_disagrees: bool = False,
    failed: bool = False,
    search: str | None = None,
) -> list[AuditRow]:
    """Keep the rows that pass every filter given (the same rules as the HTML audit's filters).

    Args:
        rows: audit rows.
        category: exact category name.
        result: ``win``, ``loss`` or ``tie`` (un-blinded, fine-tune's side).
        confidence: ``high``, ``medium`` or ``low``.
        inconsistent: only rows whose verdict changed when positions were swapped.
        check_disagrees: only rows where a check picks one side and the judge did not.
        rationale_disagrees: only rows whose criteria majority contradicts the verdict.
        failed: only rows with no valid verdict (failed or unparsed replies).
        search: case-insensitive substring of prompt, outputs, rationale, raw reply, id or reason.

    Returns:
        The matching rows, in their original order.
    """
    needle = search.lower() if search else None
    disagree, contradicts = check_disagrees, rationale_disagrees
    return [
        r
        for r in rows
        if (category is None or r.category == category)
        and (result is None or r.result == result)
        and (confidence is None or r.confidence == confidence)
        and (not inconsistent or r.position_consistent is False)
        and (not disagree or _disagrees(r))
        and (not contradicts or _contradicts(r))
        and (not failed or r.status == "failed")
        and (needle is None or needle in search_text(r))
    ]


_disagrees = check_disagrees  # the keyword arguments shadow the functions inside filter_rows
_contradicts = rationale_disagrees
