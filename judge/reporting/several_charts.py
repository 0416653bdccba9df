"""The charts of a several-models report: ratings with intervals, and the curve over training steps.

Drawn in Python as inline SVG with presentation attributes only (no style attribute, no script),
every label escaped, so report.html's Content-Security-Policy needs no exception for them; each is
also saved beside the report as ``chart-<name>.svg``.
"""

from __future__ import annotations

from html import escape

from judge.reporting.narrator import checkpoint_chart_title, rank_text, ratings_chart_title, signed
from judge.reporting.several_tables import model_names
from judge.reporting.words import pct
from judge.summary_several import SeveralSummary

__all__ = ["checkpoint_chart", "ratings_chart", "several_figures"]

_LABEL_W, _PLOT_W, _ROW_H, _RIGHT = 200, 420, 30, 150
_BEST, _INK, _BASE = "#1f4e99", "#111", "#757575"


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _span(values: list[float]) -> tuple[float, float]:
    low, high = min([*values, 0.0]), max([*values, 0.0])
    pad = max(0.1, 0.08 * (high - low))
    return low - pad, high + pad


def _whisker(x1: float, x2: float, y: float, colour: str) -> str:
    return (
        f'<path d="M{x1:.1f} {y - 6}v12M{x1:.1f} {y}H{x2:.1f}M{x2:.1f} {y - 6}v12" '
        f'stroke="{colour}" stroke-width="2" fill="none"/>'
    )


def ratings_chart(s: SeveralSummary) -> str:
    """Each model's rating (best first) with its interval on one log-strength axis; 0 is the mean."""
    if not s.ratings:
        return ""
    names = model_names(s)
    ends = [v for r in s.ratings for v in (r.rating, r.ci_low, r.ci_high) if v is not None]
    low, high = _span(ends)

    def x(v: float) -> float:
        return _LABEL_W + _PLOT_W * (v - low) / (high - low)

    top, body = 10, []
    for i, r in enumerate(s.ratings):
        y = top + i * _ROW_H + 15
        colour = _BASE if r.model == s.baseline else _INK
        label = f"{rank_text(r)}. {names[r.model]}"
        short = label if len(label) <= 28 else label[:27] + "…"
        body.append(f'<text x="{_LABEL_W - 8}" y="{y + 4}" text-anchor="end">{escape(short)}</text>')
        if r.ci_low is not None and r.ci_high is not None:
            body.append(_whisker(x(r.ci_low), x(r.ci_high), y, colour))
        tip = f"{names[r.model]}: rating {signed(r.rating)}"
        fill = _BEST if i == 0 else "#fff"
        body.append(
            f'<circle cx="{x(r.rating):.1f}" cy="{y}" r="5" fill="{fill}" stroke="{colour}" stroke-width="2">'
            f"<title>{escape(tip)}</title></circle>"
        )
        body.append(f'<text x="{_LABEL_W + _PLOT_W + 8}" y="{y + 4}">{escape(signed(r.rating))}</text>')
    bottom = top + _ROW_H * len(s.ratings)
    zero = x(0.0)
    body += [
        f'<line x1="{zero:.1f}" y1="{top}" x2="{zero:.1f}" y2="{bottom}" stroke="#333" '
        'stroke-dasharray="4 3"/>',
        f'<text x="{zero:.1f}" y="{bottom + 14}" text-anchor="middle">0 (mean)</text>',
        f'<text x="{x(low):.1f}" y="{bottom + 14}">{signed(low, 1)}</text>',
        f'<text x="{x(high):.1f}" y="{bottom + 14}" text-anchor="end">{signed(high, 1)}</text>',
    ]
    return _svg(_LABEL_W + _PLOT_W + _RIGHT, bottom + 24, body, ratings_chart_title(s))


_CURVE_W, _CURVE_H, _LEFT, _TOP = 560, 260, 60, 30


def _curve_axes() -> list[str]:
    parts = []
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        yy = _TOP + _CURVE_H * (1 - share)
        dash = ' stroke-dasharray="4 3"' if share == 0.5 else ""
        colour = "#333" if share == 0.5 else "#e3e3e3"
        parts.append(
            f'<line x1="{_LEFT}" y1="{yy:.1f}" x2="{_LEFT + _CURVE_W}" y2="{yy:.1f}" '
            f'stroke="{colour}"{dash}/>'
        )
        parts.append(f'<text x="{_LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end">{pct(share)}</text>')
    return parts


def checkpoint_chart(s: SeveralSummary) -> str:
    """Preference against the baseline by training step, with intervals; the best step marked.

    The baseline's own point (when it is a checkpoint) sits on the 50 % line, drawn hollow.
    """
    c = s.checkpoints
    if c is None or not c.points:
        return ""
    names = model_names(s)
    steps = [p.step for p in c.points]
    first, last = min(steps), max(steps)

    def x(step: int) -> float:
        return _LEFT + (
            _CURVE_W / 2 if last == first else 20 + (_CURVE_W - 40) * (step - first) / (last - first)
        )

    def y(share: float) -> float:
        return _TOP + _CURVE_H * (1 - min(max(share, 0.0), 1.0))

    body = _curve_axes()
    line = []
    for p in c.points:
        est = 0.5 if p.preference is None or p.preference.estimate is None else p.preference.estimate
        line.append(f"{x(p.step):.1f} {y(est):.1f}")
    body.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{_BEST}" stroke-width="1.5"/>')
    for p in c.points:
        px, best = x(p.step), p.step == c.best_step
        pref = p.preference
        est = 0.5 if pref is None or pref.estimate is None else pref.estimate
        if pref is not None and pref.ci_low is not None and pref.ci_high is not None:
            body.append(
                f'<path d="M{px - 6:.1f} {y(pref.ci_low):.1f}h12M{px:.1f} {y(pref.ci_low):.1f}'
                f'V{y(pref.ci_high):.1f}M{px - 6:.1f} {y(pref.ci_high):.1f}h12" stroke="{_INK}" '
                'stroke-width="2" fill="none"/>'
            )
        what = "baseline" if pref is None else f"preferred in {pct(est)}"
        tip = f"step {p.step}: {names[p.model]}, {what}"
        fill = _BEST if best else ("#fff" if pref is not None else "#ddd")
        body.append(
            f'<circle cx="{px:.1f}" cy="{y(est):.1f}" r="{7 if best else 5}" fill="{fill}" stroke="{_INK}" '
            f'stroke-width="2"><title>{escape(tip)}</title></circle>'
        )
        body.append(f'<text x="{px:.1f}" y="{_TOP + _CURVE_H + 16}" text-anchor="middle">{p.step}</text>')
        if best:
            above = y(pref.ci_high) if pref is not None and pref.ci_high is not None else y(est)
            body.append(
                f'<text x="{px:.1f}" y="{max(above - 12, 12):.1f}" text-anchor="middle" font-weight="bold" '
                f'fill="{_BEST}">best: step {p.step}</text>'
            )
    middle, below = _LEFT + _CURVE_W / 2, _TOP + _CURVE_H + 34
    body.append(f'<text x="{middle:.0f}" y="{below}" text-anchor="middle">training step</text>')
    return _svg(_LEFT + _CURVE_W + 30, _TOP + _CURVE_H + 44, body, checkpoint_chart_title(s))


def several_figures(s: SeveralSummary) -> dict[str, str]:
    """Every chart this summary has, by file stem (``chart-<name>.svg``)."""
    charts = {"ratings": ratings_chart(s), "checkpoints": checkpoint_chart(s)}
    return {name: svg for name, svg in charts.items() if svg}
