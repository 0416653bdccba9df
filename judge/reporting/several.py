"""Reports of a several-models run: the answer, the leaderboard, the matrix, the checkpoint curve.

Each pairing keeps its own two-model report and audit (``pairings/<name>/report.html``); this writes
the run folder's ``report.md``, ``report.html`` and ``chart-<name>.svg`` from the several-models
summary. The page holds no script at all: its Content-Security-Policy allows only its own stylesheet
(by hash) and data: images, and every text in it (model names, categories, the words) is escaped.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from importlib.resources import files
from pathlib import Path
from string import Template
from urllib.parse import quote

from judge.errors import redact
from judge.reporting.markdown import md_escape, md_table
from judge.reporting.narrator import (
    audit_caption,
    category_caption,
    checkpoint_caption,
    leaderboard_caption,
    matrix_caption,
    pairing_answer,
    pairings_caption,
    several_loses,
    several_title,
)
from judge.reporting.several_charts import checkpoint_chart, ratings_chart, several_figures
from judge.reporting.several_tables import (
    Shaded,
    category_notes,
    category_ranking_table,
    checkpoint_table,
    leaderboard_table,
    matrix_table,
    model_names,
    several_usage_table,
)
from judge.reporting.tables import Table
from judge.runfolder import RunFolder
from judge.summary_several import SeveralSummary

__all__ = ["render_several_html", "several_markdown", "write_several_reports"]


def _paragraphs(s: SeveralSummary) -> list[str]:
    return [p for p in s.conclusion.split("\n\n") if p.strip()]


def _md_body(table: Table) -> str:
    return md_table(table).split("\n", 2)[2]  # without its "### title" line: the section names it


def _md_section(title: str, caption: str, table: Table | None, image: str = "") -> list[str]:
    if table is None:
        return []
    figure = [f"![{md_escape(title)}]({image})", ""] if image else []
    return [f"## {md_escape(title)}", "", md_escape(caption), "", *figure, _md_body(table), ""]


def several_markdown(s: SeveralSummary) -> str:
    """The Markdown report: the answer first, then the leaderboard, matrix, curve and pairings."""
    first, *rest = _paragraphs(s) or [""]
    lines = [f"# {md_escape(several_title(s))}", "", f"**{md_escape(first)}**", ""]
    lines += [line for p in rest for line in (md_escape(p), "")]
    charts = several_figures(s)
    lines += _md_section("Leaderboard", leaderboard_caption(s), leaderboard_table(s),
                         "chart-ratings.svg" if "ratings" in charts else "")  # fmt: skip
    lines += _md_section("Pairwise win-rate matrix", matrix_caption(), matrix_table(s))
    lines += _md_section("Checkpoints", checkpoint_caption(s), checkpoint_table(s),
                         "chart-checkpoints.svg" if "checkpoints" in charts else "")  # fmt: skip
    lines += _md_section("Ranking per category", category_caption(s), category_ranking_table(s))
    lines += [line for note in category_notes(s) for line in (f"- {md_escape(note)}", "")]
    lines += ["## Pairings", "", md_escape(pairings_caption(s)), ""]
    for p in s.pairings:
        link = f"pairings/{quote(p.name)}"
        lines.append(f"- [{md_escape(p.name)}]({link}/report.md) ([audit]({link}/report.html#audit)): "
                     f"{md_escape(pairing_answer(p))}")  # fmt: skip
    lines += ["", md_escape(audit_caption(s)), "", md_table(several_usage_table(s))]
    return "\n".join(lines) + "\n"


# --- report.html ---------------------------------------------------------------------------------


def _asset(name: str) -> str:
    return (files("judge.reporting") / "assets" / name).read_text(encoding="utf-8")


def _csp(style: str) -> str:
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; form-action 'none'"
    )


def _table(table: Table | None, css: str = "t") -> str:
    if table is None:
        return ""
    shades = table.shades if isinstance(table, Shaded) else []
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    head = f"<tr>{head}</tr>" if any(table.headers) else ""
    body = []
    for i, row in enumerate(table.rows):
        classes = shades[i] if i < len(shades) else [""] * len(row)
        cells = "".join(
            f'<td class="{escape(c)}">{escape(t)}</td>' if c else f"<td>{escape(t)}</td>"
            for t, c in zip(row, classes, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    return f'<table class="{css}">{head}{"".join(body)}</table>'


def _section(ident: str, title: str, caption: str, *parts: str) -> str:
    return (
        f'<section id="{ident}"><h2>{escape(title)}</h2><p class="muted">{escape(caption)}</p>'
        f"{''.join(parts)}</section>"
    )


def _notes(notes: list[str]) -> str:
    return f'<ul class="muted">{"".join(f"<li>{escape(n)}</li>" for n in notes)}</ul>' if notes else ""


def _pairing_links(s: SeveralSummary) -> str:
    rows = []
    for p in s.pairings:
        href = f"pairings/{quote(p.name)}/report.html"
        rows.append(
            f'<tr><td><a href="{escape(href)}">{escape(p.name)}</a></td>'
            f'<td><a href="{escape(href)}#audit">audit</a></td><td>{escape(pairing_answer(p))}</td></tr>'
        )
    head = "<tr><th>Pairing (its report)</th><th>Comparisons</th><th>Its answer</th></tr>"
    return f'<table class="t" id="pairings-table">{head}{"".join(rows)}</table>'


def _audit_by_model(s: SeveralSummary) -> str:
    names, items = model_names(s), []
    for m in s.models:
        links = [
            f'<a href="pairings/{escape(quote(p.name))}/report.html#audit">{escape(p.name)}</a>'
            for p in s.pairings
            if m.key in (p.candidate, p.other)
        ]
        items.append(f"<li>{escape(names[m.key])}: {', '.join(links) or 'no pairing'}</li>")
    return f'<h3>Audit by model</h3><ul id="audit-by-model">{"".join(items)}</ul>'


def _body(s: SeveralSummary, config_text: str | None) -> tuple[str, str]:
    sections = [
        ("leaderboard", "Leaderboard", leaderboard_caption(s),
         [_table(leaderboard_table(s)), ratings_chart(s)]),
        ("matrix", "Pairwise win-rate matrix", matrix_caption(), [_table(matrix_table(s), "t matrix")]),
        ("checkpoints", "Checkpoints", checkpoint_caption(s),
         [checkpoint_chart(s), _table(checkpoint_table(s))] if s.checkpoints else []),
        ("categories", "Ranking per category", category_caption(s),
         [_table(category_ranking_table(s)), _notes(category_notes(s))]),
        ("pairings", "Pairings and their audits", pairings_caption(s) + " " + audit_caption(s),
         [_pairing_links(s), _audit_by_model(s)]),
        ("usage", "Judge, models, tokens and cost", "", [_table(several_usage_table(s))]),
    ]  # fmt: skip
    shown = [(i, t, c, parts) for i, t, c, parts in sections if any(parts)]
    config = (
        '<p class="muted">No config snapshot in the run folder.</p>'
        if config_text is None
        else f'<pre class="config">{escape(redact(config_text))}</pre>'
    )
    body = "".join(_section(i, t, c, *parts) for i, t, c, parts in shown)
    body += f'<section id="config"><h2>Config</h2>{config}</section>'
    nav = "".join(f'<a href="#{i}">{escape(t)}</a>' for i, t, _, _ in [*shown, ("config", "Config", "", [])])
    return body, nav


def render_several_html(s: SeveralSummary, config_text: str | None) -> str:
    """The self-contained report page of a several-models run (no script; every text escaped).

    Args:
        s: the run's several-models summary.
        config_text: the run's config snapshot (secrets are redacted), or None.
    """
    style = _asset("report.css")
    first, *rest = _paragraphs(s) or [""]
    body, nav = _body(s, config_text)
    return Template(_asset("several.html")).substitute(
        csp=escape(_csp(style)),
        title=escape(several_title(s)),
        style=style,
        headline=escape(first),
        headline_class=" loses" if several_loses(s) else "",
        lead="".join(f'<p class="lead">{escape(p)}</p>' for p in rest),
        nav=nav,
        body=body,
    )


def write_several_reports(run_dir: Path, summary: SeveralSummary) -> list[Path]:
    """Write report.md, report.html and one ``chart-<name>.svg`` per chart of a several-models run.

    Returns:
        The paths written.
    """
    folder = RunFolder(run_dir)
    written = [
        folder.write_text(folder.REPORT_MD, several_markdown(summary)),
        folder.write_text(folder.REPORT_HTML, render_several_html(summary, folder.read_config_text())),
    ]
    for name, svg in several_figures(summary).items():
        written.append(
            folder.write_text(f"chart-{name}.svg", '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n")
        )
    return written
