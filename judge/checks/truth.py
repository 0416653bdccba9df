"""The judge measured against known truth, and the two models' verified accuracy.

On items with a verifiable answer (procedural problems, expected tool calls) each output is
right or wrong regardless of any judge. Where exactly one side is right, a trustworthy judge picks
that side; the share of such pairs where it did, with a Wilson interval, answers "can this judge
be trusted here?". A tie on such a pair counts as not picking the right side (it is reported too).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from judge.records import Outcome, Role
from judge.stats import mcnemar_exact, proportion
from judge.summary import ModelAccuracy, Rate, TruthCheck

__all__ = ["judge_vs_truth", "model_accuracy", "truth_report", "typed_accuracy", "typed_truth"]

Key = tuple[str, Role]


def _share(k: int, n: int) -> dict[str, Any]:
    result = proportion(k, n)
    ci = result.confidence_interval()
    share = None if n == 0 else k / n
    return {"k": k, "n": n, "share": share, "ci": [ci.low, ci.high], "ci_method": ci.method}


def _known(correct: Mapping[Key, bool], item_id: str) -> tuple[bool, bool] | None:
    ft, base = correct.get((item_id, "finetuned")), correct.get((item_id, "base"))
    return None if ft is None or base is None else (ft, base)


def judge_vs_truth(outcomes: Iterable[Outcome], correct: Mapping[Key, bool]) -> dict[str, Any]:
    """How often the judge picked the verified-correct side when exactly one side was correct.

    Args:
        outcomes: un-blinded outcomes; only ``judged`` ones count (a pair decided by a check or a
            failed pair says nothing about the judge).
        correct: ``(item_id, role) -> verified correct``; items missing either side are skipped.

    Returns:
        ``k`` (judge picked the correct side), ``n`` (judged pairs with exactly one side correct),
        ``share`` (None when n is 0), ``ci`` (95 % Wilson), ``ties`` among those n,
        ``both_correct``, ``neither_correct``, ``unverified`` and ``not_judged`` counts.
    """
    names = ("k", "n", "ties", "both_correct", "neither_correct", "unverified", "not_judged")
    counts = dict.fromkeys(names, 0)
    for outcome in outcomes:
        truth = _known(correct, outcome.item_id)
        if outcome.status != "judged" or outcome.result is None:
            counts["not_judged"] += 1
        elif truth is None:
            counts["unverified"] += 1
        elif truth[0] == truth[1]:
            counts["both_correct" if truth[0] else "neither_correct"] += 1
        else:
            counts["n"] += 1
            counts["ties"] += outcome.result == "tie"
            counts["k"] += outcome.result == ("win" if truth[0] else "loss")
    return {**_share(counts["k"], counts["n"]), **{k: v for k, v in counts.items() if k not in ("k", "n")}}


def model_accuracy(correct: Mapping[Key, bool]) -> dict[str, Any]:
    """Each model's verified accuracy and McNemar's exact test between them on the same items.

    Args:
        correct: ``(item_id, role) -> verified correct``. Accuracy per role uses every item that
            role has; the test uses only items verified for both.

    Returns:
        ``{"finetuned": {k, n, share, ci}, "base": {...}, "mcnemar": {"b", "c", "n_paired",
        "pvalue"}}`` where b = only the fine-tune right, c = only the base right.
    """
    out: dict[str, Any] = {}
    for role in ("finetuned", "base"):
        values = [ok for (_, r), ok in correct.items() if r == role]
        out[role] = _share(sum(values), len(values))
    paired = _paired(correct)
    b = sum(1 for ft, base in paired if ft and not base)
    c = sum(1 for ft, base in paired if base and not ft)
    out["mcnemar"] = {"b": b, "c": c, "n_paired": len(paired), "pvalue": _finite(mcnemar_exact(b, c).pvalue)}
    return out


def _finite(value: float) -> float | None:
    # JSON has no NaN: a test without discordant pairs has no p-value.
    return None if math.isnan(value) else float(value)


def _paired(correct: Mapping[Key, bool]) -> list[tuple[bool, bool]]:
    items = sorted({item_id for item_id, _ in correct})
    return [t for t in (_known(correct, i) for i in items) if t is not None]


def truth_report(outcomes: Iterable[Outcome], correct: Mapping[Key, bool]) -> dict[str, Any]:
    """Both models' accuracy, McNemar p, and the judge's accuracy against the truth, in one dict.

    Args:
        outcomes: the run's un-blinded outcomes.
        correct: ``(item_id, role) -> verified correct`` (see :func:`judge.checks.correctness`).

    Returns:
        ``{"accuracy": model_accuracy(...), "judge_vs_truth": judge_vs_truth(...)}``, JSON-ready.
    """
    return {"accuracy": model_accuracy(correct), "judge_vs_truth": judge_vs_truth(outcomes, correct)}


def _typed_rate(part: dict[str, Any]) -> Rate:
    ci = part.get("ci") or [None, None]
    n = int(part["n"])
    return Rate(k=int(part["k"]), n=n, estimate=part.get("share"), ci_low=ci[0] if n else None,
                ci_high=ci[1] if n else None)  # fmt: skip


def typed_accuracy(correct: Mapping[Key, bool]) -> ModelAccuracy:
    """:func:`model_accuracy` as the summary's record."""
    acc = model_accuracy(correct)
    mc = acc["mcnemar"]
    return ModelAccuracy(finetuned=_typed_rate(acc["finetuned"]), base=_typed_rate(acc["base"]),
                         only_finetuned_right=mc["b"], only_base_right=mc["c"], n_paired=mc["n_paired"],
                         mcnemar_pvalue=mc["pvalue"])  # fmt: skip


def typed_truth(outcomes: Iterable[Outcome], correct: Mapping[Key, bool], saw_evidence: bool) -> TruthCheck:
    """:func:`judge_vs_truth` as the summary's record, saying whether the judge saw the checks' facts."""
    t = judge_vs_truth(outcomes, correct)
    return TruthCheck(picked_correct=_typed_rate(t), ties=t["ties"], both_correct=t["both_correct"],
                      neither_correct=t["neither_correct"], unverified=t["unverified"],
                      not_judged=t["not_judged"], judge_saw_evidence=saw_evidence)  # fmt: skip
