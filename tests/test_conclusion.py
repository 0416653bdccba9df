"""The words follow the numbers: what the conclusion says about the judge itself."""

from __future__ import annotations

from typing import Any

import pytest

from judge.conclusion import judge_caveats
from judge.summary import PositionBias, Rate


def _rate(k: int, n: int, low: float, high: float) -> Rate:
    return Rate(k=k, n=n, estimate=k / n, ci_low=low, ci_high=high)


def _truth(k: int, n: int, low: float, high: float, ties: int = 0) -> dict[str, Any]:
    return {"checks": {"judge_vs_truth": {"k": k, "n": n, "share": k / n, "ci": [low, high], "ties": ties}}}


@pytest.mark.parametrize(
    ("truth", "words"),
    [
        (_truth(0, 8, 0.0, 0.32, ties=8), "it never chose between them"),
        (_truth(1, 10, 0.02, 0.40), "worse than a coin flip"),
        (_truth(18, 20, 0.70, 0.97), "better than chance"),
        (_truth(5, 9, 0.27, 0.81), "not distinguishable from a coin flip"),
    ],
)
def test_judge_vs_truth_is_named_by_its_interval(truth: dict[str, Any], words: str) -> None:
    assert judge_caveats(None, truth).endswith(f"— {words}.")


def test_position_bias_and_flips() -> None:
    biased = PositionBias(share_a=_rate(40, 48, 0.70, 0.91), consistency=_rate(2, 24, 0.02, 0.26))
    text = judge_caveats(biased, {})
    assert "chose label A in 83 %" in text and "held in 2 of 24 pairs; the 22 that flipped" in text
    single = PositionBias(share_a=_rate(10, 48, 0.12, 0.34))
    assert "chose label B in 79 %" in judge_caveats(single, {}) and "both_orders = true" in judge_caveats(
        single, {}
    )
    fair = PositionBias(share_a=_rate(25, 48, 0.38, 0.66))
    assert judge_caveats(fair, {}) == ""
