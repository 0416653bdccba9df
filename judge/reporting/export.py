"""Export audit rows to CSV (for spreadsheets) or JSONL (verbatim, re-readable with read_audit)."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from judge.errors import ConfigError
from judge.records import AuditRow
from judge.reporting.audit import check_disagrees, check_verdict, rationale_disagrees

__all__ = ["CSV_COLUMNS", "export_rows"]

CSV_COLUMNS = [*AuditRow.model_fields, "check_verdict", "check_disagrees", "rationale_disagrees"]
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> str:
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _write_csv(rows: list[AuditRow], fh: Any) -> None:
    writer = csv.writer(fh)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        data = row.model_dump()
        data["check_verdict"] = check_verdict(row)
        data["check_disagrees"] = check_disagrees(row)
        data["rationale_disagrees"] = rationale_disagrees(row)
        writer.writerow([_csv_cell(data[c]) for c in CSV_COLUMNS])


def _write_jsonl(rows: list[AuditRow], fh: Any) -> None:
    for row in rows:
        fh.write(row.model_dump_json() + "\n")


def export_rows(rows: Iterable[AuditRow], path: Path) -> int:
    """Write rows to ``path``, as CSV or JSONL by its suffix, atomically.

    CSV cells that a spreadsheet would run as a formula get a leading ``'``; dict fields are
    JSON text. JSONL rows are exact AuditRows, so ``read_audit`` reads the export back.

    Args:
        rows: the rows to export (typically filter_rows' result).
        path: destination ending in ``.csv`` or ``.jsonl``.

    Returns:
        The number of rows written.

    Raises:
        ConfigError: the suffix is neither ``.csv`` nor ``.jsonl``.
    """
    writers = {".csv": _write_csv, ".jsonl": _write_jsonl}
    suffix = Path(path).suffix.lower()
    if suffix not in writers:
        raise ConfigError(f"export path {path} must end in .csv or .jsonl")
    items = list(rows)
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writers[suffix](items, fh)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(items)
