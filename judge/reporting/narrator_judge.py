"""The narrator's words about the judge and the checks (re-exported by :mod:`judge.reporting.narrator`).

Every sentence is built from the typed summary: ``Summary.judge_reliability`` and
``Summary.verification``. The verdict and the lines it is drawn against are in
:mod:`judge.aggregation.thresholds`.
"""

from __future__ import annotations

from judge.summary import Agreement, JudgeReliability, Rate, Verification

__all__ = ["accuracy_sentence", "reliability_details", "reliability_sentence", "truth_sentence"]


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f} %"


def _rate(r: Rate) -> str:
    return f"{r.k}/{r.n} ({_pct(r.estimate)}, 95 % CI {_pct(r.ci_low)} to {_pct(r.ci_high)})"


def accuracy_sentence(v: Verification | None) -> str:
    """Execution-verified accuracy of both models with McNemar's p (or "")."""
    if v is None or v.accuracy is None:
        return ""
    a = v.accuracy
    mc = f"; McNemar p = {a.mcnemar_pvalue:.3g}" if a.mcnemar_pvalue is not None else ""
    return f"Execution-verified accuracy: fine-tuned {_rate(a.finetuned)}, base {_rate(a.base)}{mc}."


def truth_sentence(v: Verification | None) -> str:
    """How often the judge picked the verified-correct side, and whether it saw the evidence (or "")."""
    t = v.judge_vs_truth if v is not None else None
    if t is None or not t.picked_correct.n:
        return ""
    r = t.picked_correct
    ties = f", {t.ties} of them ties" if t.ties else ""
    chance = (
        "it never chose between them" if t.ties >= r.n
        else "worse than a coin flip" if r.ci_high is not None and r.ci_high < 0.5
        else "better than chance" if r.ci_low is not None and r.ci_low > 0.5
        else "not distinguishable from a coin flip"
    )  # fmt: skip
    saw = (
        " The judge was shown the checks' evidence, so this is not an independent test of it."
        if t.judge_saw_evidence else ""
    )  # fmt: skip
    where = "Where exactly one answer was verified correct, the judge picked it in"
    return f"{where} {_rate(r)}{ties} — {chance}.{saw}"


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
        prefs = f"; preference {_pct(a.first.estimate)} before, {_pct(a.second.estimate)} after"
    return (f"{name}: {a.agree.k} of {a.n} verdicts unchanged ({_pct(a.agree.estimate)}{kappa}){prefs}; "
            f"{a.calls} extra calls.")  # fmt: skip


def reliability_details(j: JudgeReliability | None) -> list[str]:
    """One sentence per figure measured, for the report's judge section."""
    if j is None:
        return []
    out = []
    if j.position is not None and j.position.share_a.n:
        out.append(f"Position: label A won {_rate(j.position.share_a)} of the decisive verdicts.")
        c = j.position.consistency
        if c is not None and c.n:
            out.append(
                f"Swap consistency: the verdict held after swapping A and B in {_rate(c)} "
                "(GPT-4 on MT-Bench: 65 %)."
            )
    if j.slots is not None:
        shares = ", ".join(f"slot {s.slot}: {_pct(s.share_a.estimate)} A of {s.n}" for s in j.slots.slots)
        p = f"; test of no slot effect p = {j.slots.pvalue:.3g}" if j.slots.pvalue is not None else ""
        out.append(f"Slot in the batch: {shares}{p}.")
    if j.length is not None:
        lc = j.length.length_controlled
        ctl = (f"; preference at equal length {_pct(lc.estimate)} (95 % CI {_pct(lc.ci_low)} to "
               f"{_pct(lc.ci_high)}) against {_pct(j.length.raw_preference)} raw") if lc else ""  # fmt: skip
        out.append(f"Length: the longer output won {_rate(j.length.prefers_longer)} (humans: 64 %){ctl}.")
    out += [t for t in (_agreement("Re-judged in new batches", j.self_consistency),
                        _agreement("Judged one per call", j.batched_vs_single)) if t]  # fmt: skip
    if j.rationale is not None:
        out.append(f"Rationale: {j.rationale.contradicting} of {j.rationale.checked} decisive verdicts "
                   "contradict their own criteria majority (flagged in the audit).")  # fmt: skip
    return out
