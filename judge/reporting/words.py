"""The run's answer in words, built only from the numbers in a Summary.

Rules: the direction is given with its uncertainty and n; "significant" appears only when the
decision rejected, and then the interval printed beside it excludes 50 %; a fine-tune that loses
is told so first; failed pairs are named as not counted. The sentences about the margin, power
and failed pairs are the narrator's (:mod:`judge.reporting.narrator`), so the two never disagree.
"""

from __future__ import annotations

from judge.reporting.narrator import (
    bounds_sentence,
    decimals,
    effect_sentence,
    other_name,
    power_sentence,
)
from judge.summary import Estimate, PositionBias, Rate, Summary

__all__ = ["ci_text", "fmt_p", "headline", "pct", "position_sentence", "significance_paragraph"]


def pct(x: float | None, digits: int = 0) -> str:
    """A proportion as a percentage for people ("55 %"), or "n/a"."""
    return "n/a" if x is None else f"{100 * x:.{digits}f} %"


def fmt_p(p: float | None) -> str:
    """A p-value as people read it: two significant digits, "< 0.001" below that."""
    if p is None:
        return "n/a"
    return "< 0.001" if p < 0.001 else f"= {p:.2g}"


def ci_text(
    low: float | None,
    high: float | None,
    level: float = 0.95,
    significant: bool | None = None,
    null: float = 0.5,
) -> str:
    """The interval as "95 % CI 48 % to 62 %" with an en dash, or "" when it is unknown.

    Decimals are added until the two ends differ and, for a significant result, 50 % (``null``)
    visibly lies outside (251,500 wins to 248,500 losses: "50.2 % to 50.4 %", not "50 % to 50 %").
    """
    if low is None or high is None:
        return ""
    d = decimals(low, high, significant, null)
    return f"{100 * level:.0f} % CI {pct(low, d)}\u2013{pct(high, d)}"


def _names(s: Summary) -> tuple[str, str]:
    return s.models.get("finetuned", "fine-tuned"), s.models.get("base", "base")


def _direction(s: Summary) -> str:
    ft, base = _names(s)
    n, pref, st = s.counts.n, s.preference, s.sign_test
    if pref.estimate is None or st.wins == st.losses:
        return f"No lean: {ft} and {base} won {st.wins} pairs each of {n}"
    sig = st.significant if st.pvalue is not None else None
    est, low, high = pref.estimate, pref.ci_low, pref.ci_high
    if st.wins < st.losses:
        est, low, high = 1 - est, None if high is None else 1 - high, None if low is None else 1 - low
    shown = pct(est)
    if low is not None and high is not None:
        d = decimals(low, high, sig, 0.5)
        shown = f"{pct(est, d)} ({100 * pref.level:.0f} % CI {pct(low, d)}\u2013{pct(high, d)})"
    if st.wins > st.losses:
        return f"{ft} preferred in {shown} of {n} pairs"
    return f"{ft} LOSES: {base} preferred in {shown} of {n} pairs"


def _test(s: Summary) -> str:
    st = s.sign_test
    if st.pvalue is None:
        return "no decisive verdicts, so no sign test"
    unit = "" if st.design_effect == 1.0 else f" (by judge call, design effect {st.design_effect:.2f})"
    if st.significant:
        return f"sign test{unit} p {fmt_p(st.pvalue)}, significant at alpha = {st.alpha:g}"
    return f"sign test{unit} p {fmt_p(st.pvalue)}: not significant, this is direction, not evidence"


_EFFECT_WORDS = {
    "better_but_negligible": "significant but negligible (inside the {m} margin)",
    "worse_but_negligible": "worse, but negligibly (inside the {m} margin)",
    "equivalent": "equivalent within the {m} margin",
    "non_inferior": "non-inferior at the {m} margin",
}


