"""The answer in words: what the numbers show, and what they do not. The one narrator.

Rules: the direction is reported only with its interval; "significant" is said only when the
decision rejects, and then the printed interval excludes 50 % (they come from one procedure;
numbers are printed with enough digits that the rounding never hides it); the effect is read
against the user's margin (negligible, equivalent, non-inferior); a fine-tune that loses is told
so first and plainly; failed pairs are named, bounded and said not to count as losses; power is
planned for the margin, never from a handful of verdicts; an imported file's second model is a
"reference", not "its base". Every sentence here is built from a Summary's numbers only.
"""

from __future__ import annotations

from judge.reporting.narrator_judge import (
    accuracy_sentence,
    reliability_details,
    reliability_sentence,
    truth_sentence,
)
from judge.summary import Effect, FailedBound, PositionBias, Power, SignTest, Summary
from judge.summary_several import PairingResult, Rating, SeveralSummary

__all__ = [
    "accuracy_sentence",
    "bounds_sentence",
    "checkpoint_sentence",
    "conclusion",
    "decimals",
    "effect_sentence",
    "interval_text",
    "judge_caveats",
    "lead",
    "other_name",
    "pct",
    "plan_sentence",
    "position_note",
    "power_sentence",
    "rank_text",
    "ranking_sentence",
    "reliability_details",
    "reliability_sentence",
    "several_conclusion",
    "several_lead",
    "short_decision",
    "truth_sentence",
]


def pct(x: float | None) -> str:
    """A proportion as a percentage for people ("55 %"), or "n/a"."""
    return "n/a" if x is None else f"{100 * x:.0f} %"


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


def interval_text(est: float, low: float, high: float, significant: bool | None, null: float = 0.5) -> str:
    """ "62 %, 95 % CI 51 % to 72 %" with as many decimals as the decision needs to read right."""
    d = decimals(low, high, significant, null)
    f = f"{{:.{d}f}} %"
    return f"{f.format(100 * est)}, 95 % CI {f.format(100 * low)} to {f.format(100 * high)}"


def _points(x: float) -> str:
    """A net win rate in percentage points ("4.2 points")."""
    return f"{100 * x:.1f} points" if abs(x) < 0.1 else f"{100 * x:.0f} points"


def other_name(s: Summary) -> str:
    """How the second model is named: "its base X" for a run, "the reference X" for a file."""
    base = s.models.get("base", "the base model")
    return {"reference": f"the reference {base}", "baseline": f"the baseline {base}", "model": base}.get(
        s.comparison, f"its base {base}"
    )


def _tally(s: Summary) -> str:
    c = s.counts
    return f"won {c.win}, lost {c.loss} and tied {c.tie} of {c.n} pairs"


def _preference(s: Summary) -> str:
    p = s.preference
    if p.estimate is None or p.ci_low is None or p.ci_high is None:
        return ""
    sig = s.sign_test.significant if s.sign_test.pvalue is not None else None
    return f" (preference {interval_text(p.estimate, p.ci_low, p.ci_high, sig)})"


def _test(st: SignTest) -> str:
    unit = (
        ""
        if st.design_effect == 1.0
        else f", design effect {st.design_effect:.2f} over {st.clusters} judge calls"
    )
    return f"two-sided sign test p = {st.pvalue:.3g}{unit}"


def effect_sentence(
    e: Effect | None, low: float | None, high: float | None, other: str, ft: str = "the fine-tune"
) -> str:
    """The interval of the net win rate read against the margin, in one sentence (or "")."""
    if e is None or low is None or high is None or e.verdict == "no_data":
        return ""
    m, span = _points(e.margin), f"net win rate {_points(low)} to {_points(high)}"
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


def power_sentence(pw: Power | None) -> str:
    """Pairs needed for the margin, or why the run is too small to plan from (or "")."""
    if pw is None:
        return ""
    if pw.pairs_needed is None:
        return pw.note or ""
    design = "" if pw.design_effect == 1.0 else f" and design effect {pw.design_effect:.2f}"
    text = (
        f"About {pw.pairs_needed:,} pairs would give {100 * pw.power:.0f} % power to detect a net win "
        f"rate of {_points(pw.effect)} (the margin), with this run's {pct(pw.tie_share)} ties{design}"
    )
    if pw.pairs_for_observed is not None:
        text += f"; the observed split would need about {pw.pairs_for_observed:,}"
    return text + "."


def _bound(b: FailedBound) -> str:
    state = "significant" if b.significant else "not significant"
    return f"net win rate {_points(b.net)} (95 % CI {_points(b.ci_low)} to {_points(b.ci_high)}), {state}"


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


