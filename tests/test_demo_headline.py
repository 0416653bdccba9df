"""The demo's first line says what execution found and whether the judge could be trusted."""

from __future__ import annotations

from typing import Any

from judge.run.demo import demo_headline


def _extras(k: int, n: int, low: float) -> dict[str, Any]:
    acc = {"finetuned": {"k": 17, "n": 24}, "base": {"k": 14, "n": 24}, "mcnemar": {"pvalue": 0.25}}
    truth = {"k": k, "n": n, "ci": [low, 0.9], "judge_saw_evidence": True}
    return {"checks": {"accuracy": acc, "judge_vs_truth": truth}}


def test_a_judge_no_better_than_a_coin_is_called_untrustworthy_first() -> None:
    line = demo_headline(_extras(2, 3, 0.2), 0.58, local=True)
    assert line.startswith("Demo: execution verified the fine-tune correct on 17/24 problems, the base on 14")
    assert "The 0.5B judge (shown the evidence) cannot be trusted here" in line and "2/3" in line


def test_a_position_biased_judge_and_a_good_one() -> None:
    assert "chose A in 100%" in demo_headline(_extras(9, 10, 0.6), 1.0, local=True)
    good = demo_headline(_extras(19, 20, 0.76), 0.5, local=False)
    assert good.endswith("the judge, shown the evidence, picked the verified-correct side in 19/20 pairs.")
