"""Load a public AlpacaEval annotation file as audit rows and a summary (until the real import path lands).

``output_1`` (the baseline, text_davinci_003 or gpt4_1106_preview) is the *base*, ``output_2`` (the
model named in the file) the *fine-tuned* side; preference 2 is a win, 1 a loss, 0 or 1.5 a tie.
The files do not record the order the judge saw, so A is always output_1 and position bias is not
claimed (``position_bias`` stays None).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from report_factory import make_summary

from judge.records import AuditRow
from judge.summary import Summary, UsageSummary

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "alpaca_eval"
_RESULT = {2.0: "win", 1.0: "loss", 1.5: "tie", 0.0: "tie"}


def _row(i: int, d: dict[str, Any]) -> AuditRow:
    # A missing preference is an annotation the public run failed to get: a failed row, not a tie.
    result = None if d.get("preference") is None else _RESULT[float(d["preference"])]
    raw = d.get("raw_completion")
    rationale = raw.get("concise_explanation", "") if isinstance(raw, dict) else ""
    return AuditRow(
        item_id=f"alpaca-{i:03d}", category=d["dataset"], pair_id=f"alpaca-{i:03d}", prompt=d["instruction"],
        output_a=d["output_1"], output_b=d["output_2"], a_role="base",
        status="failed" if result is None else "judged",
        reason="no preference in the file" if result is None else None,
        judge_label=None if result is None else {"win": "B", "loss": "A", "tie": "tie"}[result],
        result=result,
        rationale=rationale,
        raw_reply=json.dumps(raw if raw is not None else {"preference": d["preference"]}, ensure_ascii=False),
    )


def load_alpaca(path: Path) -> tuple[Summary, list[AuditRow]]:
    """Rows and an honest summary of one ``*.jsonl.gz`` AlpacaEval annotation file."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:  # 805 lines: small enough to hold
        records = [json.loads(line) for line in fh if line.strip()]
    rows = [_row(i, d) for i, d in enumerate(records)]
    first = records[0]
    cost = sum(float(d.get("price_per_example") or 0.0) for d in records)
    summary = make_summary(
        rows, run_id=f"alpaca_eval-{path.name.split('.')[0]}",
        models={"finetuned": first["generator_2"], "base": first["generator_1"]},
        judge={"model": first["annotator"], "source": f"AlpacaEval {path.name}"},
        usage=UsageSummary(calls=len(records), cost_usd=cost),
        extras={"import": {"file": path.name, "rows": len(records), "position_recorded": False}},
    )
    return summary, rows
