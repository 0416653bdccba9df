"""The plain verdict on the judge: "reliable here", "use with care", "not trustworthy here".

Thresholds (each figure is measured on the run's own verdicts; published anchors in brackets):

- **Position**: label A's share of decisive verdicts. Use with care when its 95 % interval excludes
  50 %; not trustworthy when the judge gives one label 80 % of its decisive verdicts or more
  (interval excluding 50 %). With both orders, swap consistency (the verdict survives swapping
  A and B): use with care below 65 %, not trustworthy below 50 % [MT-Bench: GPT-4 65 %, GPT-3.5
  46 %, Claude-v1 24 %].
- **Slot in the batch**: chi-square test of the label (A/B/tie) against the comparison's slot
  (1-5) in its call. Use with care when p < 0.01.
- **Length**: share of decisive verdicts (unequal lengths) won by the longer output. Use with
  care when its whole 95 % interval lies above 64 % [humans 64 %; judges 51-79 % in AlpacaEval's
  evaluator table]. The length-controlled preference is shown beside the raw one.
- **Self-consistency** (re-judged in new batches): flip rate = 1 - agreement. Use with care above
  13.6 %, not trustworthy above 25 % [13.6 % of verdicts flipped on identical reruns, GPT-4o-mini
  class judges, 2026].
- **Batched vs single** (re-judged one per call): disagreement with the batched verdicts, same
  thresholds as self-consistency (batching should flip no more than a rerun does).
- **Rationale vs verdict**: use with care when more than 20 % of the decisive verdicts have a
  criteria majority naming the other side; not trustworthy above 50 % (its winners and its own
  reasons disagree more often than not).
- **Judge vs truth** (where execution verified exactly one side): not trustworthy when the judge
  never chose between them or its 95 % interval lies below 50 % (worse than a coin); use with care
  when the interval includes 50 %.

"Not trustworthy here" if any figure crosses a "not trustworthy" line; "use with care" if any
crosses a "care" line; otherwise "reliable here" — which says only that the figures measured were
within these lines, and lists which ones were measured.
"""

from __future__ import annotations

from judge.summary import JudgeReliability, Rate, ReliabilityVerdict

__all__ = ["CARE_FLIP", "HUMAN_LONGER", "SEVERE_FLIP", "reliability_verdict"]

CARE_FLIP, SEVERE_FLIP = 0.136, 0.25
HUMAN_LONGER = 0.64
CARE_CONSISTENCY, SEVERE_CONSISTENCY = 0.65, 0.50
SEVERE_ONE_LABEL = 0.80
SLOT_P = 0.01
RATIONALE_SHARE, SEVERE_RATIONALE = 0.20, 0.50


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f} %"


def _excludes_half(r: Rate) -> bool:
    return r.ci_low is not None and r.ci_high is not None and not r.ci_low <= 0.5 <= r.ci_high


def _position(j: JudgeReliability, severe: list[str], care: list[str]) -> None:
    if j.position is None:
        return
    a = j.position.share_a
    if a.estimate is not None and _excludes_half(a):
        one = max(a.estimate, 1 - a.estimate)
        label = "A" if a.estimate > 0.5 else "B"
        text = f"chose label {label} in {_pct(one)} of {a.n} decisive verdicts"
        (severe if one >= SEVERE_ONE_LABEL else care).append(text)
    c = j.position.consistency
    if c is not None and c.n and c.estimate is not None and c.estimate < CARE_CONSISTENCY:
        text = f"kept its verdict after swapping A and B in {_pct(c.estimate)} of {c.n} pairs (GPT-4: 65 %)"
        (severe if c.estimate < SEVERE_CONSISTENCY else care).append(text)


def _flips(name: str, agreement_rate: Rate | None, severe: list[str], care: list[str]) -> None:
    if agreement_rate is None or agreement_rate.estimate is None or not agreement_rate.n:
        return
    flip = 1 - agreement_rate.estimate
    if flip > CARE_FLIP:
        text = f"changed {_pct(flip)} of {agreement_rate.n} verdicts when {name} (reruns: 13.6 %)"
        (severe if flip > SEVERE_FLIP else care).append(text)


def _truth(j: JudgeReliability, severe: list[str], care: list[str]) -> None:
    t = j.truth
    if t is None or not t.picked_correct.n:
        return
    r = t.picked_correct
    text = f"picked the verified-correct side in {r.k} of {r.n} pairs"
    if t.ties >= r.n or (r.ci_high is not None and r.ci_high < 0.5):
        severe.append(text + (" (all ties)" if t.ties >= r.n else " (worse than a coin)"))
    elif r.ci_low is not None and r.ci_low <= 0.5:
        care.append(text + " (not distinguishable from a coin flip)")


def _others(j: JudgeReliability, severe: list[str], care: list[str]) -> None:
    if j.slots is not None and j.slots.pvalue is not None and j.slots.pvalue < SLOT_P:
        care.append(
            f"gave verdicts that depend on the comparison's slot in the batch (p = {j.slots.pvalue:.2g})"
        )
    longer = j.length.prefers_longer if j.length is not None else None
    if longer is not None and longer.ci_low is not None and longer.ci_low > HUMAN_LONGER:
        care.append(
            f"preferred the longer output in {_pct(longer.estimate)} of {longer.n} verdicts (humans: 64 %)"
        )
    r = j.rationale
    if r is not None and r.checked and r.contradicting / r.checked > RATIONALE_SHARE:
        text = f"contradicted its own criteria majority in {r.contradicting} of {r.checked} verdicts"
        # more often than not: its winner and its own reasons disagree, so neither can be read
        (severe if r.contradicting / r.checked > SEVERE_RATIONALE else care).append(text)


def reliability_verdict(j: JudgeReliability) -> tuple[ReliabilityVerdict, list[str]]:
    """The plain verdict and the findings that drove it (see the module docstring for the lines)."""
    severe: list[str] = []
    care: list[str] = []
    _position(j, severe, care)
    _flips("re-judged in new batches", j.self_consistency.agree if j.self_consistency else None, severe, care)
    _flips(
        "judged one per call instead of in batches",
        j.batched_vs_single.agree if j.batched_vs_single else None,
        severe,
        care,
    )
    _truth(j, severe, care)
    _others(j, severe, care)
    measured = [name for name, part in (("position", j.position), ("slot", j.slots), ("length", j.length),
                ("self-consistency", j.self_consistency), ("batched vs single", j.batched_vs_single),
                ("rationale", j.rationale), ("truth", j.truth)) if part is not None]  # fmt: skip
    if not measured:
        return "not measured", []
    if severe:
        return "not trustworthy here", severe + care
    if care:
        return "use with care", care
    return "reliable here", [f"every figure measured ({', '.join(measured)}) is within the lines"]
