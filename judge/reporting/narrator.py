"""The answer in words: what the numbers show, and what they do not. The one narrator.

Every sentence the product says about a result is written here, from a typed Summary (or its
typed parts), and the terminal, report.md, report.html, the index, ``judge diff``, the demo and the
Python API only place these sentences. Numbers are turned into text by one formatter,
:mod:`judge.reporting.words`.

Rules: the direction is reported only with its interval; "significant" is said only when the
decision rejects, and then the printed interval excludes 50 % (they come from one procedure;
numbers are printed with enough digits that the rounding never hides it); the effect is read
against the user's margin (negligible, equivalent, non-inferior); a fine-tune that loses is told
so first and plainly; failed pairs are named, bounded and said not to count as losses; power is
planned for the margin, never from a handful of verdicts; an imported file's second model is a
"reference", not "its base".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from judge.aggregation.thresholds import Crossing
from judge.reporting.words import ci_text, decimals, fmt_p, interval_text, pct, points, rate_text
from judge.summary import (
    Agreement,
    CategorySummary,
    Effect,
    Estimate,
    FailedBound,
    JudgeReliability,
    PositionBias,
    Power,
    Rate,
    SignTest,
    Summary,
    Verification,
)
from judge.summary_several import PairingResult, Rating, SeveralSummary

if TYPE_CHECKING:
    from judge.checks.perplexity import PerplexityResult

__all__ = [
    "accuracy_sentence",
    "bounds_sentence",
    "category_line",
    "change_sentence",
    "checkpoint_sentence",
    "conclusion",
    "demo_headline",
    "effect_sentence",
    "headline",
    "imported_sentence",
    "judge_caveats",
    "lead",
    "other_name",
    "perplexity_line",
    "plan_sentence",
    "position_note",
    "position_sentence",
    "power_note",
    "power_sentence",
    "preference_brief",
    "rank_text",
    "ranking_sentence",
    "reliability_details",
    "reliability_reasons",
    "reliability_sentence",
    "several_conclusion",
    "several_lead",
    "several_trust_sentence",
    "several_truth_sentence",
    "short_decision",
    "significance_paragraph",
    "truth_sentence",
]


# --- Names -----------------------------------------------------------------------------------------


def _ft(s: Summary) -> str:
    return s.models.get("finetuned", "the fine-tuned model")


def other_name(s: Summary) -> str:
    """How the second model is named: "its base X" for a run, "the reference X" for a file."""
    base = s.models.get("base", "the base model")
    return {"reference": f"the reference {base}", "baseline": f"the baseline {base}", "model": base}.get(
        s.comparison, f"its base {base}"
    )


def _names(s: Summary) -> tuple[str, str]:
    return s.models.get("finetuned", "fine-tuned"), s.models.get("base", "base")


# --- The decision: conclusion, lead, short decision ---------------------------------------------


def _tally(s: Summary) -> str:
    c = s.counts
    return f"won {c.win}, lost {c.loss} and tied {c.tie} of {c.n} pairs"


def _preference(s: Summary) -> str:
    p = s.preference
    if p.estimate is None or p.ci_low is None or p.ci_high is None:
        return ""
    sig = s.sign_test.significant if s.sign_test.pvalue is not None else None
    return f" (preference {interval_text(p.estimate, p.ci_low, p.ci_high, sig, level=p.level)})"


def _test(st: SignTest) -> str:
    unit = (
        ""
        if st.design_effect == 1.0
        else f", design effect {st.design_effect:.2f} over {st.clusters} judge calls"
    )
    return f"two-sided sign test p {fmt_p(st.pvalue, st.alpha)}{unit}"


def _lean(s: Summary) -> str:
    c, ft, base = s.counts, _ft(s), s.models.get("base", "the base model")
    if c.win > c.loss:
        return f"leans towards {ft}"
    return f"leans towards {base}" if c.loss > c.win else "shows no lean"


def _decision(s: Summary) -> str:
    c, st = s.counts, s.sign_test
    ft, other = _ft(s), other_name(s)
    if c.n == 0:
        return "No pair got a verdict, so nothing can be concluded."
    if st.pvalue is None and c.win + c.loss > 0:
        return f"The statistics could not be computed; the verdicts stand: {ft} {_tally(s)}."
    if st.pvalue is None:
        return f"Every judged pair was a tie ({c.tie} of {c.n}): no difference was seen{_preference(s)}."
    p = f"{_test(st)}, alpha = {st.alpha}"
    if st.significant and c.loss > c.win:
        advice = {
            "base": "should not replace the base",
            "baseline": "should not replace the baseline",
            "model": f"is not preferred to {other}",
        }.get(s.comparison, "is not preferred to the reference")
        return (
            f"{ft} is WORSE than {other}: it {_tally(s)}{_preference(s)}; {p}: significant. "
            f"It {advice} on this evidence."
        )
    if st.significant:
        return f"{ft} beats {other}: it {_tally(s)}{_preference(s)}; {p}: significant."
    return (
        f"Not significant: {ft} {_tally(s)}{_preference(s)}; {p}. The result {_lean(s)}, but this is "
        "direction, not evidence: the interval includes 50 %, so the data are consistent with no difference."
    )


def conclusion(s: Summary) -> str:
    """One paragraph answering "does the fine-tune beat its base?" for this summary."""
    net = s.net_win_rate
    parts = [_decision(s), effect_sentence(s.effect, net.ci_low, net.ci_high, other_name(s), _ft(s))]
    if s.counts.n and not s.sign_test.significant:
        parts.append(power_sentence(s.power))
    parts.append(bounds_sentence(s))
    if s.counts.decided_by_check:
        parts.append(
            f"{s.counts.decided_by_check} pair(s) were decided by a check (a degenerate output), "
            "not by the judge."
        )
    if s.problems:
        failed = "; ".join(f"{p.part} ({p.error})" for p in s.problems)
        parts.append(f"Some statistics could not be computed and are left out: {failed}.")
    return " ".join(p for p in parts if p)


def lead(s: Summary) -> str:
    """The report's first paragraph: decision, effect with its interval, the judge, the checks."""
    parts = [short_decision(s), reliability_sentence(s.judge_reliability, short=True),
             accuracy_sentence(s.verification)]  # fmt: skip
    if s.run is not None and not s.run.complete:
        parts.insert(0, f"This run is not finished: {s.run.failure}.")
    return " ".join(p for p in parts if p)