def headline(s: Summary) -> str:
    """One line answering "does the fine-tune beat its base?", e.g. "ft preferred (60 %, 95 % CI
    54 % to 66 %) in 300 pairs (W 170, T 20, L 110); sign test p < 0.001, significant at alpha = 0.05".

    Args:
        s: the run's summary.

    Returns:
        The sentence, ending with a full stop.
    """
    c = s.counts
    if c.n == 0:
        return f"No pair got a verdict ({c.failed} failed): nothing can be concluded."
    parts = [f"{_direction(s)} ({c.win} wins, {c.tie} ties, {c.loss} losses)", _test(s)]
    if s.effect is not None and s.effect.verdict in _EFFECT_WORDS:
        parts.append(_EFFECT_WORDS[s.effect.verdict].format(m=f"{100 * s.effect.margin:g}-point"))
    pw = s.power
    if pw is not None and pw.pairs_needed is not None and not s.sign_test.significant:
        parts.append(f"about {pw.pairs_needed:,} pairs would give {pct(pw.power)} power at the margin")
    if c.failed:
        parts.append(f"{c.failed} failed pair{'s' if c.failed != 1 else ''} not counted")
    return "; ".join(parts) + "."


def _rate(name: str, r: Rate) -> str:
    ci = ci_text(r.ci_low, r.ci_high, r.level)
    return f"{name} {r.k} ({pct(r.estimate)}{', ' + ci if ci else ''})"


def _estimate(e: Estimate, significant: bool | None = None) -> str:
    ci = ci_text(e.ci_low, e.ci_high, e.level, significant)
    return f"{pct(e.estimate)} ({ci}; {e.method})" if ci else pct(e.estimate)


def position_sentence(pb: PositionBias | None) -> str:
    """What the judge's label choices say about position bias, or "" when not measured."""
    if pb is None or pb.share_a.estimate is None:
        return ""
    r = pb.share_a
    biased = r.ci_low is not None and r.ci_high is not None and not r.ci_low <= 0.5 <= r.ci_high
    verdict = "a position bias" if biased else "no position bias detected at this n"
    text = f"The judge chose label A in {pct(r.estimate)} of its {r.n} non-tie verdicts "
    text += f"({ci_text(r.ci_low, r.ci_high, r.level)}): {verdict}."
    if pb.consistency is not None and pb.consistency.estimate is not None:
        text += f" Verdicts agreed after swapping positions for {pct(pb.consistency.estimate)} of items."
    return text


def significance_paragraph(s: Summary) -> str:
    """A paragraph for a write-up: counts, intervals, the test, the margin and what it does not show."""
    ft, base = _names(s)
    c, st = s.counts, s.sign_test
    judge = s.judge.get("model", "an LLM judge")
    if c.n == 0:
        return f"We compared {ft} with {base}, judged blind by {judge}, but no pair got a verdict."
    other = other_name(s)
    text = (
        f"We compared {ft} with {other} on {c.n} prompts, judged blind by {judge}. "
        f"From {ft}'s side: {_rate('wins', s.win_rate)}, {_rate('ties', s.tie_rate)}, "
        f"{_rate('losses', s.loss_rate)}. Preference for {ft}, counting a tie as half, "
        f"was {_estimate(s.preference, st.significant)}. "
    )
    if st.pvalue is None:
        text += "No verdict was decisive, so the sign test has nothing to test."
    else:
        exact, unit = (
            ("exact ", "every verdict its own unit")
            if st.design_effect == 1.0
            else (
                "",
                f"judge calls as the unit, design effect {st.design_effect:.2f} over {st.clusters} calls",
            )
        )
        text += (
            f"A two-sided {exact}sign test of {st.wins} wins against {st.losses} losses (ties excluded, "
            f"{unit}) gives p {fmt_p(st.pvalue)}, "
        )
        text += (
            f"significant at alpha = {st.alpha:g}; the interval excludes 50 %."
            if st.significant
            else f"not significant at alpha = {st.alpha:g}: the interval includes 50 %, so the data show a "
            f"direction, not evidence of a difference."
        )
    net = s.net_win_rate
    for extra in (
        effect_sentence(s.effect, net.ci_low, net.ci_high, other, ft),
        "" if st.significant else power_sentence(s.power),
        bounds_sentence(s),
    ):
        if extra:
            text += " " + extra
    if c.decided_by_check:
        text += f" {c.decided_by_check} pairs were decided by a check without a judge call."
    pos = position_sentence(s.position_bias)
    return text + (" " + pos if pos else "")
