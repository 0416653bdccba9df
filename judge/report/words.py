"""The run's answer in words, built only from the numbers in a Summary.

Rules: the direction is given with its uncertainty and n; "significant" appears only when the
sign test rejected; a fine-tune that loses is told so first; failed pairs are named as not counted.
"""

from __future__ import annotations

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


def ci_text(low: float | None, high: float | None, level: float = 0.95) -> str:
    """"95 % CI 48 % to 62 %" (en dash), or an empty string when the interval is unknown."""
    if low is None or high is None:
        return ""
    return f"{100 * level:.0f} % CI {pct(low)}\u2013{pct(high)}"


def _plus_minus(est: float, low: float | None, high: float | None) -> str:
    # A ± is only honest for a (nearly) symmetric interval; a bootstrap CI often is not.
    if low is None or high is None:
        return pct(est)
    if abs((high - est) - (est - low)) < 0.01:
        return f"{pct(est)} ± {pct((high - low) / 2)}"
    return f"{pct(est)} ({pct(low)}\u2013{pct(high)})"


def _names(s: Summary) -> tuple[str, str]:
    return s.models.get("finetuned", "fine-tuned"), s.models.get("base", "base")


def _direction(s: Summary) -> str:
    ft, base = _names(s)
    n, pref, st = s.counts.n, s.preference, s.sign_test
    if pref.estimate is None or st.wins == st.losses:
        return f"No lean: {ft} and {base} won {st.wins} pairs each of {n}"
    if st.wins > st.losses:
        return f"{ft} preferred in {_plus_minus(pref.estimate, pref.ci_low, pref.ci_high)} of {n} pairs"
    low = None if pref.ci_high is None else 1 - pref.ci_high
    high = None if pref.ci_low is None else 1 - pref.ci_low
    return f"{ft} LOSES: {base} preferred in {_plus_minus(1 - pref.estimate, low, high)} of {n} pairs"


def _test(s: Summary) -> str:
    st = s.sign_test
    if st.pvalue is None:
        return "no decisive verdicts, so no sign test"
    if st.significant:
        return f"sign test p {fmt_p(st.pvalue)}, significant at alpha = {st.alpha:g}"
    return f"sign test p {fmt_p(st.pvalue)}: not significant, this is direction, not evidence"


def headline(s: Summary) -> str:
    """One line answering "does the fine-tune beat its base?", e.g. "ft preferred in 55 % ± 7 % of
    300 pairs (W 150, T 30, L 120); sign test p = 0.04, significant at alpha = 0.05".

    Args:
        s: the run's summary.

    Returns:
        The sentence, ending with a full stop.
    """
    c = s.counts
    if c.n == 0:
        return f"No pair got a verdict ({c.failed} failed): nothing can be concluded."
    parts = [f"{_direction(s)} ({c.win} wins, {c.tie} ties, {c.loss} losses)", _test(s)]
    st = s.sign_test
    if st.pairs_for_power is not None and not st.significant:
        parts.append(f"about {st.pairs_for_power} pairs would give {pct(st.power_target)} power")
    if c.failed:
        parts.append(f"{c.failed} failed pair{'s' if c.failed != 1 else ''} not counted")
    return "; ".join(parts) + "."


def _rate(name: str, r: Rate) -> str:
    ci = ci_text(r.ci_low, r.ci_high, r.level)
    return f"{name} {r.k} ({pct(r.estimate)}{', ' + ci if ci else ''})"


def _estimate(e: Estimate) -> str:
    ci = ci_text(e.ci_low, e.ci_high, e.level)
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
    """A paragraph for a write-up: counts, intervals, the test and what it does not show."""
    ft, base = _names(s)
    c, st = s.counts, s.sign_test
    judge = s.judge.get("model", "an LLM judge")
    if c.n == 0:
        return f"We compared {ft} with {base}, judged blind by {judge}, but no pair got a verdict."
    text = (f"We compared {ft} with its base {base} on {c.n} prompts, judged blind by {judge}. "
            f"From the fine-tune's side: {_rate('wins', s.win_rate)}, {_rate('ties', s.tie_rate)}, "
            f"{_rate('losses', s.loss_rate)}. Preference for the fine-tune, counting a tie as half, "
            f"was {_estimate(s.preference)}. ")
    if st.pvalue is None:
        text += "Every verdict was a tie, so the sign test has nothing to test."
    else:
        text += (f"A two-sided exact sign test of {st.wins} wins against {st.losses} losses (ties "
                 f"excluded) gives p {fmt_p(st.pvalue)}, ")
        text += (f"significant at alpha = {st.alpha:g}." if st.significant else
                 f"not significant at alpha = {st.alpha:g}: the data show a direction, not evidence of a "
                 f"difference.")
    if st.pairs_for_power is not None:
        text += (f" About {st.pairs_for_power} pairs would give {pct(st.power_target)} power to detect "
                 f"the observed split.")
    if c.failed:
        text += f" {c.failed} pairs got no valid verdict and are excluded (not counted as losses)."
    if c.decided_by_check:
        text += f" {c.decided_by_check} pairs were decided by a check without a judge call."
    pos = position_sentence(s.position_bias)
    return text + (" " + pos if pos else "")