def short_decision(s: Summary) -> str:
    """The decision and the effect with its interval, in one sentence."""
    c, st = s.counts, s.sign_test
    ft, other = _ft(s), other_name(s)
    if c.n == 0:
        return "No pair got a verdict, so nothing can be concluded."
    if st.pvalue is None:
        return f"Every judged pair was a tie ({c.tie} of {c.n}){_preference(s)}: no difference is shown."
    effect = _preference(s).strip()
    test = f"p {fmt_p(st.pvalue, st.alpha)}"
    if st.significant and c.loss > c.win:
        return f"{ft} is WORSE than {other} {effect}, {test}."
    if st.significant:
        return f"{ft} beats {other} {effect}, {test}."
    return f"No significant difference between {ft} and {other} {effect}, {test}: the interval includes 50 %."


# --- The headline (one line) and the significance paragraph (a write-up) --------------------------


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
        shown = f"{pct(est, decimals(low, high, sig, 0.5))} ({ci_text(low, high, pref.level, sig)})"
    if st.wins > st.losses:
        return f"{ft} preferred in {shown} of {n} pairs"
    return f"{ft} LOSES: {base} preferred in {shown} of {n} pairs"


def _test_words(s: Summary) -> str:
    st = s.sign_test
    if st.pvalue is None:
        return "no decisive verdicts, so no sign test"
    unit = "" if st.design_effect == 1.0 else f" (by judge call, design effect {st.design_effect:.2f})"
    p = fmt_p(st.pvalue, st.alpha)
    if st.significant:
        return f"sign test{unit} p {p}, significant at alpha = {st.alpha:g}"
    return f"sign test{unit} p {p}: not significant, this is direction, not evidence"


_EFFECT_WORDS = {
    "better_but_negligible": "significant but negligible (inside the {m} margin)",
    "worse_but_negligible": "worse, but negligibly (inside the {m} margin)",
    "equivalent": "equivalent within the {m} margin",
    "non_inferior": "non-inferior at the {m} margin",
}


def headline(s: Summary) -> str:
    """One line answering "does the fine-tune beat its base?", e.g. "ft preferred in 60 % (95 % CI
    54 % to 66 %) of 300 pairs (170 wins, 20 ties, 110 losses); sign test p < 0.001, significant at
    alpha = 0.05".

    Args:
        s: the run's summary.

    Returns:
        The sentence, ending with a full stop.
    """
    c = s.counts
    if c.n == 0:
        return f"No pair got a verdict ({c.failed} failed): nothing can be concluded."
    parts = [f"{_direction(s)} ({c.win} wins, {c.tie} ties, {c.loss} losses)", _test_words(s)]
    if s.effect is not None and s.effect.verdict in _EFFECT_WORDS:
        parts.append(_EFFECT_WORDS[s.effect.verdict].format(m=f"{100 * s.effect.margin:g}-point"))
    pw = s.power
    if pw is not None and pw.pairs_needed is not None and not s.sign_test.significant:
        parts.append(f"about {pw.pairs_needed:,} pairs would give {pct(pw.power)} power at the margin")
    if c.failed:
        parts.append(f"{c.failed} failed pair{'s' if c.failed != 1 else ''} not counted")
    return "; ".join(parts) + "."


def _rate_words(name: str, r: Rate) -> str:
    ci = ci_text(r.ci_low, r.ci_high, r.level)
    return f"{name} {r.k} ({pct(r.estimate)}{', ' + ci if ci else ''})"


def _estimate_words(e: Estimate, significant: bool | None = None) -> str:
    ci = ci_text(e.ci_low, e.ci_high, e.level, significant)
    return f"{pct(e.estimate)} ({ci}; {e.method})" if ci else pct(e.estimate)


