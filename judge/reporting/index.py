"""Runs as a collection: ``results/index.html`` and the ``judge runs`` table.

Every run folder under a results folder that holds a summary.json is one row: name, date, models,
judge, pairs, preference with its interval, the answer, cost. A several-models run is one row too
("4 models, baseline base", its ranking and the first sentence of its answer). The page is static
HTML (no script at all), every text escaped, under a Content-Security-Policy that allows only its
own stylesheet; each row links to the run's own report.html. It is written again after every run.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import quote

from judge.errors import InputError
from judge.reporting.narrator import headline, several_headline, several_models_text
from judge.reporting.words import ci_text, pct
from judge.runfolder import RunFolder, write_atomic
from judge.summary import Summary
from judge.summary_several import SeveralSummary

__all__ = ["RunRow", "list_runs", "render_index", "write_index"]


@dataclass(frozen=True)
class RunRow:
    """One run of the collection, as the index lists it."""

    folder: RunFolder
    summary: Summary | SeveralSummary

    @property
    def models(self) -> str:
        if isinstance(self.summary, SeveralSummary):
            return several_models_text(self.summary)
        m = self.summary.models
        return f"{m.get('finetuned', '?')} vs {m.get('base', '?')}"

    @property
    def judge(self) -> str:
        return self.summary.judge.get("model", "?")

    @property
    def pairs(self) -> int:
        """Judged pairs (several models: of every pairing together)."""
        if isinstance(self.summary, SeveralSummary):
            return sum(p.summary.counts.n for p in self.summary.pairings)
        return self.summary.counts.n

    @property
    def preference(self) -> str:
        if isinstance(self.summary, SeveralSummary):  # one preference per model: the order instead
            names = {m.key: m.name for m in self.summary.models}
            order = ", ".join(names[r.model] for r in self.summary.ratings or [])
            return f"ranking: {order}" if order else "per model: see its report"
        p = self.summary.preference
        interval = ci_text(p.ci_low, p.ci_high, p.level)
        return pct(p.estimate) + (f" ({interval})" if interval else "")

    @property
    def answer(self) -> str:
        """The run's answer in one line."""
        if isinstance(self.summary, SeveralSummary):
            return several_headline(self.summary)
        return headline(self.summary)

    def to_dict(self) -> dict[str, Any]:
        """The row as ``judge runs --json`` prints it (a several-models run: its models and ranking)."""
        s = self.summary
        row: dict[str, Any] = {"run": self.folder.name, "path": str(self.folder.path), "created": s.created}
        if isinstance(s, SeveralSummary):
            ranking = [r.model for r in s.ratings or []]
            row |= {"kind": "several", "models": [m.key for m in s.models], "baseline": s.baseline,
                    "ranking": ranking, "answer": self.answer}  # fmt: skip
        else:
            row |= {"models": s.models, "preference": s.preference.model_dump()}
        return row | {"judge": s.judge.get("model"), "pairs": self.pairs, "cost_usd": s.usage.cost_usd}

    @property
    def cost(self) -> str:
        usd = self.summary.usage.cost_usd
        return "n/a" if usd is None else f"${usd:.4f}"


def list_runs(results: Path) -> list[RunRow]:
    """Every finished run directly under ``results``, newest first (unreadable folders are skipped)."""
    rows = []
    for path in sorted(p for p in Path(results).iterdir() if p.is_dir()) if Path(results).is_dir() else []:
        folder = RunFolder(path)
        if not folder.is_run():
            continue
        try:
            rows.append(RunRow(folder, folder.read_any_summary()))
        except InputError:
            continue  # a summary from another version or a half-copied folder: not listed
    return sorted(rows, key=lambda r: r.summary.created, reverse=True)


_COLUMNS = ("Run", "Date", "Models (fine-tuned vs base)", "Judge", "Pairs", "Preference", "Answer", "Cost")


def _cells(row: RunRow) -> list[str]:
    s = row.summary
    link = f'<a href="{escape(quote(row.folder.name))}/report.html">{escape(row.folder.name)}</a>'
    return [link, escape(s.created.replace("T", " ")[:16]), escape(row.models), escape(row.judge),
            str(row.pairs), escape(row.preference), escape(row.answer), escape(row.cost)]  # fmt: skip


def render_index(rows: list[RunRow]) -> str:
    """The index page for these runs."""
    style = (files("judge.reporting") / "assets" / "report.css").read_text(encoding="utf-8")
    head = "".join(f"<th>{escape(c)}</th>" for c in _COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in _cells(r)) + "</tr>" for r in rows)
    table = (
        f'<table class="t" id="runs"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        if rows
        else '<p id="runs">No finished run here yet: <code>judge run CONFIG</code> writes one.</p>'
    )
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode()
    csp = f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{escape(csp)}">'
        '<meta name="referrer" content="no-referrer"><title>judge: runs</title>'
        f"<style>{style}</style></head><body>"
        '<header class="top"><h1>Runs</h1>'
        f'<p class="headline">{len(rows)} run(s). Preference = (wins + ties/2) / pairs, '
        "from the fine-tune's side.</p>"
        f"</header><main><section>{table}</section></main></body></html>\n"
    )


def write_index(results: Path) -> Path:
    """Write ``results/index.html`` for every run in ``results``; returns its path."""
    path = Path(results) / "index.html"
    write_atomic(path, render_index(list_runs(results)))
    return path
