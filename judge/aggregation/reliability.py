"""Can this judge be trusted here? Its reliability, measured on the run's own verdicts.

Every figure is computed from blind verdicts (label A or B, slot in the call, lengths the judge
saw) and un-blinded only to say which side a verdict favours. The plain verdict follows the
thresholds in :func:`reliability_verdict`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

from judge import stats
from judge.aggregation.thresholds import reliability_verdict
from judge.judging.resample import Rejudged
from judge.records import BlindKey, BlindPair, Judgment, Role, Winner
from judge.summary import (
    Agreement,
    Estimate,
    JudgeReliability,
    LengthBias,
    PositionBias,
    Rate,
    RationaleCheck,
    SlotEffect,
    SlotShare,
    TruthCheck,
)

__all__ = [
    "JudgedPair",
    "agreement",
    "criteria_contradict",
    "criteria_majority",
    "judge_reliability",
    "judged_pairs",
    "length_bias",
    "rationale_check",
    "slot_effect",
]


@dataclass(frozen=True)
class JudgedPair:
    """One ok verdict as the judge gave it: blind label, slot in its call, lengths it saw."""

    pair_id: str
    item_id: str
    round: int
    slot: int  # 1 = first comparison of its judge call
    call_size: int
    winner: Winner
    a_role: Role
    len_a: int
    len_b: int
    criteria: Mapping[str, Winner] = field(default_factory=dict)

    @property
    def result(self) -> str:
        """win / tie / loss from the fine-tune's side."""
        if self.winner == "tie":
            return "tie"
        return "win" if (self.winner == "A") == (self.a_role == "finetuned") else "loss"


def judged_pairs(
    groups: list[list[BlindPair]], keys: Iterable[BlindKey], judgments: Mapping[str, Judgment]
) -> list[JudgedPair]:
    """The run's ok verdicts with their slot: the rank among the pairs that share their judge call,
    in the order the pairs were sent (a re-asked pair takes its slot in the re-ask call)."""
    by_key = {k.pair_id: k for k in keys}
    order = [p for g in groups for p in g]
    calls: dict[str, list[BlindPair]] = {}
    for pair in order:
        j = judgments.get(pair.pair_id)
        if j is not None and j.status == "ok" and j.verdict is not None and j.call_id:
            calls.setdefault(j.call_id, []).append(pair)
    rows = []
    for members in calls.values():
        for slot, pair in enumerate(members, start=1):
            verdict, key = judgments[pair.pair_id].verdict, by_key[pair.pair_id]
            assert verdict is not None
            rows.append(
                JudgedPair(
                    pair.pair_id,
                    key.item_id,
                    key.round,
                    slot,
                    len(members),
                    verdict.winner,
                    key.a_role,
                    len(pair.output_a),
                    len(pair.output_b),
                    dict(verdict.criteria),
                )
            )
    return rows


def _rate(k: int, n: int, level: float = 0.95) -> Rate:
    ci = stats.proportion(k, n).confidence_interval(level=level, method="wilson")
    return Rate(k=k, n=n, estimate=k / n if n else None, ci_low=ci.low if n else None,
                ci_high=ci.high if n else None, level=level)  # fmt: skip


def _preference(results: list[str], level: float = 0.95) -> Estimate | None:
    """Fine-tune's share (ties half) with a normal interval, pairs taken as independent."""
    if not results:
        return None
    scores = np.array([{"win": 1.0, "tie": 0.5, "loss": 0.0}[r] for r in results])
    est = float(scores.mean())
    se = float(scores.std(ddof=1) / math.sqrt(len(scores))) if len(scores) > 1 else None
    z = float(sps.norm.ppf(0.5 + level / 2))
    low = None if se is None else max(0.0, est - z * se)
    high = None if se is None else min(1.0, est + z * se)
    return Estimate(estimate=est, se=se, ci_low=low, ci_high=high, level=level,
                    method="normal approximation, pairs independent")  # fmt: skip