def _test_paragraph(st: SignTest) -> str:
    if st.pvalue is None:
        return "No verdict was decisive, so the sign test has nothing to test."
    exact, unit = (
        ("exact ", "every verdict its own unit")
        if st.design_effect == 1.0
        else ("", f"judge calls as the unit, design effect {st.design_effect:.2f} over {st.clusters} calls")
    )
    text = (
        f"A two-sided {exact}sign test of {st.wins} wins against {st.losses} losses (ties excluded, "
        f"{unit}) gives p {fmt_p(st.pvalue, st.alpha)}, "
    )
    if st.significant:
        return text + f"significant at alpha = {st.alpha:g}; the interval excludes 50 %."
    return text + (
        f"not significant at alpha = {st.alpha:g}: the interval includes 50 %, so the data show a "
        "direction, not evidence of a difference."
    )


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
        f"From {ft}'s side: {_rate_words('wins', s.win_rate)}, {_rate_words('ties', s.tie_rate)}, "
        f"{_rate_words('losses', s.loss_rate)}. Preference for {ft}, counting a tie as half, "
        f"was {_estimate_words(s.preference, st.significant)}. "
    ) + _test_paragraph(st)
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


def category_line(cat: CategorySummary) -> str:
    """One category in one line: "code: 10/2/8 (W/T/L), sign p = 0.81, Holm p = 1 (not significant)"."""
    st = cat.sign_test
    holm = "" if st.pvalue_holm is None else f", Holm p {fmt_p(st.pvalue_holm, st.alpha)}"
    holm += "" if st.significant_holm is None else (" (significant)" if st.significant_holm else "")
    c = cat.counts
    sign = "no decisive verdicts" if st.pvalue is None else f"sign p {fmt_p(st.pvalue, st.alpha)}"
    return f"{cat.category}: {c.win}/{c.tie}/{c.loss} (W/T/L), {sign}{holm}"


# --- Effect against the margin, power, failed pairs, the plan -------------------------------------


def effect_sentence(
    e: Effect | None, low: float | None, high: float | None, other: str, ft: str = "the fine-tune"
) -> str:
    """The interval of the net win rate read against the margin, in one sentence (or "")."""
    if e is None or low is None or high is None or e.verdict == "no_data":
        return ""
    m, span = points(e.margin), f"net win rate {points(low)} to {points(high)}"
    inside = f"the whole interval ({span}) lies within the margin of {m}"
    texts = {
        "better_but_negligible": f"Significant but negligible: {inside}.",
        "worse_but_negligible": f"Worse, but negligibly: {inside}.",
        "equivalent": f"Equivalent within the margin: the interval ({span}) lies within ±{m}.",
        "non_inferior": (
            f"Non-inferior: {ft} is not worse than {other} by more than the margin of {m} ({span})."
        ),
        "inconclusive": (
            f"Against the margin of {m} it is inconclusive: the interval ({span}) does not rule out a loss "
            "larger than the margin."
        ),
        "worse": f"The interval ({span}) reaches beyond the margin of {m}.",
    }
    if e.verdict == "better":
        if low >= e.margin:
            return f"The whole interval ({span}) lies above the margin of {m}: the gain is not negligible."
        return f"The gain may be smaller than the margin of {m} ({span})."
    return texts[e.verdict]


def plan_sentence(win: float, loss: float, power: float, alpha: float, batch_size: int, icc: float,
                  design: float, pairs: int | None) -> str:  # fmt: skip
    """``judge plan``'s answer in words."""
    split = f"win {win:.1%} / tie {1 - win - loss:.1%} / loss {loss:.1%}"
    if pairs is None:
        return f"At {split} there is no effect to detect: no number of pairs gives {power:.0%} power."
    return (
        f"At {split} (net win rate {100 * (win - loss):.2f} points), about {pairs:,} pairs give "
        f"{power:.0%} power with a two-sided sign test at alpha = {alpha}, judged {batch_size} to a "
        f"call with an assumed intra-call correlation of {icc:g} (design effect {design:.2f})."
    )


def power_note(pw: Power, judged: int) -> str:
    """Why ``pw`` has no number of pairs: too few judged pairs, or a margin the ties make impossible."""
    if judged < pw.min_pairs or pw.tie_share is None:
        return (
            f"Only {judged} judged pair(s): too few to plan from (minimum {pw.min_pairs}). "
            "`judge plan --win W --loss L` gives the pairs needed for the split you expect."
        )
    return f"A net win rate of {pw.effect:g} is impossible with {pw.tie_share:.0%} ties."


def power_sentence(pw: Power | None) -> str:
    """Pairs needed for the margin, or why the run is too small to plan from (or "")."""
    if pw is None:
        return ""
    if pw.pairs_needed is None:
        return pw.note or ""
    design = "" if pw.design_effect == 1.0 else f" and design effect {pw.design_effect:.2f}"
    text = (
        f"About {pw.pairs_needed:,} pairs would give {100 * pw.power:.0f} % power to detect a net win "
        f"rate of {points(pw.effect)} (the margin), with this run's {pct(pw.tie_share)} ties{design}"
    )
    if pw.pairs_for_observed is not None:
        text += f"; the observed split would need about {pw.pairs_for_observed:,}"
    return text + "."


def _bound(b: FailedBound) -> str:
    state = "significant" if b.significant else "not significant"
    return f"net win rate {points(b.net)} (95 % CI {points(b.ci_low)} to {points(b.ci_high)}), {state}"


def bounds_sentence(s: Summary) -> str:
    """What the failed pairs could change: all lost by the fine-tune, or all won (or "")."""
    fb = s.failed_bounds
    if fb is None:
        return ""
    return (
        f"{fb.failed} pair(s) got no valid verdict after retries; they are excluded, not counted as losses. "
        f"Had they all gone to the base: {_bound(fb.all_to_base)}; all to the fine-tune: "
        f"{_bound(fb.all_to_finetuned)}."
    )


