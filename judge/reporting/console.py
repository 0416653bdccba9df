"""The summary on a terminal: a table of the headline numbers and the conclusion in words.

A several-models run prints its answer first, then the leaderboard and where each pairing is.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from judge.reporting.narrator import (
    category_line,
    imported_sentence,
    pairing_answer,
    reliability_sentence,
    several_loses,
)
from judge.reporting.terminal import clean
from judge.reporting.words import fmt_p, interval_text, pct
from judge.summary import Rate, Summary
from judge.summary_several import SeveralSummary

__all__ = ["print_summary"]


def _ci(rate: Rate) -> str:
    if rate.estimate is None or rate.ci_low is None or rate.ci_high is None:
        return pct(rate.estimate)
    return interval_text(rate.estimate, rate.ci_low, rate.ci_high, None, level=rate.level)


def _table(summary: Summary) -> Table:
    c, s, p = summary.counts, summary.sign_test, summary.preference
    table = Table(title=f"judge: {escape(clean(summary.run_id))}", show_header=True, header_style="bold")
    table.add_column("measure")
    table.add_column("value", justify="right")
    ft = escape(clean(summary.models.get("finetuned", "fine-tuned")))
    role = "fine-tuned" if summary.comparison == "base" else "model"
    table.add_row(f"{role} ({ft}) wins / ties / losses", f"{c.win} / {c.tie} / {c.loss}  (n = {c.n})")
    table.add_row("win rate (Wilson)", _ci(summary.win_rate))
    table.add_row("loss rate (Wilson)", _ci(summary.loss_rate))
    if p.estimate is not None and p.ci_low is not None and p.ci_high is not None:
        se = f"; SE {100 * p.se:.1f} points" if p.se is not None else ""
        sig = s.significant if s.pvalue is not None else None
        table.add_row(
            "preference (W + T/2)/n",
            escape(interval_text(p.estimate, p.ci_low, p.ci_high, sig, level=p.level)) + se,
        )
    if s.pvalue is not None:
        verdict = "significant" if s.significant else "not significant"
        unit = "" if s.design_effect == 1.0 else f", design effect {s.design_effect:.2f}"
        table.add_row("sign test (two-sided)", f"p {fmt_p(s.pvalue, s.alpha)}  {verdict} at {s.alpha}{unit}")
    e = summary.effect
    if e is not None and e.verdict != "no_data":
        table.add_row(f"effect vs margin ±{100 * e.margin:g} points", e.verdict.replace("_", " "))
    pw = summary.power
    if pw is not None:
        needed = "too few verdicts to plan" if pw.pairs_needed is None else f"{pw.pairs_needed:,} pairs"
        table.add_row(f"pairs for {100 * pw.power:.0f} % power at the margin", needed)
    if summary.position_bias:
        table.add_row("judge chose A (position bias)", _ci(summary.position_bias.share_a))
    rel = summary.judge_reliability
    if rel is not None and rel.verdict != "not measured":
        table.add_row("judge reliability", rel.verdict)
    if c.failed or c.decided_by_check:
        table.add_row("failed (excluded) / decided by check", f"{c.failed} / {c.decided_by_check}")
    u = summary.usage
    if u.calls:
        cost = "" if u.cost_usd is None else f", ${u.cost_usd:.4f}"
        table.add_row("judge calls (cached)", f"{u.calls} ({u.cached_calls}){cost}")
    return table


def _print_several(s: SeveralSummary, console: Console) -> None:
    from judge.reporting.narrator import leaderboard_caption
    from judge.reporting.several_tables import leaderboard_table

    first, *rest = [p for p in s.conclusion.split("\n\n") if p.strip()] or [""]
    console.print(Text(clean(first), style="bold red" if several_loses(s) else "bold"))
    for paragraph in rest:
        console.print(Text(clean(paragraph)))
    board = leaderboard_table(s)
    table = Table(title=f"judge: {escape(clean(s.run_id))}", show_header=True, header_style="bold")
    for header in board.headers:
        table.add_column(escape(header))
    for row in board.rows:
        table.add_row(*(Text(clean(c)) for c in row))
    console.print(table)
    console.print(Text(clean(leaderboard_caption(s)), style="dim"))
    for p in s.pairings:
        console.print(Text(f"  {p.name}: {clean(pairing_answer(p))}"))


def print_summary(summary: Summary | SeveralSummary, console: Console) -> None:
    """Print the headline table, per-category lines and the conclusion (several models: the answer,
    the leaderboard and each pairing's one-line answer)."""
    if isinstance(summary, SeveralSummary):
        _print_several(summary, console)
        return
    console.print(_table(summary))
    for cat in summary.per_category:
        console.print(f"  {escape(clean(category_line(cat)))}")
    console.print()
    console.print(escape(clean(summary.conclusion)))
    for words in (reliability_sentence(summary.judge_reliability), imported_sentence(summary)):
        if words:
            console.print()
            console.print(escape(clean(words)))
