"""The demo's first line says what execution found and whether the judge could be trusted.

Summaries come from the real aggregation; verification from the real truth statistics over
(item, role) -> verified-correct maps and un-blinded outcomes, as a run computes them.
"""

from __future__ import annotations

from report_factory import make_row, make_summary

from judge.checks.truth import typed_accuracy, typed_truth
from judge.records import Outcome
from judge.reporting.narrator import demo_headline
from judge.summary import Summary, Verification


def _summary(picked: int, disputed: int, *, always_a: bool = False) -> Summary:
    """24 items: the fine-tune verified right on 17; the base on 14 and, when ``disputed`` > 3, on
    items 17 onwards, so exactly one side is right on ``disputed`` items (3 or 10 here); the judge
    picked the right side on the first ``picked`` of them."""
    correct = {}
    for i in range(24):
        correct[(f"item-{i:03d}", "finetuned")] = i < 17
        correct[(f"item-{i:03d}", "base")] = i < 14 or (17 <= i < 17 + max(0, disputed - 3))
    disputed_ids = [i for i in range(24) if correct[(f"item-{i:03d}", "finetuned")]
                    != correct[(f"item-{i:03d}", "base")]]  # fmt: skip
    results = {}
    for n, i in enumerate(disputed_ids):
        right_side = "win" if correct[(f"item-{i:03d}", "finetuned")] else "loss"
        results[i] = right_side if n < picked else ("loss" if right_side == "win" else "win")
    rows = [make_row(i, results.get(i, "tie"), a_role="finetuned" if always_a or i % 2 else "base")
            for i in range(24)]  # fmt: skip
    outcomes = [
        Outcome(item_id=r.item_id, category=r.category, status="judged", result=r.result) for r in rows
    ]
    verification = Verification(accuracy=typed_accuracy(correct),
                                judge_vs_truth=typed_truth(outcomes, correct, saw_evidence=True))  # fmt: skip
    return make_summary(rows).model_copy(update={"verification": verification})


def test_a_judge_no_better_than_a_coin_is_called_untrustworthy_first() -> None:
    summary = _summary(2, 3)
    line = demo_headline(summary, local=True)
    assert line.startswith("Demo: execution verified the fine-tune correct on 17/24 problems, the base on 14")
    assert "The 0.5B judge (shown the evidence) cannot be trusted here" in line and "2/3" in line


def test_a_judge_that_clears_a_coin_flip_is_named_with_its_count() -> None:
    summary = _summary(9, 10)
    truth = summary.verification.judge_vs_truth if summary.verification else None
    assert truth is not None and truth.picked_correct.n == 10 and (truth.picked_correct.ci_low or 0) > 0.5
    good = demo_headline(summary, local=False)
    assert good.endswith("the judge, shown the evidence, picked the verified-correct side in 9/10 pairs.")
