"""Read a run folder and write its reports next to its data."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from judge.errors import InputError
from judge.records import AuditRow
from judge.reporting.audit import read_audit
from judge.reporting.figures import figures
from judge.reporting.html import render_html
from judge.reporting.markdown import render_markdown
from judge.summary import Summary, load_summary

__all__ = ["load_run", "write_reports"]


def _read_summary(path: Path) -> Summary:
    try:
        return load_summary(path.read_bytes())
    except FileNotFoundError:
        raise InputError(path, None, "no summary.json: run `judge` (or the aggregate stage) first") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise InputError(path, None, f"not a summary: {where}: {first['msg']}") from None


def load_run(run_dir: Path) -> tuple[Summary, list[AuditRow], str | None]:
    """Read a run folder's summary.json, audit.jsonl (optional) and config.toml snapshot (optional).

    Raises:
        InputError: summary.json is missing or invalid, or a line of audit.jsonl is invalid.
    """
    run_dir = Path(run_dir)
    summary = _read_summary(run_dir / "summary.json")
    audit = run_dir / "audit.jsonl"
    rows = read_audit(audit) if audit.exists() else []
    config = run_dir / "config.toml"
    return summary, rows, config.read_text(encoding="utf-8") if config.exists() else None


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(run_dir: Path) -> list[Path]:
    """Write report.md and report.html into a run folder from its summary and audit rows.

    Args:
        run_dir: the run folder (results/<run-id>/).

    Returns:
        The paths written: report.md, report.html, then one ``chart-<name>.svg`` per chart.

    Raises:
        InputError: the run folder's inputs are missing or invalid (nothing is written then).
    """
    run_dir = Path(run_dir)
    summary, rows, config = load_run(run_dir)
    md, page = render_markdown(summary), render_html(summary, rows, config)
    written = [run_dir / "report.md", run_dir / "report.html"]
    for path, text in zip(written, (md, page), strict=True):
        _write_atomic(path, text)
    for name, svg in figures(summary).items():  # the charts alone, for papers and slides
        path = run_dir / f"chart-{name}.svg"
        _write_atomic(path, '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n")
        written.append(path)
    return written