def slot_effect(rows: list[JudgedPair], level: float = 0.95) -> SlotEffect | None:
    """Label A share and preference by slot; chi-square test of the label (A/B/tie) against the slot.

    Only calls of more than one comparison count (a single-pair call has no slot to speak of).
    """
    batched = [r for r in rows if r.call_size > 1]
    slots = sorted({r.slot for r in batched})
    if len(slots) < 2:
        return None
    shares = []
    for s in slots:
        at = [r for r in batched if r.slot == s]
        a, b = sum(r.winner == "A" for r in at), sum(r.winner == "B" for r in at)
        pref = _preference([r.result for r in at])
        shares.append(SlotShare(slot=s, n=len(at), preference=pref.estimate if pref else None,
                                share_a=_rate(a, a + b, level)))  # fmt: skip
    table = np.array([[sum(r.winner == w for r in batched if r.slot == s) for w in ("A", "B", "tie")]
                      for s in slots], dtype=float)  # fmt: skip
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    statistic = pvalue = None
    if table.shape[0] > 1 and table.shape[1] > 1:
        test = sps.chi2_contingency(table)
        statistic, pvalue = float(test.statistic), float(test.pvalue)
    first = [r for r in batched if r.slot == 1 and r.winner != "tie"]
    rest = [r for r in batched if r.slot > 1 and r.winner != "tie"]
    gap = None
    if first and rest:
        gap = sum(r.winner == "A" for r in first) / len(first) - sum(r.winner == "A" for r in rest) / len(
            rest
        )
    return SlotEffect(slots=shares, statistic=statistic, pvalue=pvalue, first_vs_rest=gap)


def _logistic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Maximum-likelihood logistic regression (Newton); (coefficients, standard errors) or None."""
    design = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(design @ beta, -30, 30)))
        info = design.T @ (design * (p * (1 - p))[:, None])
        try:
            step = np.linalg.solve(info, design.T @ (y - p))
        except np.linalg.LinAlgError:
            return None
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 30:  # separation: no finite fit
        return None
    p = 1 / (1 + np.exp(-np.clip(design @ beta, -30, 30)))
    cov = np.linalg.pinv(design.T @ (design * (p * (1 - p))[:, None]))
    return beta, np.sqrt(np.diag(cov))


def _expit(v: float) -> float:
    return float(1 / (1 + math.exp(-v)))


def length_bias(rows: list[JudgedPair], level: float = 0.95) -> LengthBias | None:
    """How often the longer output won, and the fine-tune's preference at equal length.

    The length-controlled preference is a logistic regression, on this run's decisive verdicts
    alone, of "the fine-tune won" on log(len fine-tune / len base); its intercept is the preference
    at zero length difference. Verdicts are taken as independent (both orders count twice).
    """
    decisive = [r for r in rows if r.winner != "tie"]
    unequal = [r for r in decisive if r.len_a != r.len_b]
    if not decisive:
        return None
    longer = sum((r.len_a > r.len_b) == (r.winner == "A") for r in unequal)
    y = np.array([r.result == "win" for r in decisive], dtype=float)
    ratio = [
        math.log(
            (max(r.len_a, 1) if r.a_role == "finetuned" else max(r.len_b, 1))
            / (max(r.len_b, 1) if r.a_role == "finetuned" else max(r.len_a, 1))
        )
        for r in decisive
    ]
    fit = (
        _logistic(np.array(ratio), y)
        if len(decisive) >= 10 and np.ptp(ratio) > 0 and 0 < y.sum() < len(y)
        else None
    )
    controlled = slope = slope_p = None
    if fit is not None:
        (b0, b1), (se0, se1) = fit
        z = float(sps.norm.ppf(0.5 + level / 2))
        controlled = Estimate(estimate=_expit(b0), se=float(se0), ci_low=_expit(b0 - z * se0),
                              ci_high=_expit(b0 + z * se0), level=level,
                              method="logistic regression on log length ratio, at equal length")  # fmt: skip
        slope, slope_p = float(b1), float(2 * sps.norm.sf(abs(b1 / se1))) if se1 > 0 else None
    return LengthBias(prefers_longer=_rate(longer, len(unequal), level), slope=slope, slope_pvalue=slope_p,
                      raw_preference=float(y.mean()), length_controlled=controlled)  # fmt: skip


def criteria_majority(winner: Winner | None, criteria: Mapping[str, Winner]) -> Winner | None:
    """The label a strict majority of the decisive criteria names, for a decisive verdict (else None)."""
    tally = Counter(w for w in criteria.values() if w != "tie")
    if winner in (None, "tie") or tally["A"] == tally["B"]:
        return None
    return "A" if tally["A"] > tally["B"] else "B"


def criteria_contradict(winner: Winner | None, criteria: Mapping[str, Winner]) -> bool:
    """True when the verdict's own criteria majority names the other side than its winner."""
    majority = criteria_majority(winner, criteria)
    return majority is not None and majority != winner


