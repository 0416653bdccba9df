"""The one formatter: numbers, percentages, points, intervals and p-values as every report prints them.

No sentence is written here (that is :mod:`judge.reporting.narrator`); these helpers only turn a
number into text, so the terminal, report.md, report.html, the index and the narrator's sentences
show the same number the same way: "62 %", "4.2 points", "95 % CI 51 % to 72 %", "p = 0.81",
"p < 0.001".
"""

from __future__ import annotations

from judge.summary import Rate

__all__ = ["ci_text", "decimals", "fmt_p", "interval_text", "pct", "points", "rate_text"]


def pct(x: float | None, digits: int = 0) -> str:
    """A proportion as a percentage for people ("55 %"), or "n/a"."""
    return "n/a" if x is None else f"{100 * x:.{digits}f} %"


def points(x: float) -> str:
    """A net win rate in percentage points ("4.2 points"; whole points from 10 up)."""
    return f"{100 * x:.1f} points" if abs(x) < 0.1 else f"{100 * x:.0f} points"


def fmt_p(p: float | None, alpha: float | None = None) -> str:
    """A p-value as people read it, after "p ": "= 0.81", "= 0.0496", "< 0.001" (or "n/a").

    Two significant digits, and more when two would round onto or across ``alpha`` (0.0496 is
    "= 0.0496" at alpha = 0.05, never "= 0.05" beside "significant").
    """
    if p is None:
        return "n/a"
    if p < 0.001:
        return "< 0.001"
    for digits in (2, 3, 4):
        shown = float(f"{p:.{digits}g}")
        if alpha is None or ((shown < alpha) == (p < alpha) and shown != alpha):
            break
    return f"= {shown:.{digits}g}"


def decimals(low: float, high: float, significant: bool | None, null: float) -> int:
    """Fewest decimals (of a percentage) that keep the ends apart and the null on the right side."""
    for d in range(4):
        lo, hi, nu = round(100 * low, d), round(100 * high, d), round(100 * null, d)
        if lo == hi and high > low:
            continue
        if significant is True and lo <= nu <= hi:
            continue
        return d
    return 4


def ci_text(
    low: float | None,
    high: float | None,
    level: float = 0.95,
    significant: bool | None = None,
    null: float = 0.5,
) -> str:
    """The interval as "95 % CI 48 % to 62 %", or "" when it is unknown.

    Decimals are added until the two ends differ and, for a significant result, 50 % (``null``)
    visibly lies outside (251,500 wins to 248,500 losses: "50.2 % to 50.4 %", not "50 % to 50 %").
    """
    if low is None or high is None:
        return ""
    d = decimals(low, high, significant, null)
    return f"{100 * level:.0f} % CI {pct(low, d)} to {pct(high, d)}"


def interval_text(
    est: float, low: float, high: float, significant: bool | None, null: float = 0.5, level: float = 0.95
) -> str:
    """ "62 %, 95 % CI 51 % to 72 %", the estimate with as many decimals as its interval."""
    shown = pct(est, decimals(low, high, significant, null))
    return f"{shown}, {ci_text(low, high, level, significant, null)}"


def rate_text(r: Rate) -> str:
    """A count with its share and interval: "17/24 (71 %, 95 % CI 51 % to 85 %)"."""
    if r.estimate is None or r.ci_low is None or r.ci_high is None:
        return f"{r.k}/{r.n} ({pct(r.estimate)})"
    return f"{r.k}/{r.n} ({interval_text(r.estimate, r.ci_low, r.ci_high, None, level=r.level)})"