# --- The judge: position, verified truth, reliability ----------------------------------------------


def _biased(a: Rate) -> bool:
    return a.ci_low is not None and a.ci_high is not None and not a.ci_low <= 0.5 <= a.ci_high


def position_note(bias: PositionBias | None) -> str:
    """The conclusion's note on position: said only when the judge favours a label or flipped."""
    if bias is None:
        return ""
    notes = []
    a = bias.share_a
    if _biased(a) and a.estimate is not None and a.ci_low is not None:
        label, share = ("A", a.estimate) if a.ci_low > 0.5 else ("B", 1 - a.estimate)
        notes.append(
            f"The judge chose label {label} in {pct(share)} of its decisive verdicts "
            f"(95 % CI excludes 50 %): it is position-biased."
        )
    c = bias.consistency
    if c is not None and c.n:
        notes.append(
            f"Judged in both orders, its verdict held in {c.k} of {c.n} pairs; the {c.n - c.k} "
            f"that flipped with the order count as ties."
        )
    elif _biased(a):
        notes.append("Judge with both_orders = true and read its verdicts with care.")
    return " ".join(notes)


def position_sentence(pb: PositionBias | None) -> str:
    """The write-up's sentence on position bias, said either way, or "" when not measured."""
    if pb is None or pb.share_a.estimate is None:
        return ""
    r = pb.share_a
    verdict = "a position bias" if _biased(r) else "no position bias detected at this n"
    text = f"The judge chose label A in {pct(r.estimate)} of its {r.n} decisive verdicts "
    text += f"({ci_text(r.ci_low, r.ci_high, r.level)}): {verdict}."
    c = pb.consistency
    if c is not None and c.estimate is not None:
        text += f" Judged in both orders, its verdict held in {pct(c.estimate)} of {c.n} pairs."
    return text


def accuracy_sentence(v: Verification | None) -> str:
    """Execution-verified accuracy of both models with McNemar's p (or "")."""
    if v is None or v.accuracy is None:
        return ""
    a = v.accuracy
    mc = f"; McNemar p {fmt_p(a.mcnemar_pvalue)}" if a.mcnemar_pvalue is not None else ""
    return f"Execution-verified accuracy: fine-tuned {rate_text(a.finetuned)}, base {rate_text(a.base)}{mc}."


def _chance(r: Rate, ties: int) -> str:
    if ties >= r.n:
        return "it never chose between them"
    if r.ci_high is not None and r.ci_high < 0.5:
        return "worse than a coin flip"
    if r.ci_low is not None and r.ci_low > 0.5:
        return "better than chance"
    return "not distinguishable from a coin flip"


def truth_sentence(v: Verification | None) -> str:
    """How often the judge picked the verified-correct side, and whether it saw the evidence (or "")."""
    t = v.judge_vs_truth if v is not None else None
    if t is None or not t.picked_correct.n:
        return ""
    r = t.picked_correct
    ties = f", {t.ties} of them ties" if t.ties else ""
    saw = (
        " The judge was shown the checks' evidence, so this is not an independent test of it."
        if t.judge_saw_evidence else ""
    )  # fmt: skip
    where = "Where exactly one answer was verified correct, the judge picked it in"
    return f"{where} {rate_text(r)}{ties} — {_chance(r, t.ties)}.{saw}"


def judge_caveats(s: Summary) -> str:
    """What the run says about the judge itself: position bias, agreement with verified truth."""
    v = s.verification
    parts = [position_note(s.position_bias), accuracy_sentence(v), truth_sentence(v)]
    return " ".join(p for p in parts if p)


def _position_crossing(j: JudgeReliability, line: str) -> str:
    share = j.position.share_a if j.position is not None else None
    if line == "label" and share is not None and share.estimate is not None:
        label, one = ("A", share.estimate) if share.estimate > 0.5 else ("B", 1 - share.estimate)
        return f"chose label {label} in {pct(one)} of {share.n} decisive verdicts"
    swap = j.position.consistency if j.position is not None else None
    kept, n = (swap.estimate, swap.n) if swap is not None else (None, 0)
    return f"kept its verdict after swapping A and B in {pct(kept)} of {n} pairs (GPT-4: 65 %)"


def _flip_crossing(j: JudgeReliability, line: str) -> str:
    again = j.self_consistency if line == "rejudged" else j.batched_vs_single
    how = "re-judged in new batches" if line == "rejudged" else "judged one per call instead of in batches"
    agree = again.agree if again is not None else None
    flip = None if agree is None or agree.estimate is None else 1 - agree.estimate
    return f"changed {pct(flip)} of {agree.n if agree else 0} verdicts when {how} (reruns: 13.6 %)"


def _other_crossing(j: JudgeReliability, c: Crossing) -> str:
    if c.line == "truth" and j.truth is not None:
        r, ties = j.truth.picked_correct, j.truth.ties
        why = (
            "all ties" if ties >= r.n
            else "worse than a coin" if c.severe
            else "not distinguishable from a coin flip"
        )  # fmt: skip
        return f"picked the verified-correct side in {r.k} of {r.n} pairs ({why})"
    if c.line == "slot" and j.slots is not None:
        return f"gave verdicts that depend on the comparison's slot in the batch (p {fmt_p(j.slots.pvalue)})"
    if c.line == "longer" and j.length is not None:
        longer = j.length.prefers_longer
        return f"preferred the longer output in {pct(longer.estimate)} of {longer.n} verdicts (humans: 64 %)"
    r2 = j.rationale
    n, k = (r2.checked, r2.contradicting) if r2 is not None else (0, 0)
    return f"contradicted its own criteria majority in {k} of {n} verdicts"


