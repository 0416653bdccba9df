"""report.md: the tables and a significance paragraph ready to paste into a write-up."""

from __future__ import annotations

import re

from judge.reporting.narrator import (
    headline,
    imported_sentence,
    lead,
    reliability_details,
    reliability_sentence,
    significance_paragraph,
)
from judge.reporting.tables import (
    Table,
    category_table,
    confidence_table,
    extras_tables,
    imported_table,
    notes_tables,
    results_table,
    usage_table,
)
from judge.reporting.tables_judge import reliability_table, slot_table, verification_tables
from judge.summary import Summary

__all__ = ["md_escape", "md_table", "render_markdown"]

# Characters that would turn a cell's text into Markdown or HTML structure.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#!~])")


def md_escape(text: str) -> str:
    """Make text inert in Markdown (and in the HTML many renderers allow inside it)."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return " ".join(text.split())  # a newline would end the table row


def md_table(table: Table) -> str:
    """A GitHub-flavoured Markdown table with a ``###`` title."""
    head = [md_escape(h) or " " for h in table.headers]
    lines = [
        f"### {md_escape(table.title)}",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def render_markdown(summary: Summary) -> str:
    """Render a run's summary as Markdown.

    Args:
        summary: the run's summary (summary.json).

    Returns:
        The document text: headline, significance paragraph, result / category / position /
        usage tables and one table per extra (checks, perplexity, ...).
    """
    ft = summary.models.get("finetuned", "fine-tuned")
    base = summary.models.get("base", "base")
    parts = [
        f"# Does {md_escape(ft)} beat {md_escape(base)}?",
        "",
        f"**{md_escape(lead(summary))}**",
        "",
        md_escape(headline(summary)),
        "",
        "## Significance",
        "",
        md_escape(significance_paragraph(summary)),
    ]
    if summary.imported is not None:
        parts += ["", md_escape(imported_sentence(summary))]
    verdict = reliability_sentence(summary.judge_reliability)
    if verdict:
        parts += ["", "## Can this judge be trusted here?", "", md_escape(verdict), ""]
        parts += [f"- {md_escape(d)}" for d in reliability_details(summary.judge_reliability)]
    if summary.conclusion:
        parts += ["", "## Conclusion", "", md_escape(summary.conclusion)]
    tables = [
        results_table(summary),
        category_table(summary),
        reliability_table(summary.judge_reliability),
        slot_table(summary.judge_reliability),
        confidence_table(summary),
        *verification_tables(summary),
        *notes_tables(summary),
        imported_table(summary),
        *extras_tables(summary.extras),
        usage_table(summary),
    ]
    for table in tables:
        if table is not None:
            parts += ["", md_table(table)]
    return "\n".join(parts) + "\n"
