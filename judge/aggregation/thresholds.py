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
within these lines, and lists which ones were measured. The findings are returned as typed
:class:`Crossing` values; the narrator puts them into words.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from judge.summary import JudgeReliability, Rate, ReliabilityVerdict

__all__ = ["CARE_FLIP", "HUMAN_LONGER", "SEVERE_FLIP", "Crossing", "Line", "measured", "reliability_verdict"]

CARE_FLIP, SEVERE_FLIP = 0.136, 0.25
HUMAN_LONGER = 0.64
CARE_CONSISTENCY, SEVERE_CONSISTENCY = 0.65, 0.50
SEVERE_ONE_LABEL = 0.80
SLOT_P = 0.01
RATIONALE_SHARE, SEVERE_RATIONALE = 0.20, 0.50

Line = Literal["label", "swap", "rejudged", "single", "truth", "slot", "longer", "rationale"]
"""The figures with a line to cross (the module docstring gives each line)."""


class Crossing(NamedTuple):
    """One figure past its line: which, and whether past the "not trustworthy" one. Worded by
    :func:`judge.reporting.narrator.reliability_reasons` from the figure's own numbers."""

    line: Line
    severe: bool


def _excludes_half(r: Rate) -> bool:
    return r.ci_low is not None and r.ci_high is not None and not r.ci_low <= 0.5 <= r.ci_high


def _position(j: JudgeReliability) -> list[Crossing]:
    if j.position is None:
        return []
    found = []
    a = j.position.share_a
    if a.estimate is not None and _excludes_half(a):
        found.append(Crossing("label", max(a.estimate, 1 - a.estimate) >= SEVERE_ONE_LABEL))
    c = j.position.consistency
    if c is not None and c.n and c.estimate is not None and c.estimate < CARE_CONSISTENCY:
        found.append(Crossing("swap", c.estimate < SEVERE_CONSISTENCY))
    return found


def _flips(line: Line, agreement_rate: Rate | None) -> list[Crossing]:
    if agreement_rate is None or agreement_rate.estimate is None or not agreement_rate.n:
        return []
    flip = 1 - agreement_rate.estimate
    return [Crossing(line, flip > SEVERE_FLIP)] if flip > CARE_FLIP else []


def _truth(j: JudgeReliability) -> list[Crossing]:
    t = j.truth
    if t is None or not t.picked_correct.n:
        return []
    r = t.picked_correct
    if t.ties >= r.n or (r.ci_high is not None and r.ci_high < 0.5):
        return [Crossing("truth", True)]
    if r.ci_low is not None and r.ci_low <= 0.5:
        return [Crossing("truth", False)]
    return []


def _others(j: JudgeReliability) -> list[Crossing]:
    found = []
    if j.slots is not None and j.slots.pvalue is not None and j.slots.pvalue < SLOT_P:
        found.append(Crossing("slot", False))
    longer = j.length.prefers_longer if j.length is not None else None
    if longer is not None and longer.ci_low is not None and longer.ci_low > HUMAN_LONGER:
        found.append(Crossing("longer", False))
    r = j.rationale
    if r is not None and r.checked and r.contradicting / r.checked > RATIONALE_SHARE:
        # more often than not: its winner and its own reasons disagree, so neither can be read
        found.append(Crossing("rationale", r.contradicting / r.checked > SEVERE_RATIONALE))
    return found


def measured(j: JudgeReliability) -> list[str]:
    """The figures this run measured, by name."""
    return [name for name, part in (("position", j.position), ("slot", j.slots), ("length", j.length),
            ("self-consistency", j.self_consistency), ("batched vs single", j.batched_vs_single),
            ("rationale", j.rationale), ("truth", j.truth)) if part is not None]  # fmt: skip


def reliability_verdict(j: JudgeReliability) -> tuple[ReliabilityVerdict, list[Crossing]]:
    """The plain verdict and the lines crossed, in the order checked (see the module docstring)."""
    crossings = [
        *_position(j),
        *_flips("rejudged", j.self_consistency.agree if j.self_consistency else None),
        *_flips("single", j.batched_vs_single.agree if j.batched_vs_single else None),
        *_truth(j),
        *_others(j),
    ]
    if not measured(j):
        return "not measured", []
    if any(c.severe for c in crossings):
        return "not trustworthy here", crossings
    return ("use with care" if crossings else "reliable here"), crossings
