"""Public AlpacaEval annotation files as a run folder, through the real import path (`judge report FILE`).

``output_1`` (the baseline) is the *base*, ``output_2`` (the model named in the file) the
*fine-tuned* side. The files do not record the order the judge saw, so A is always output_1 and
position bias is not claimed.
"""

from __future__ import annotations

from pathlib import Path

from judge.imports.importing import import_verdicts
from judge.records import AuditRow
from judge.reporting import load_run
from judge.summary import Summary

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "alpaca_eval"


def load_alpaca(path: Path, results: Path) -> tuple[Summary, list[AuditRow], Path]:
    """Import one ``*.jsonl.gz`` file into ``results``; return its summary, audit rows and run folder."""
    run_dir = import_verdicts(path, results=results)
    summary, rows, _ = load_run(run_dir)
    return summary, rows, run_dir
