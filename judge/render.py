"""The summary on a terminal: a table of the headline numbers and the conclusion in words."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from judge.conclusion import pct
from judge.report.terminal import clean
from judge.summary import Rate, Summary

__all__ = ["print_summary"]


def _ci(rate: Rate) -> str:
    if rate.estimate is None:
        return "n/a"
    return f"{pct(rate.estimate)}  [{pct(rate.ci_low)}, {pct(rate.ci_high)}]"


def _table(summary: Summary) -> Table:
    c, s, p = summary.counts, summary.sign_test, summary.preference
    table = Table(title=f"judge: {escape(clean(summary.run_id))}", show_header=True, header_style="bold")
    table.add_column("measure")
    table.add_column("value", justify="right")
    ft = escape(clean(summary.models.get("finetuned", "fine-tuned")))
    table.add_row(f"fine-tuned ({ft}) wins / ties / losses", f"{c.win} / {c.tie} / {c.loss}  (n = {c.n})")
    table.add_row("win rate  [95 % Wilson CI]", _ci(summary.win_rate))
    table.add_row("loss rate [95 % Wilson CI]", _ci(summary.loss_rate))
    if p.estimate is not None:
        se = f" ± {100 * p.se:.1f} (SE)" if p.se is not None else ""
        table.add_row("preference (W + T/2)/n", f"{pct(p.estimate)}{se}  [{pct(p.ci_low)}, {pct(p.ci_high)}]")
    if s.pvalue is not None:
        verdict = "significant" if s.significant else "not significant"
        table.add_row("sign test (two-sided)", f"p = {s.pvalue:.3g}  {verdict} at {s.alpha}")
        needed = "no effect seen" if s.pairs_for_power is None else f"{s.pairs_for_power} pairs"
        table.add_row(f"pairs for {100 * s.power_target:.0f} % power", needed)
    if summary.position_bias:
        table.add_row("judge chose A (position bias)", _ci(summary.position_bias.share_a))
    if c.failed or c.decided_by_check:
        table.add_row("failed (excluded) / decided by check", f"{c.failed} / {c.decided_by_check}")
    u = summary.usage
    if u.calls:
        cost = "" if u.cost_usd is None else f", ${u.cost_usd:.4f}"
        table.add_row("judge calls (cached)", f"{u.calls} ({u.cached_calls}){cost}")
    return table


def print_summary(summary: Summary, console: Console) -> None:
    """Print the headline table, per-category lines and the conclusion."""
    console.print(_table(summary))
    for cat in summary.per_category:
        s = cat.sign_test
        holm = f", Holm p = {s.pvalue_holm:.3g}" if s.pvalue_holm is not None else ""
        p = "n/a" if s.pvalue is None else f"{s.pvalue:.3g}"
        console.print(
            f"  {escape(clean(cat.category))}: {cat.counts.win}/{cat.counts.tie}/{cat.counts.loss} "
            f"(W/T/L), sign p = {p}{holm}"
        )
    console.print()
    console.print(escape(clean(summary.conclusion)))
