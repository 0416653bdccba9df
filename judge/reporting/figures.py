"""The report's charts, by name: shown inline in report.html and saved as SVG files beside it."""

from __future__ import annotations

from judge.reporting.charts import Bar, interval_chart, wtl_chart
from judge.summary import Rate, Summary

__all__ = ["figures", "reliability_chart", "results_chart", "slot_chart"]

Row = tuple[str, float, float | None, float | None]


def results_chart(s: Summary) -> str:
    """Win, tie and loss of the fine-tune with its preference interval, overall and per category."""
    p = s.preference
    bars = [Bar("All pairs", s.counts, p.estimate, p.ci_low, p.ci_high)]
    bars += [Bar(c.category, c.counts, c.preference.estimate, c.preference.ci_low, c.preference.ci_high)
             for c in s.per_category]  # fmt: skip
    return wtl_chart(bars, "Win, tie and loss of the fine-tune, overall and per category")


def _row(label: str, r: Rate | None) -> list[Row]:
    return [] if r is None or r.estimate is None else [(label, r.estimate, r.ci_low, r.ci_high)]


def reliability_chart(s: Summary) -> str:
    """The judge's reliability figures on one 0-100 % axis (empty when none was measured)."""
    j = s.judge_reliability
    if j is None:
        return ""
    rows: list[Row] = []
    if j.position is not None:
        rows += _row("chose label A", j.position.share_a) + _row(
            "same after A/B swap", j.position.consistency
        )
    if j.length is not None:
        rows += _row("longer output won", j.length.prefers_longer)
        lc = j.length.length_controlled
        if lc is not None and lc.estimate is not None:
            rows.append(("preference, equal length", lc.estimate, lc.ci_low, lc.ci_high))
    for label, a in (("same in new batches", j.self_consistency), ("same judged alone", j.batched_vs_single)):
        rows += _row(label, a.agree if a is not None else None)
    rows += _row("picked verified side", j.truth.picked_correct if j.truth is not None else None)
    return interval_chart(rows, f"Judge reliability: {j.verdict}") if rows else ""


def slot_chart(s: Summary) -> str:
    """Share of label A by slot in the judge call (empty when the run had no batches)."""
    j = s.judge_reliability
    if j is None or j.slots is None:
        return ""
    rows = [r for sl in j.slots.slots for r in _row(f"slot {sl.slot}: chose A", sl.share_a)]
    return interval_chart(rows, "Label A by slot in the judge call") if rows else ""


def figures(s: Summary) -> dict[str, str]:
    """Every chart this summary has, by file stem (``chart-<name>.svg``)."""
    charts = {"results": results_chart(s), "judge-reliability": reliability_chart(s), "slots": slot_chart(s)}
    return {name: svg for name, svg in charts.items() if svg}
