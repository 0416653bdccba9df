"""Inline SVG charts drawn in Python: no plotting library, no script, nothing loaded from outside.

Every label is escaped; charts use SVG presentation attributes only (no style attributes), so a
strict Content-Security-Policy needs no exception for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from judge.summary import Counts

__all__ = ["Bar", "interval_chart", "wtl_chart"]

_COLOURS = {"win": "#2e7d32", "tie": "#9e9e9e", "loss": "#c62828"}
_LABEL_W, _BAR_W, _ROW_H = 170, 400, 30


@dataclass(frozen=True)
class Bar:
    """One row of a win/tie/loss chart: counts and, optionally, the preference with its interval."""

    label: str
    counts: Counts
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


def _x(share: float) -> float:
    return _LABEL_W + _BAR_W * min(max(share, 0.0), 1.0)


def _svg(height: int, body: list[str], title: str) -> str:
    width = _LABEL_W + _BAR_W + 110
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _whisker(y: float, est: float, low: float | None, high: float | None, tip: str) -> list[str]:
    parts = []
    if low is not None and high is not None:
        x1, x2 = _x(low), _x(high)
        parts.append(
            f'<path d="M{x1:.1f} {y - 6}v12M{x1:.1f} {y}H{x2:.1f}M{x2:.1f} {y - 6}v12" '
            f'stroke="#111" stroke-width="2" fill="none"/>'
        )
    parts.append(
        f'<circle cx="{_x(est):.1f}" cy="{y}" r="4.5" fill="#fff" stroke="#111" stroke-width="2">'
        f"<title>{escape(tip)}</title></circle>"
    )
    return parts


def _bar_row(i: int, bar: Bar, top: int) -> list[str]:
    y, n = top + i * _ROW_H, bar.counts.n
    parts = [f'<text x="{_LABEL_W - 8}" y="{y + 19}" text-anchor="end">{escape(bar.label[:28])}</text>']
    start = 0.0
    for key in ("win", "tie", "loss"):
        k = getattr(bar.counts, key)
        share = k / n if n else 0.0
        parts.append(
            f'<rect x="{_x(start):.1f}" y="{y + 5}" width="{_BAR_W * share:.1f}" height="20" '
            f'fill="{_COLOURS[key]}"><title>{key}: {k} of {n}</title></rect>'
        )
        start += share
    parts.append(f'<text x="{_LABEL_W + _BAR_W + 8}" y="{y + 19}">n = {n}</text>')
    if bar.estimate is not None:
        tip = f"preference {100 * bar.estimate:.1f} %"
        parts += _whisker(y + 15, bar.estimate, bar.ci_low, bar.ci_high, tip)
    return parts


def _axis(top: int, bottom: int) -> list[str]:
    x = _x(0.5)
    return [
        f'<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#333" stroke-dasharray="4 3"/>',
        f'<text x="{x}" y="{bottom + 14}" text-anchor="middle">50 %</text>',
    ]


def wtl_chart(bars: list[Bar], title: str) -> str:
    """Stacked win/tie/loss bars; the ring and whisker mark the preference (W + T/2)/n and its CI.

    The preference sits in the middle of the tie segment by construction, so the whisker reads
    against the same axis as the bars.
    """
    legend = [
        f'<rect x="{_LABEL_W + i * 90}" y="2" width="12" height="12" fill="{c}"/>'
        f'<text x="{_LABEL_W + i * 90 + 16}" y="13">{k}</text>'
        for i, (k, c) in enumerate(_COLOURS.items())
    ]
    legend.append(f'<text x="{_LABEL_W + 270}" y="13">○ preference, 95 % CI</text>')
    body = legend + [p for i, bar in enumerate(bars) for p in _bar_row(i, bar, 22)]
    bottom = 22 + _ROW_H * len(bars)
    return _svg(bottom + 20, body + _axis(22, bottom), title)


def interval_chart(rows: list[tuple[str, float, float | None, float | None]], title: str) -> str:
    """Point estimates with intervals on a 0 to 100 % axis, with the 50 % line (e.g. position bias)."""
    body = []
    for i, (label, est, low, high) in enumerate(rows):
        y = 10 + i * _ROW_H
        body.append(f'<text x="{_LABEL_W - 8}" y="{y + 19}" text-anchor="end">{escape(label[:28])}</text>')
        body.append(f'<rect x="{_LABEL_W}" y="{y + 12}" width="{_BAR_W}" height="6" fill="#e3e3e3"/>')
        body += _whisker(y + 15, est, low, high, f"{label}: {100 * est:.1f} %")
        body.append(f'<text x="{_LABEL_W + _BAR_W + 8}" y="{y + 19}">{100 * est:.1f} %</text>')
    bottom = 10 + _ROW_H * len(rows)
    return _svg(bottom + 20, body + _axis(10, bottom), title)
