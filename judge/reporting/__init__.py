"""Reports of a run: report.md, the self-contained report.html, and the terminal audit.

Public API::

    write_reports(run_dir) -> [report.md, report.html, chart-<name>.svg ...]
    render_markdown(summary) / render_html(summary, rows, config_text)
    load_run(run_dir) / read_audit(path)
    filter_rows(rows, category=, result=, confidence=, inconsistent=, check_disagrees=,
                rationale_disagrees=, failed=, search=)
    print_audit(rows, console, reveal=, max_lines=) / export_rows(rows, path)
"""

from judge.reporting.audit import check_disagrees, check_verdict, filter_rows, read_audit
from judge.reporting.export import export_rows
from judge.reporting.html import render_html
from judge.reporting.markdown import render_markdown
from judge.reporting.narrator import headline, significance_paragraph
from judge.reporting.run import load_run, write_reports
from judge.reporting.terminal import print_audit

__all__ = [
    "check_disagrees",
    "check_verdict",
    "export_rows",
    "filter_rows",
    "headline",
    "load_run",
    "print_audit",
    "read_audit",
    "render_html",
    "render_markdown",
    "significance_paragraph",
    "write_reports",
]