def _crossing(j: JudgeReliability, c: Crossing) -> str:
    """The finding behind one line of :mod:`judge.aggregation.thresholds`, from ``j``'s numbers."""
    if c.line in ("label", "swap"):
        return _position_crossing(j, c.line)
    if c.line in ("rejudged", "single"):
        return _flip_crossing(j, c.line)
    return _other_crossing(j, c)


def reliability_reasons(j: JudgeReliability, crossings: list[Crossing], measured: list[str]) -> list[str]:
    """The numbers behind the plain verdict: the severe findings first, or what was measured and held."""
    if not crossings:
        return [f"every figure measured ({', '.join(measured)}) is within the lines"] if measured else []
    ordered = [c for c in crossings if c.severe] + [c for c in crossings if not c.severe]
    return [_crossing(j, c) for c in ordered]


def reliability_sentence(j: JudgeReliability | None, short: bool = False) -> str:
    """ "The judge is not trustworthy here: ..." with the numbers that drove it (or "")."""
    if j is None or j.verdict == "not measured":
        return ""
    reasons = j.reasons[:2] if short else j.reasons
    if j.verdict == "reliable here":
        return (
            f"The judge looks reliable here: {reasons[0]}." if reasons else "The judge looks reliable here."
        )
    more = f" (and {len(j.reasons) - len(reasons)} more)" if len(j.reasons) > len(reasons) else ""
    return f"The judge is {j.verdict.upper()}: it {'; it '.join(reasons)}{more}."


def _agreement(name: str, a: Agreement | None) -> str:
    if a is None:
        return ""
    kappa = f", kappa {a.kappa:.2f}" if a.kappa is not None else ""
    prefs = ""
    if a.first is not None and a.second is not None:
        prefs = f"; preference {pct(a.first.estimate)} before, {pct(a.second.estimate)} after"
    return (f"{name}: {a.agree.k} of {a.n} verdicts unchanged ({pct(a.agree.estimate)}{kappa}){prefs}; "
            f"{a.calls} extra calls.")  # fmt: skip


def _position_details(j: JudgeReliability) -> list[str]:
    if j.position is None or not j.position.share_a.n:
        return []
    out = [f"Position: label A won {rate_text(j.position.share_a)} of the decisive verdicts."]
    c = j.position.consistency
    if c is not None and c.n:
        out.append(
            f"Swap consistency: the verdict held after swapping A and B in {rate_text(c)} "
            "(GPT-4 on MT-Bench: 65 %)."
        )
    return out


def reliability_details(j: JudgeReliability | None) -> list[str]:
    """One sentence per figure measured, for the report's judge section."""
    if j is None:
        return []
    out = _position_details(j)
    if j.slots is not None:
        shares = ", ".join(f"slot {s.slot}: {pct(s.share_a.estimate)} A of {s.n}" for s in j.slots.slots)
        p = f"; test of no slot effect p {fmt_p(j.slots.pvalue)}" if j.slots.pvalue is not None else ""
        out.append(f"Slot in the batch: {shares}{p}.")
    if j.length is not None:
        lc = j.length.length_controlled
        equal = f"{pct(lc.estimate)} ({ci_text(lc.ci_low, lc.ci_high, lc.level)})" if lc else ""
        ctl = f"; preference at equal length {equal} against {pct(j.length.raw_preference)} raw" if lc else ""
        out.append(f"Length: the longer output won {rate_text(j.length.prefers_longer)} (humans: 64 %){ctl}.")
    out += [t for t in (_agreement("Re-judged in new batches", j.self_consistency),
                        _agreement("Judged one per call", j.batched_vs_single)) if t]  # fmt: skip
    if j.rationale is not None:
        out.append(f"Rationale: {j.rationale.contradicting} of {j.rationale.checked} decisive verdicts "
                   "contradict their own criteria majority (flagged in the audit).")  # fmt: skip
    return out


# --- The demo's first line -------------------------------------------------------------------------


def _found(v: Verification | None) -> str:
    acc = v.accuracy if v is not None else None
    if acc is None:
        return "execution verified nothing"
    p = f" (McNemar p {fmt_p(acc.mcnemar_pvalue)})" if acc.mcnemar_pvalue is not None else ""
    return (
        f"execution verified the fine-tune correct on {acc.finetuned.k}/{acc.finetuned.n} problems, "
        f"the base on {acc.base.k}/{acc.base.n}{p}"
    )