def _decision(s: Summary) -> str:
    c, st = s.counts, s.sign_test
    ft, other = s.models.get("finetuned", "the fine-tuned model"), other_name(s)
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
    base = s.models.get("base", "the base model")
    lean = (
        f"leans towards {ft}"
        if c.win > c.loss
        else f"leans towards {base}"
        if c.loss > c.win
        else "shows no lean"
    )
    return (
        f"Not significant: {ft} {_tally(s)}{_preference(s)}; {p}. The result {lean}, but this is "
        "direction, not evidence: the interval includes 50 %, so the data are consistent with no difference."
    )


def conclusion(s: Summary) -> str:
    """One paragraph answering "does the fine-tune beat its base?" for this summary."""
    net = s.net_win_rate
    ft = s.models.get("finetuned", "the fine-tuned model")
    parts = [_decision(s), effect_sentence(s.effect, net.ci_low, net.ci_high, other_name(s), ft)]
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


def position_note(bias: PositionBias | None) -> str:
    if bias is None:
        return ""
    notes = []
    a = bias.share_a
    biased = a.ci_low is not None and a.ci_high is not None and not a.ci_low <= 0.5 <= a.ci_high
    if biased and a.estimate is not None and a.ci_low is not None:
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
    elif biased:
        notes.append("Judge with both_orders = true and read its verdicts with care.")
    return " ".join(notes)


def judge_caveats(s: Summary) -> str:
    """What the run says about the judge itself: position bias, agreement with verified truth."""
    v = s.verification
    parts = [position_note(s.position_bias), accuracy_sentence(v), truth_sentence(v)]
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
    ft, other = s.models.get("finetuned", "the fine-tuned model"), other_name(s)
    if c.n == 0:
        return "No pair got a verdict, so nothing can be concluded."
    if st.pvalue is None:
        return f"Every judged pair was a tie ({c.tie} of {c.n}){_preference(s)}: no difference is shown."
    effect = _preference(s).strip()
    test = f"p = {st.pvalue:.3g}"
    if st.significant and c.loss > c.win:
        return f"{ft} is WORSE than {other} {effect}, {test}."
    if st.significant:
        return f"{ft} beats {other} {effect}, {test}."
    return f"No significant difference between {ft} and {other} {effect}, {test}: the interval includes 50 %."


# --- several models -------------------------------------------------------------------------------


def _several_names(s: SeveralSummary) -> dict[str, str]:
    return {m.key: m.name for m in s.models}


def _against(p: PairingResult, names: dict[str, str]) -> str:
    """One model against the baseline: its preference with the interval and the adjusted p."""
    from judge.reporting.words import fmt_p  # words builds on this module

    pref, test = p.summary.preference, p.summary.sign_test
    shown = ""
    if pref.estimate is not None and pref.ci_low is not None and pref.ci_high is not None:
        shown = interval_text(pref.estimate, pref.ci_low, pref.ci_high, test.significant)
    adjusted = "" if p.pvalue_holm is None else f", Holm-adjusted p {fmt_p(p.pvalue_holm)}"
    return f"{names[p.candidate]} {shown} preferred{adjusted}"


def _standing(p: PairingResult) -> str:
    """better / worse / unclear, by the Holm-adjusted decision and the sign of the net win rate."""
    net = p.summary.net_win_rate.estimate
    if not p.significant_holm or net is None or net == 0:
        return "unclear"
    return "better" if net > 0 else "worse"


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
    if groups["worse"]:
        who = [names[p.candidate] for p in groups["worse"]]
        subject = (
            "Every model is"
            if len(who) == len(vs) and len(vs) > 1
            else f"{_listing(who)} {'is' if len(who) == 1 else 'are'}"
        )
        said.append(
            f"{subject} WORSE than the baseline {base}: "
            + "; ".join(_against(p, names) for p in groups["worse"])
            + "."
        )
    if groups["better"]:
        who = [names[p.candidate] for p in groups["better"]]
        said.append(
            f"{_listing(who)} {'beats' if len(who) == 1 else 'beat'} {base}: "
            + "; ".join(_against(p, names) for p in groups["better"])
            + "."
        )
    if groups["unclear"]:
        who = [names[p.candidate] for p in groups["unclear"]]
        said.append(
            f"No clear difference from {base} for {_listing(who)}: "
            + "; ".join(_against(p, names) for p in groups["unclear"])
            + "."
        )
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
    apart = (
        f"; steps {', '.join(map(str, others))} cannot be told from it"
        if others
        else "; no other step comes close"
    )
    return f"Best checkpoint: step {c.best_step}{sure}{apart}."


def several_conclusion(s: SeveralSummary) -> str:
    """A several-models run's answer in words: the verdict against the baseline first, then the order."""
    parts = [several_lead(s), ranking_sentence(s), checkpoint_sentence(s)]
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
    return interval_text(pref.estimate, pref.ci_low, pref.ci_high, sig)


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
