"""report.html: one self-contained page that opens offline and cannot run the text it shows.

Safety by construction: static text is escaped with ``html.escape``; the audit rows travel as JSON
in a ``<script type="application/json">`` block with ``<``, ``>``, ``&`` and U+2028/9 escaped, and the
page's one script places them with ``textContent`` only. A Content-Security-Policy allows exactly
that script and stylesheet (by hash) and nothing else: no remote loads, no connections.
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape
from importlib.resources import files
from string import Template
from typing import Any

import pydantic_core
from pydantic import TypeAdapter

from judge.errors import redact
from judge.records import AuditRow
from judge.reporting.audit import check_disagrees, check_verdict, rationale_disagrees
from judge.reporting.charts import Bar, wtl_chart
from judge.reporting.figures import reliability_chart, results_chart, slot_chart
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
from judge.summary import Counts, Summary

__all__ = ["content_security_policy", "render_html", "script_json"]

_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _asset(name: str) -> str:
    return (files("judge.reporting") / "assets" / name).read_text(encoding="utf-8")


def script_json(obj: Any) -> str:
    """JSON that is inert inside a ``<script>`` element: no ``</script>``, no comment or entity tricks.

    Written by pydantic-core (a 2,400-row audit is megabytes: twice as fast as the json module, the
    same text but for the spelling of exponents, 1e-05 as 0.00001); by the json module where a
    string holds what UTF-8 cannot encode (a lone surrogate).
    """
    try:
        text = pydantic_core.to_json(obj).decode("utf-8")
    except pydantic_core.PydanticSerializationError:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.translate(str.maketrans(_JSON_ESCAPES))  # type: ignore[arg-type]


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def content_security_policy(script: str, style: str) -> str:
    """A policy allowing only the given inline script and style (by hash) and data: images."""
    return (
        f"default-src 'none'; script-src {_sha256(script)}; style-src {_sha256(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def _table(table: Table | None, titled: bool = True) -> str:
    if table is None:
        return ""
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    head = f"<tr>{head}</tr>" if any(table.headers) else ""
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    title = f"<h3>{escape(table.title)}</h3>" if titled else ""
    return f'{title}<table class="t">{head}{body}</table>'


def _results(s: Summary) -> str:
    conclusion = f'<p class="conclusion">{escape(s.conclusion)}</p>' if s.conclusion else ""
    chart = results_chart(s)
    words = escape(significance_paragraph(s))
    imported = f'<p id="imported">{escape(imported_sentence(s))}</p>' if s.imported else ""
    return (
        f'<section id="results"><h2>Results</h2><p id="significance">{words}</p>{imported}'
        f'{conclusion}<div class="grid"><div>{chart}</div><div>{_table(results_table(s))}</div></div>'
        f"{_table(category_table(s))}</section>"
    )


def _confidence_bars(rows: list[AuditRow]) -> list[Bar]:
    tally: dict[str, dict[str, int]] = {}
    for r in rows:
        if r.confidence is not None and r.result is not None:
            level = tally.setdefault(r.confidence, {"win": 0, "tie": 0, "loss": 0})
            level[r.result] += 1
    return [Bar(f"confidence {c}", Counts(**tally[c])) for c in ("high", "medium", "low") if c in tally]


def _judge_section(s: Summary, rows: list[AuditRow]) -> str:
    parts = []
    chart = reliability_chart(s)
    if chart:
        parts.append(f"<div>{chart}{_table(reliability_table(s.judge_reliability))}</div>")
    else:
        parts.append('<div><p class="muted">The judge\'s reliability was not measured in this run.</p></div>')
    slots = slot_chart(s)
    if slots:
        parts.append(f"<div>{slots}{_table(slot_table(s.judge_reliability))}</div>")
    bars = _confidence_bars(rows)
    chart = wtl_chart(bars, "Verdicts by confidence") if bars else ""
    chart = f"<h3>Verdicts by judge confidence</h3>{chart}" if chart else ""
    if chart or s.confidence:
        parts.append(f"<div>{chart}{_table(confidence_table(s))}</div>")
    verdict = escape(reliability_sentence(s.judge_reliability))
    details = "".join(f"<li>{escape(d)}</li>" for d in reliability_details(s.judge_reliability))
    words = f'<p id="reliability" class="conclusion">{verdict}</p><ul>{details}</ul>' if verdict else ""
    return (
        f'<section id="judge"><h2>Can this judge be trusted here?</h2>{words}'
        f'<div class="grid">{"".join(parts)}</div></section>'
    )


def _checks_section(s: Summary) -> str:
    tables = "".join(
        f"<div>{_table(t)}</div>"
        for t in [*verification_tables(s), *notes_tables(s), imported_table(s), *extras_tables(s.extras)]
        if t is not None
    )
    body = f'<div class="grid">{tables}</div>' if tables else '<p class="muted">No checks in this run.</p>'
    return f'<section id="checks"><h2>Checks and side signals</h2>{body}</section>'


def _config_section(config_text: str | None) -> str:
    body = (
        '<p class="muted">No config snapshot in the run folder.</p>'
        if config_text is None
        else f'<pre class="config">{escape(redact(config_text))}</pre>'
    )
    return f'<section id="config"><h2>Config</h2>{body}</section>'


def _select(name: str, label: str, options: list[str]) -> str:
    opts = "".join(f'<option value="{escape(o)}">{escape(o)}</option>' for o in options)
    return f'<label>{label} <select name="{name}"><option value="">any</option>{opts}</select></label>'


def _filters(rows: list[AuditRow]) -> str:
    cats = sorted({r.category for r in rows})
    boxes = [
        ("inconsistent", "position-inconsistent"),
        ("check_disagrees", "disagrees with a check"),
        ("rationale_disagrees", "contradicts its criteria"),
        ("failed", "failed / unparsed"),
        ("reveal_all", "reveal models"),
    ]
    return "".join(
        [
            _select("category", "Category", cats),
            _select("result", "Verdict", ["win", "tie", "loss"]),
            _select("confidence", "Confidence", ["high", "medium", "low"]),
            *(f'<label><input type="checkbox" name="{n}"> {t}</label>' for n, t in boxes),
            '<label>Search <input type="search" name="search" '
            'placeholder="prompt, output, rationale…"></label>',
        ]
    )


_ROWS = TypeAdapter(list[AuditRow])


def _rows_data(rows: list[AuditRow]) -> list[dict[str, Any]]:
    dumped: list[dict[str, Any]] = _ROWS.dump_python(rows, mode="json")  # one call, not one per row
    for data, row in zip(dumped, rows, strict=True):
        data.update(
            key=f"{row.item_id}/{row.round}",
            check_verdict=check_verdict(row),
            check_disagrees=check_disagrees(row),
            rationale_disagrees=rationale_disagrees(row),
        )
    return dumped


def render_html(summary: Summary, rows: list[AuditRow], config_text: str | None) -> str:
    """Render the self-contained report page.

    Args:
        summary: the run's summary.
        rows: every audit row of the run (shown and filtered in the page).
        config_text: the run's config snapshot (secrets are redacted), or None.

    Returns:
        The HTML document.
    """
    script, style = _asset("report.js"), _asset("report.css")
    ft, base = summary.models.get("finetuned", "fine-tuned"), summary.models.get("base", "base")
    usage_html = _table(usage_table(summary), titled=False)
    usage = f'<section id="usage"><h2>Judge, tokens and cost</h2>{usage_html}</section>'
    body = "".join(
        [
            _results(summary),
            _judge_section(summary, rows),
            _checks_section(summary),
            usage,
            _config_section(config_text),
        ]
    )
    data = {"models": summary.models, "rows": _rows_data(rows)}
    loses = summary.sign_test.losses > summary.sign_test.wins
    return Template(_asset("report.html")).substitute(
        csp=escape(content_security_policy(script, style)),
        title=escape(f"Does {ft} beat {base}?"),
        style=style,
        script=script,
        headline=escape(headline(summary)),
        headline_class=" loses" if loses else "",
        lead=escape(lead(summary)),
        body=body,
        filters=_filters(rows),
        data=script_json(data),
    )