def demo_headline(summary: Summary, *, local: bool) -> str:
    """The demo's first line: what execution found, and whether the judge could judge.

    Args:
        summary: the demo run's summary (its verification: accuracy and judge vs truth).
        local: the judge is the bundled 0.5B model.
    """
    v = summary.verification
    truth = v.judge_vs_truth if v is not None else None
    bias = summary.position_bias
    share_a = bias.share_a.estimate if bias is not None else None
    found, who = _found(v), "the 0.5B judge" if local else "the judge"
    saw = "shown the evidence" if truth is not None and truth.judge_saw_evidence else "without the evidence"
    if truth is None or truth.picked_correct.n == 0:
        return f"Demo: {found}; no pair had exactly one correct side, so the judge could not be checked."
    k, n = truth.picked_correct.k, truth.picked_correct.n
    low = truth.picked_correct.ci_low if truth.picked_correct.ci_low is not None else 0.0
    biased = share_a is not None and (share_a >= 0.9 or share_a <= 0.1)
    if biased or low <= 0.5:  # a judge is shown to judge only when its interval clears a coin flip
        why = f"it picked the verified-correct side in {k}/{n} pairs, not distinguishable from a coin flip"
        if biased and share_a is not None:
            why = f"it chose A in {share_a:.0%} of its decided verdicts"
        head = who[0].upper() + who[1:]
        return f"Demo: {found}. {head} ({saw}) cannot be trusted here: {why}; trust the execution."
    return f"Demo: {found}; {who}, {saw}, picked the verified-correct side in {k}/{n} pairs."


# --- Another tool's verdict file --------------------------------------------------------------------


def _their_numbers(s: Summary) -> str:
    theirs = s.imported.alpaca_eval if s.imported is not None else None
    if theirs is None or theirs.preference is None:
        return ""
    se = "" if theirs.preference_se is None else f" (SE {pct(theirs.preference_se, 2)})"
    return (
        f" AlpacaEval's own win rate, computed its way: {pct(theirs.preference, 2)}{se} over "
        f"{theirs.n_total} preferences ({theirs.n_wins} wins, {theirs.n_draws} draws, "
        f"{theirs.n_wins_base} for the reference)."
    )


def imported_sentence(s: Summary) -> str:
    """Where an imported summary's verdicts came from, and the source tool's own number (or "")."""
    imp = s.imported
    if imp is None:
        return ""
    source = "AlpacaEval annotations" if imp.tool == "alpaca_eval" else "a verdict file"
    skipped = f", {imp.skipped} without a verdict (failed, not counted as losses)" if imp.skipped else ""
    order = (
        ""
        if imp.position_recorded
        else " The file does not record the order the judge saw: no position claim is made from it."
    )
    return f"Imported from {source}, {imp.file}: {imp.rows} rows{skipped}.{order}{_their_numbers(s)}"


# --- Runs side by side (``judge diff``) and side results -------------------------------------------


def preference_brief(s: Summary) -> str:
    """A run in one phrase: "62 % (95 % CI 51 % to 72 %), n = 80, better"."""
    p = s.preference
    if p.estimate is None:
        return "no verdicts"
    ci = "" if p.ci_low is None or p.ci_high is None else f" ({ci_text(p.ci_low, p.ci_high, p.level)})"
    verdict = s.effect.verdict.replace("_", " ") if s.effect else ""
    return f"{pct(p.estimate, 1)}{ci}, n = {s.counts.n}, {verdict}"


def change_sentence(change: float, low: float | None, high: float | None) -> str:
    """The second run's preference minus the first's, with its interval (runs taken as independent)."""
    ci = ""
    if low is not None and high is not None:
        ci = f" (95 % CI {100 * low:+.1f} to {100 * high:+.1f}, runs taken as independent)"
    return f"change B - A: {100 * change:+.1f} points{ci}"


def perplexity_line(r: PerplexityResult) -> str:
    """One model's perplexity on the reference answers, in one line."""
    return (
        f"{r.model}: perplexity {r.perplexity:.3f} ({r.band}) over {r.tokens} tokens, "
        f"mean NLL {r.mean_nll:.4f}"
    )


# --- several models -------------------------------------------------------------------------------


def _several_names(s: SeveralSummary) -> dict[str, str]:
    return {m.key: m.name for m in s.models}


def _against(p: PairingResult, names: dict[str, str]) -> str:
    """One model against the baseline: its preference with the interval and the adjusted p."""
    pref, test = p.summary.preference, p.summary.sign_test
    shown = ""
    if pref.estimate is not None and pref.ci_low is not None and pref.ci_high is not None:
        shown = interval_text(pref.estimate, pref.ci_low, pref.ci_high, test.significant, level=pref.level)
    adjusted = "" if p.pvalue_holm is None else f", Holm-adjusted p {fmt_p(p.pvalue_holm)}"
    return f"{names[p.candidate]} {shown} preferred{adjusted}"


def _standing(p: PairingResult) -> str:
    """better / worse / unclear, by the Holm-adjusted decision and the sign of the net win rate."""
    net = p.summary.net_win_rate.estimate
    if not p.significant_holm or net is None or net == 0:
        return "unclear"
    return "better" if net > 0 else "worse"


def _is(names: list[str]) -> str:
    return "is" if len(names) == 1 else "are"


