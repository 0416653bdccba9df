"""Turning another tool's verdict file into a run folder (summary.json + audit.jsonl + reports).

The verdicts themselves are read by :mod:`judge.imports.verdict_files` (which owns the formats and their
errors); this module adds the texts the audit shows when the file has them (AlpacaEval:
instruction, output_1 = baseline, output_2 = the model, the judge's rationale).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from judge.aggregation import aggregate
from judge.aggregation.aggregate import RunFacts
from judge.config import StatsOptions
from judge.imports.verdict_files import (
    alpaca_eval_preference,
    file_models,
    is_alpaca_eval,
    load_verdicts,
    read_rows,
)
from judge.records import AuditRow, Outcome
from judge.runfolder import RunFolder
from judge.summary import ImportedFile

__all__ = ["import_verdicts", "imported_file"]


def imported_file(path: Path, outcomes: list[Outcome], *, position_recorded: bool) -> ImportedFile:
    """The summary's ``imported`` section: the file, its rows, and the source tool's own numbers.

    Args:
        path: the verdict file read.
        outcomes: what :func:`~judge.imports.verdict_files.load_verdicts` read from it.
        position_recorded: whether some rows record the order the judge saw.
    """
    alpaca = is_alpaca_eval(path)
    return ImportedFile(
        tool="alpaca_eval" if alpaca else "verdict file",
        file=path.name,
        rows=len(outcomes),
        skipped=sum(o.status == "failed" for o in outcomes),
        position_recorded=position_recorded,
        alpaca_eval=alpaca_eval_preference(path) if alpaca else None,
    )


def _rationale(raw: Any) -> tuple[str, str]:
    """(rationale, raw text) from an AlpacaEval raw_completion (a dict, or its Python repr)."""
    if isinstance(raw, str):
        try:
            raw = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return "", raw
    if isinstance(raw, dict):
        return str(raw.get("concise_explanation", "")), json.dumps(raw, ensure_ascii=False)
    return "", "" if raw is None else str(raw)


def _label_map(referenced: Any) -> str:
    """AlpacaEval's CoT judge names outputs "M"/"m": say which is A (output_1) and which is B."""
    if isinstance(referenced, str):
        try:
            referenced = ast.literal_eval(referenced)
        except (ValueError, SyntaxError):
            return ""
    if not isinstance(referenced, dict):
        return ""
    names = {"output_1": "A", "output_2": "B"}
    return ", ".join(f"{label} = {names.get(str(out), out)}" for label, out in sorted(referenced.items()))


def _row(outcome: Outcome, raw: dict[str, Any]) -> AuditRow:
    # The files do not record the order the judge saw: A is output_1 (the baseline), and no
    # position-bias claim is made from them.
    rationale, raw_text = _rationale(raw.get("raw_completion"))
    labels = _label_map(raw.get("referenced_models"))
    if rationale and labels:
        rationale = f"{rationale} [the judge's labels: {labels}]"
    label = {"win": "B", "loss": "A", "tie": "tie"}.get(outcome.result or "")
    return AuditRow(
        item_id=outcome.item_id,
        category=outcome.category,
        pair_id=outcome.item_id,
        prompt=str(raw.get("instruction") or raw.get("prompt") or ""),
        output_a=str(raw.get("output_1") or raw.get("output_base") or ""),
        output_b=str(raw.get("output_2") or raw.get("output_model") or ""),
        a_role="base",
        status=outcome.status,
        judge_label=label,  # type: ignore[arg-type]
        result=outcome.result,
        confidence=outcome.confidence,
        rationale=rationale or outcome.rationale,
        raw_reply=raw_text or json.dumps({"preference": raw.get("preference", raw.get("winner"))}),
        reason=outcome.reason,
    )


def import_verdicts(
    path: Path, *, results: Path = Path("results"), key_path: Path | None = None, name: str | None = None
) -> Path:
    """Write a run folder for a verdict file and return it (reports included)."""
    from judge.reporting import write_reports

    outcomes = load_verdicts(path, key_path=key_path)
    raws = [row for _, row in read_rows(path)]
    first = raws[0] if raws else {}
    facts = RunFacts(
        run_id=name or path.name.split(".")[0],
        models=file_models(path),
        judge={"model": str(first.get("annotator", "unknown")), "source": path.name},
        imported=imported_file(path, outcomes, position_recorded=False),
        comparison="reference",
    )
    summary = aggregate.summarize(outcomes, facts, StatsOptions())
    folder = RunFolder(results / facts.run_id)
    folder.write_records(folder.OUTCOMES, outcomes)
    folder.write_records(folder.AUDIT, [_row(o, r) for o, r in zip(outcomes, raws, strict=True)])
    folder.write_summary(summary)
    write_reports(folder.path)
    from judge.reporting.index import write_index

    write_index(Path(results))
    return folder.path
