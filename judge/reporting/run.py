"""Read a run folder and write its reports next to its data."""

from __future__ import annotations

from pathlib import Path

from judge.records import AuditRow
from judge.reporting.figures import figures
from judge.reporting.html import render_html
from judge.reporting.markdown import render_markdown
from judge.runfolder import RunFolder
from judge.summary import Summary

__all__ = ["load_run", "write_reports"]


def load_run(run_dir: Path) -> tuple[Summary, list[AuditRow], str | None]:
    """Read a run folder's summary.json, audit.jsonl (optional) and config.toml snapshot (optional).

    Raises:
        InputError: summary.json is missing or invalid, or a line of audit.jsonl is invalid.
    """
    folder = RunFolder(run_dir)
    return folder.read_summary(), folder.read_audit(), folder.read_config_text()


def write_reports(
    run_dir: Path, summary: Summary | None = None, rows: list[AuditRow] | None = None
) -> list[Path]:
    """Write report.md and report.html into a run folder from its summary and audit rows.

    A several-models run folder gets its own report (leaderboard, matrix, curve) and each
    pairing's folder its two-model report again.

    Args:
        run_dir: the run folder (results/<run-id>/).
        summary: its summary.json as written, when the caller has it (else read from the folder).
        rows: its audit.jsonl rows as written, when the caller has them (else read from the folder).

    Returns:
        The paths written: report.md, report.html, then one ``chart-<name>.svg`` per chart (then,
        for several models, each pairing's).

    Raises:
        InputError: the run folder's inputs are missing or invalid (nothing is written then).
    """
    run_dir = Path(run_dir)
    folder = RunFolder(run_dir)
    if folder.is_several():  # the run's own report, then each pairing's
        from judge.reporting.several import write_several_reports

        several = folder.read_several()
        pairings = [p for s in several.pairings for p in write_reports(folder.pairing(s.name).path)]
        return write_several_reports(run_dir, several) + pairings
    if summary is None or rows is None:
        summary, rows, config = load_run(run_dir)
    else:  # just written by the caller: not read back
        config = folder.read_config_text()
    md, page = render_markdown(summary), render_html(summary, rows, config)
    written = [folder.write_text(folder.REPORT_MD, md), folder.write_text(folder.REPORT_HTML, page)]
    for name, svg in figures(summary).items():  # the charts alone, for papers and slides
        svg_text = '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n"
        written.append(folder.write_text(f"chart-{name}.svg", svg_text))
    return written