def _listing(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def several_lead(s: SeveralSummary) -> str:
    """The answer first: which models are worse than the baseline, which better, which unclear."""
    return " ".join(_lead_sentences(s))


def _lead_sentences(s: SeveralSummary) -> list[str]:
    names = _several_names(s)
    base = names[s.baseline]
    vs = [p for p in s.pairings if p.vs_baseline]
    if not vs:
        return [f"No model was compared with the baseline {base}."]
    groups = {k: [p for p in vs if _standing(p) == k] for k in ("worse", "better", "unclear")}
    family = f"corrected for comparing {len(vs)} models with it (Holm)" if len(vs) > 1 else ""
    said = []
    for kind, group in groups.items():
        if not group:
            continue
        who = [names[p.candidate] for p in group]
        head = {
            "worse": ("Every model is" if len(who) == len(vs) > 1 else f"{_listing(who)} {_is(who)}")
            + f" WORSE than the baseline {base}",
            "better": f"{_listing(who)} {'beats' if len(who) == 1 else 'beat'} {base}",
            "unclear": f"No clear difference from {base} for {_listing(who)}",
        }[kind]
        said.append(f"{head}: " + "; ".join(_against(p, names) for p in group) + ".")
    if family:
        said.append(f"Decisions at alpha = {s.alpha:g}, {family}.")
    return said


def rank_text(r: Rating) -> str:
    """A rank with its uncertainty: "2" when the intervals settle it, "1-3" when they do not."""
    return str(r.rank_best) if r.rank_best == r.rank_worst else f"{r.rank_best}\u2013{r.rank_worst}"


def ranking_sentence(s: SeveralSummary) -> str:
    """The order with its uncertainty, or why there is none."""
    if not s.ratings:
        return f"No ranking: {s.ratings_note}." if s.ratings_note else ""
    names = _several_names(s)
    order = ", ".join(f"{names[r.model]} (rank {rank_text(r)})" for r in s.ratings)
    settled = all(r.rank_best == r.rank_worst for r in s.ratings)
    tail = (
        "the intervals settle every rank" if settled else "a range means the intervals cannot settle the rank"
    )
    return f"Ranking by Bradley-Terry rating, best first: {order}; {tail}."


def checkpoint_sentence(s: SeveralSummary) -> str:
    """The best training step and how sure we are."""
    c = s.checkpoints
    if c is None:
        return ""
    sure = "" if c.p_best is None else f" (probability it is the best: {pct(c.p_best)})"
    others = [x for x in c.not_distinguishable if x != c.best_step]
    word = "step" if len(others) == 1 else "steps"
    apart = (
        f"; {word} {', '.join(map(str, others))} cannot be told from it (simultaneous intervals)"
        if others
        else "; the intervals set it apart from every other step"
    )
    return f"Best checkpoint: step {c.best_step}{sure}{apart}."


def several_truth_sentence(s: SeveralSummary) -> str:
    """Execution-verified accuracy per model, most accurate first (or "")."""
    if not s.verified:
        return ""
    names = _several_names(s)
    shown = "; ".join(f"{names[v.model]} {rate_text(v.accuracy)}" for v in s.verified)
    return f"Execution-verified accuracy, regardless of any judge: {shown}."


def several_trust_sentence(s: SeveralSummary) -> str:
    """The judge over the whole design: the worst plain verdict and judge vs truth pooled (or "")."""
    t = s.judge_trust
    if t is None:
        return ""
    said = []
    for verdict in ("not trustworthy here", "use with care"):
        where = [name for name, v in t.verdicts.items() if v == verdict]
        if where:
            which = "every pairing" if len(where) == len(t.verdicts) else ", ".join(where)
            said.append(
                f"The judge is {verdict.upper()} in {which} (each pairing's report gives the numbers)"
            )
            break
    if not said and t.verdicts and all(v == "reliable here" for v in t.verdicts.values()):
        said.append("The judge looks reliable in every pairing")
    p = t.picked_correct
    if p is not None and p.n:
        seen = " (it was shown the execution evidence)" if t.judge_saw_evidence else ""
        said.append(
            f"where exactly one side was verified correct it picked that side in {rate_text(p)}{seen}"
        )
    return "; ".join(said) + "." if said else ""


def several_conclusion(s: SeveralSummary) -> str:
    """A several-models run's answer in words: the verdict against the baseline first, what execution
    and the judge's own measurements say about it, then the order."""
    truth = " ".join(x for x in (several_truth_sentence(s), several_trust_sentence(s)) if x)
    parts = [several_lead(s), truth, ranking_sentence(s), checkpoint_sentence(s)]
    if s.run is not None and not s.run.complete:
        parts.insert(0, f"This run is not finished: {s.run.failure}. {s.run.next_step or ''}".strip())
    return "\n\n".join(p for p in parts if p)


# --- several models: the reports' words (leaderboard, matrix, curve, links) ----------------------


def several_title(s: SeveralSummary) -> str:
    """The report's title: how many models against which baseline."""
    design = "every pair judged" if s.design == "all-pairs" else "each judged against it"
    return f"{len(s.models)} models against the baseline {_several_names(s)[s.baseline]} ({design})"


def several_models_text(s: SeveralSummary) -> str:
    """The run in a few words, for lists of runs: "4 models, baseline base"."""
    return f"{len(s.models)} models, baseline {_several_names(s)[s.baseline]}"


def several_loses(s: SeveralSummary) -> bool:
    """Whether some model is significantly worse than the baseline (after the Holm correction)."""
    return any(_standing(p) == "worse" for p in s.pairings if p.vs_baseline)


def signed(x: float | None, digits: int = 2) -> str:
    """A rating (log-strength) with its sign: "+0.47", "-1.20", or "n/a"."""
    return "n/a" if x is None else f"{round(x, digits) + 0.0:+.{digits}f}"  # + 0.0: never "-0.00"


def rating_text(r: Rating) -> str:
    """A rating with its interval and standard error: "+0.47 (95 % CI +0.10 to +0.82; SE 0.18)"."""
    return rating_values_text(r.rating, r.ci_low, r.ci_high, r.se)


def rating_values_text(rating: float, low: float | None, high: float | None, se: float | None = None) -> str:
    """:func:`rating_text` from the numbers alone (a checkpoint's point carries no Rating)."""
    parts = []
    if low is not None and high is not None:
        parts.append(f"95 % CI {signed(low)} to {signed(high)}")
    if se is not None:
        parts.append(f"SE {se:.2f}")
    return signed(rating) + (f" ({'; '.join(parts)})" if parts else "")


def p_best_text(p: float | None) -> str:
    """The chance of being best, or "n/a" while it is not computed."""
    return pct(p)


def preference_text(p: PairingResult) -> str:
    """A model's preference against its pairing's other model, with the pairing's own interval."""
    pref, test = p.summary.preference, p.summary.sign_test
    if pref.estimate is None or pref.ci_low is None or pref.ci_high is None:
        return "no verdicts"
    sig = test.significant if test.pvalue is not None else None
    return interval_text(pref.estimate, pref.ci_low, pref.ci_high, sig, level=pref.level)


def decision_text(p: PairingResult, alpha: float) -> str:
    """The Holm-adjusted decision against the baseline, in a few words with the adjusted p."""
    from judge.reporting.words import fmt_p  # words builds on this module

    if not p.vs_baseline:
        test = p.summary.sign_test
        own = "" if test.pvalue is None else f": p {fmt_p(test.pvalue)}, uncorrected"
        return f"not in the correction (the baseline is not in this pairing){own}"
    words = {"worse": "WORSE", "better": "better", "unclear": "no clear difference"}[_standing(p)]
    if p.pvalue_holm is None:
        return f"{words} (no decisive verdict to test)"
    return f"{words} (Holm-adjusted p {fmt_p(p.pvalue_holm)}, alpha = {alpha:g})"


def leaderboard_caption(s: SeveralSummary) -> str:
    """What the leaderboard's columns mean."""
    base = _several_names(s)[s.baseline]
    vs = sum(p.vs_baseline for p in s.pairings)
    return (
        "Rank: 1 is best; a range means the intervals allow any rank in it. Rating: Bradley-Terry "
        "log-strength, mean 0 (a difference of 1 means odds of e to 1 that the judge prefers the higher). "
        f"Against {base}: the share of comparisons the model was preferred in, (wins + ties/2) / "
        f"comparisons, with that pairing's own 95 % interval; the decision is corrected for comparing {vs} "
        f"model{'s' if vs != 1 else ''} with {base} (Holm). {s.ratings_method}."
    )


def ratings_chart_title(s: SeveralSummary) -> str:
    """The ratings chart's title."""
    return "Bradley-Terry ratings with 95 % intervals (log-strength, mean 0), best first"


def matrix_caption() -> str:
    """The unit of the win-rate matrix."""
    return (
        "Each cell: the share of comparisons in which the row model was preferred over the column model, "
        "(wins + ties/2) / comparisons, with the number of comparisons. Green: the row model preferred; "
        "red: the column model preferred; grey: near 50 %; a dot: the pair was not compared."
    )


def checkpoint_caption(s: SeveralSummary) -> str:
    """What the checkpoint curve shows."""
    base = _several_names(s)[s.baseline]
    return (
        f"Preference of each checkpoint against the baseline {base} by training step, with 95 % intervals; "
        "the dashed line at 50 % is no difference. The best step (highest rating) is marked."
    )


def checkpoint_chart_title(s: SeveralSummary) -> str:
    """The checkpoint chart's title."""
    c = s.checkpoints
    best = "" if c is None else f"; best: step {c.best_step}"
    return f"Preference against {_several_names(s)[s.baseline]} by training step{best}"


def category_caption(s: SeveralSummary) -> str:
    """What the per-category ranking shows."""
    return (
        "Rank of each model within each prompt category (1 is best; a range means the intervals cannot "
        "settle it), with its rating; fitted on that category's comparisons alone."
    )


def pairings_caption(s: SeveralSummary) -> str:
    """What the pairings list holds."""
    return (
        f"Each pairing is a complete two-model run with its own report and audit; {len(s.pairings)} "
        f"pairing{'s' if len(s.pairings) != 1 else ''} in this run."
    )


def pairing_answer(p: PairingResult) -> str:
    """One pairing's one-line answer."""
    return short_decision(p.summary)


def audit_caption(s: SeveralSummary) -> str:
    """How to read the comparisons behind the numbers, model by model."""
    return (
        "Every comparison is in its pairing's audit (report.html#audit), blind until you reveal it; "
        "`judge audit RUN_DIR --model NAME` lists those of every pairing with that model in the terminal."
    )


def several_headline(s: SeveralSummary) -> str:
    """One line for lists of runs: the first sentence of the answer (the models worse than the
    baseline when there are any)."""
    return _lead_sentences(s)[0]


__all__ += [
    "audit_caption",
    "category_caption",
    "checkpoint_caption",
    "checkpoint_chart_title",
    "decision_text",
    "leaderboard_caption",
    "matrix_caption",
    "p_best_text",
    "pairing_answer",
    "pairings_caption",
    "preference_text",
    "rating_text",
    "rating_values_text",
    "ratings_chart_title",
    "several_headline",
    "several_loses",
    "several_models_text",
    "several_title",
    "signed",
]