def rationale_check(rows: list[JudgedPair]) -> RationaleCheck | None:
    """Decisive verdicts whose per-criterion majority (strict) names the other label."""
    checked, against = 0, []
    for r in rows:
        if criteria_majority(r.winner, r.criteria) is None:
            continue
        checked += 1
        if criteria_contradict(r.winner, r.criteria):
            against.append(r.pair_id)
    return RationaleCheck(checked=checked, contradicting=len(against), pair_ids=against) if checked else None


def agreement(
    rows: list[JudgedPair], again: Rejudged, keys: Iterable[BlindKey], level: float = 0.95
) -> Agreement | None:
    """Agreement and Cohen's kappa (A/B/tie) between the run's verdicts and the re-judged ones."""
    first = {r.pair_id: r for r in rows}
    roles = {k.pair_id: k.a_role for k in keys}
    both = [(first[p], j.verdict.winner) for p, j in sorted(again.judgments.items())
            if j.status == "ok" and j.verdict is not None and p in first]  # fmt: skip
    if not both:
        return None
    one, two = [r.winner for r, _ in both], [w for _, w in both]
    kappa = stats.cohen_kappa(one, two) if len(both) > 1 else float("nan")
    redone = [JudgedPair(r.pair_id, r.item_id, r.round, 1, 1, w, roles[r.pair_id], 0, 0) for r, w in both]
    return Agreement(
        n=len(both), agree=_rate(sum(a == b for a, b in zip(one, two, strict=True)), len(both), level),
        kappa=None if math.isnan(kappa) else float(kappa),
        first=_preference([r.result for r, _ in both], level),
        second=_preference([r.result for r in redone], level), calls=again.calls,
        prompt_tokens=again.prompt_tokens, completion_tokens=again.completion_tokens,
    )  # fmt: skip


def judge_reliability(
    rows: list[JudgedPair],
    position: PositionBias | None,
    truth: TruthCheck | None = None,
    self_consistency: Agreement | None = None,
    batched_vs_single: Agreement | None = None,
    level: float = 0.95,
) -> JudgeReliability:
    """Every reliability figure this run allows, and the plain verdict they lead to.

    ``reasons`` is left empty: :func:`judge.aggregation.aggregate.summarize` has the narrator word
    the lines crossed (:func:`judge.reporting.narrator.reliability_reasons`).
    """
    found = JudgeReliability(
        verdict="not measured", position=position, slots=slot_effect(rows, level),
        length=length_bias(rows, level), self_consistency=self_consistency,
        batched_vs_single=batched_vs_single, rationale=rationale_check(rows), truth=truth,
    )  # fmt: skip
    verdict, _ = reliability_verdict(found)
    return found.model_copy(update={"verdict": verdict})
