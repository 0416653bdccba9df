"""The answer in words: what the numbers show, and what they do not.

Rules: the direction is reported only with its uncertainty; "significant" is said only when
the sign test rejects at alpha; a fine-tune that loses is told so first and plainly; failed
pairs are named and said not to count as losses; a non-significant result gives the number
of pairs that would give the target power.
"""

from __future__ import annotations

from typing import Any

from judge.summary import Counts, Estimate, PositionBias, SignTest

__all__ = ["conclusion", "pct"]


def pct(x: float | None) -> str:
    """A proportion as a percentage for people ("55 %"), or "n/a"."""
    return "n/a" if x is None else f"{100 * x:.0f} %"


def _tally(c: Counts) -> str:
    return f"won {c.win}, lost {c.loss} and tied {c.tie} of {c.n} pairs"


def _preference(p: Estimate) -> str:
    if p.estimate is None:
        return ""
    ci = f", {100 * p.level:.0f} % CI {pct(p.ci_low)} to {pct(p.ci_high)}" if p.ci_low is not None else ""
    return f" (preference {pct(p.estimate)}{ci})"


def _power(s: SignTest) -> str:
    if s.pairs_for_power is None:
        return " The observed split shows no direction, so no sample size would make it significant."
    return (
        f" About {s.pairs_for_power} pairs would be needed for {100 * s.power_target:.0f} % power "
        f"at the observed split."
    )


def _share(part: dict[str, Any]) -> str:
    ci = part.get("ci") or [None, None]
    return f"{part['k']}/{part['n']} ({pct(part.get('share'))}, 95 % CI {pct(ci[0])} to {pct(ci[1])})"


def _position_note(bias: PositionBias | None) -> str:
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


def judge_caveats(position_bias: PositionBias | None, extras: dict[str, Any]) -> str:
    """What the run says about the judge itself: position bias, agreement with verified truth."""
    notes = []
    position = _position_note(position_bias)
    if position:
        notes.append(position)
    checks = extras.get("checks", {})
    truth, accuracy = checks.get("judge_vs_truth"), checks.get("accuracy")
    if accuracy and "finetuned" in accuracy and "base" in accuracy:
        p = accuracy.get("mcnemar", {}).get("pvalue")
        mc = f"; McNemar p = {p:.3g}" if p is not None else ""
        notes.append(
            f"Execution-verified accuracy: fine-tuned {_share(accuracy['finetuned'])}, "
            f"base {_share(accuracy['base'])}{mc}."
        )
    if truth and truth.get("n"):
        ci = truth.get("ci") or [0.0, 1.0]
        ties = f", {truth['ties']} of them ties" if truth.get("ties") else ""
        chance = (
            "it never chose between them"
            if truth.get("ties", 0) >= truth["n"]
            else "worse than a coin flip"
            if ci[1] < 0.5
            else "better than chance"
            if ci[0] > 0.5
            else "not distinguishable from a coin flip"
        )
        notes.append(
            f"Where exactly one answer was verified correct, the judge picked it in "
            f"{_share(truth)}{ties} — {chance}."
        )
    return " ".join(notes)


def conclusion(counts: Counts, preference: Estimate, sign: SignTest, models: dict[str, str]) -> str:
    """One paragraph answering "does the fine-tune beat its base?" for this run."""
    ft, base = models.get("finetuned", "the fine-tuned model"), models.get("base", "the base model")
    if counts.n == 0:
        text = "No pair got a verdict, so nothing can be concluded."
    elif sign.pvalue is None:
        text = f"Every judged pair was a tie ({counts.tie} of {counts.n}): no difference was seen."
    else:
        p = f"two-sided sign test p = {sign.pvalue:.3g}"
        if sign.significant and counts.loss > counts.win:
            text = (
                f"{ft} is WORSE than its base {base}: it {_tally(counts)}{_preference(preference)}; "
                f"{p}, significant at alpha = {sign.alpha}. The fine-tune should not replace the base "
                f"on this evidence."
            )
        elif sign.significant:
            text = (
                f"{ft} beats its base {base}: it {_tally(counts)}{_preference(preference)}; "
                f"{p}, significant at alpha = {sign.alpha}."
            )
        else:
            lean = (
                "leans towards the fine-tune"
                if counts.win > counts.loss
                else "leans towards the base"
                if counts.loss > counts.win
                else "shows no lean"
            )
            text = (
                f"Not significant: {ft} {_tally(counts)}{_preference(preference)}; {p} "
                f"(alpha = {sign.alpha}). The result {lean}, but this is direction, not evidence: "
                f"the data are consistent with no difference.{_power(sign)}"
            )
    if counts.failed:
        text += (
            f" {counts.failed} pair(s) got no valid verdict after retries; they are excluded, "
            f"not counted as losses."
        )
    if counts.decided_by_check:
        text += (
            f" {counts.decided_by_check} pair(s) were decided by a check (a degenerate output), "
            "not by the judge."
        )
    return text
