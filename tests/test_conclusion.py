"""The words follow the numbers: what the conclusion says about the judge itself."""

from __future__ import annotations

import numpy as np
import pytest

from judge.reporting.narrator import position_note, truth_sentence
from judge.summary import PositionBias, Rate, TruthCheck, Verification


def _rate(k: int, n: int, low: float, high: float) -> Rate:
    return Rate(k=k, n=n, estimate=k / n, ci_low=low, ci_high=high)


def _truth(k: int, n: int, low: float, high: float, ties: int = 0) -> Verification:
    return Verification(judge_vs_truth=TruthCheck(picked_correct=_rate(k, n, low, high), ties=ties))


@pytest.mark.parametrize(
    ("truth", "words"),
    [
        (_truth(0, 8, 0.0, 0.32, ties=8), "it never chose between them"),
        (_truth(1, 10, 0.02, 0.40), "worse than a coin flip"),
        (_truth(18, 20, 0.70, 0.97), "better than chance"),
        (_truth(5, 9, 0.27, 0.81), "not distinguishable from a coin flip"),
    ],
)
def test_judge_vs_truth_is_named_by_its_interval(truth: Verification, words: str) -> None:
    assert truth_sentence(truth).endswith(f"— {words}.")


def test_position_bias_and_flips() -> None:
    biased = PositionBias(share_a=_rate(40, 48, 0.70, 0.91), consistency=_rate(2, 24, 0.02, 0.26))
    text = position_note(biased)
    assert "chose label A in 83 %" in text and "held in 2 of 24 pairs; the 22 that flipped" in text
    single = PositionBias(share_a=_rate(10, 48, 0.12, 0.34))
    assert "chose label B in 79 %" in position_note(single) and "both_orders = true" in position_note(single)
    fair = PositionBias(share_a=_rate(25, 48, 0.38, 0.66))
    assert position_note(fair) == ""


# --- The decision in words agrees with its numbers (summaries from the real file reader + aggregate) ---

import json  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from scipy import stats as sps  # noqa: E402

from judge import stats  # noqa: E402
from judge.aggregation import aggregate  # noqa: E402
from judge.aggregation.aggregate import RunFacts  # noqa: E402
from judge.api import stats_for_file  # noqa: E402
from judge.records import Outcome, Result  # noqa: E402
from judge.summary import Summary  # noqa: E402

_WORD = {"win": "model", "loss": "baseline", "tie": "tie", "failed": "failed"}
_PREF = re.compile(r"preference (\d+(?:\.\d+)?) %, 95 % CI (\d+(?:\.\d+)?) % to (\d+(?:\.\d+)?) %")


def _file(tmp_path: Path, results: list[str], calls: list[int] | None = None) -> Path:
    path = tmp_path / "verdicts.csv"
    rows = [f"q{i},{_WORD[r]},{'' if calls is None else f'call{calls[i]}'}\n" for i, r in enumerate(results)]
    path.write_text("id,winner,cluster\n" + "".join(rows))
    return path


def _table(tmp_path: Path, w: int, l_: int, t: int, failed: int = 0) -> Summary:
    return stats_for_file(_file(tmp_path, ["win"] * w + ["loss"] * l_ + ["tie"] * t + ["failed"] * failed))


def _printed_preference(text: str) -> tuple[float, float, float]:
    match = _PREF.search(text)
    assert match, text
    est, low, high = (float(g) for g in match.groups())
    return est, low, high


def _assert_words_follow_numbers(s: Summary) -> None:
    text = s.conclusion
    significant = s.sign_test.significant
    assert ("Not significant" in text) is (not significant and s.sign_test.pvalue is not None)
    if s.sign_test.pvalue is None:
        return
    _, low, high = _printed_preference(text)
    assert (low <= 50 <= high) is (not significant), text  # the interval as printed, rounding included
    assert ("significant." in text or ": significant" in text) is significant


def test_sixty_pair_file_clustered_by_call_is_not_significant_beside_an_interval_holding_50(
    tmp_path: Path,
) -> None:
    # The issue's file: 37 W / 19 L / 4 T (p = 0.0222 if every verdict were independent),
    # judged five to a call with most calls unanimous: 12 independent units, not 60.
    calls = [1] * 35 + [-1] * 15 + [1, 1, -1, -1, 0] + [-1, -1, 0, 0, 0]
    word = {1: "win", -1: "loss", 0: "tie"}
    s = stats_for_file(_file(tmp_path, [word[c] for c in calls], [i // 5 for i in range(60)]))
    assert (s.counts.win, s.counts.loss, s.counts.tie) == (37, 19, 4)
    assert sps.binomtest(37, 56).pvalue == pytest.approx(0.0222, abs=1e-4)
    assert not s.sign_test.significant and s.sign_test.design_effect > 3 and s.sign_test.clusters == 12
    assert s.preference.ci_low is not None and s.preference.ci_low < 0.5
    _assert_words_follow_numbers(s)
    assert "clustered by judge call (12" in s.preference.method


@pytest.mark.parametrize(
    "w,l_,t,words",
    [
        (14, 5, 1, "Not significant"),
        (5, 0, 0, "Not significant"),
        (10, 8, 2, "Not significant"),  # seed 001 stays not significant
        (1, 0, 0, "too few to plan from"),
        (502, 498, 0, "the observed split would need about 490,553"),
        (0, 80, 0, "is WORSE than the reference baseline"),
        (0, 0, 24, "Every judged pair was a tie (24 of 24)"),
    ],
)
def test_the_issues_tables_in_words(tmp_path: Path, w: int, l_: int, t: int, words: str) -> None:
    s = _table(tmp_path, w, l_, t)
    assert words in s.conclusion
    _assert_words_follow_numbers(s)
    assert "its base" not in s.conclusion  # a file's second model is a reference


def test_significant_but_negligible_is_flagged_with_enough_digits() -> None:
    outcomes = [
        Outcome(
            item_id=str(i),
            category="all",
            status="judged",
            result="win" if i < 251_500 else "loss",
            cluster=f"r{i}",
        )
        for i in range(500_000)
    ]
    s = aggregate.summarize(outcomes, RunFacts(run_id="big", models={"finetuned": "ft", "base": "bs"}))
    assert s.sign_test.significant and s.effect is not None and s.effect.verdict == "better_but_negligible"
    assert s.effect.negligible and s.effect.equivalent
    assert "Significant but negligible" in s.conclusion and "50.3 %, 95 % CI 50.2 % to 50.4 %" in s.conclusion
    _assert_words_follow_numbers(s)


def test_words_follow_numbers_on_many_small_tables(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    for _ in range(40):
        w, l_, t = (int(x) for x in rng.integers(0, 30, size=3))
        if w + l_ + t:
            _assert_words_follow_numbers(_table(tmp_path, w, l_, t))


def test_margin_results_are_named(tmp_path: Path) -> None:
    equivalent = stats_for_file(_file(tmp_path, ["win", "loss"] * 1500 + ["tie"] * 200), margin=0.05)
    assert equivalent.effect is not None and equivalent.effect.verdict == "equivalent"
    assert "Equivalent within the margin" in equivalent.conclusion
    non_inferior = stats_for_file(_file(tmp_path, ["win"] * 230 + ["loss"] * 200 + ["tie"] * 70), margin=0.1)
    assert non_inferior.effect is not None and non_inferior.effect.verdict == "non_inferior"
    assert non_inferior.effect.non_inferior and not non_inferior.sign_test.significant
    assert (
        "Non-inferior: model is not worse than the reference baseline by more than" in non_inferior.conclusion
    )


def test_failed_pairs_are_bounded_both_ways(tmp_path: Path) -> None:
    s = _table(tmp_path, 30, 18, 2, failed=6)
    assert s.failed_bounds is not None and s.failed_bounds.failed == 6
    to_base = _table(tmp_path, 30, 24, 2)
    to_ft = _table(tmp_path, 36, 18, 2)
    assert s.failed_bounds.all_to_base.net == pytest.approx(to_base.net_win_rate.estimate)
    assert s.failed_bounds.all_to_base.ci_low == pytest.approx(to_base.net_win_rate.ci_low)
    assert s.failed_bounds.all_to_finetuned.significant is to_ft.sign_test.significant
    assert "Had they all gone to the base" in s.conclusion


def test_a_failing_statistic_never_loses_the_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("matmul: Input operand 1 has a mismatch")

    monkeypatch.setattr(stats, "pairs_for_power", broken)
    s = _table(tmp_path, 40, 30, 10)
    assert s.counts.n == 80 and s.sign_test.pvalue is not None
    assert [p.part for p in s.problems] == ["power"] and "mismatch" in s.problems[0].error
    assert "Some statistics could not be computed" in s.conclusion


def _results(w: int, t: int, l_: int) -> list[Result]:
    win: list[Result] = ["win"]
    tie: list[Result] = ["tie"]
    loss: list[Result] = ["loss"]
    return win * w + tie * t + loss * l_


def test_the_crashing_category_and_2400_pairs_in_five_categories_are_fast(tmp_path: Path) -> None:
    # 258 W / 244 T / 254 L crashed pairs_for_power after every judge call was paid.
    splits = [(258, 244, 254), (200, 150, 130), (160, 90, 130), (100, 100, 80), (230, 120, 154)]
    outcomes = [
        Outcome(
            item_id=f"{c}-{i}", category=f"cat{c}", status="judged", result=r, cluster=f"call{c}-{i // 5}"
        )
        for c, (w, t, l_) in enumerate(splits)
        for i, r in enumerate(_results(w, t, l_))
    ]
    assert len(outcomes) == 2_400
    start = time.perf_counter()
    s = aggregate.summarize(outcomes, RunFacts(run_id="big", models={}))
    assert time.perf_counter() - start < 2.0  # the statistics alone: benchmarks/bench_inference.py
    assert s.problems == [] and len(s.per_category) == 5
    assert all(c.sign_test.pvalue_holm is not None for c in s.per_category)
    assert s.power is not None and s.power.pairs_needed is not None


def test_imported_alpaca_eval_file_uses_its_names_and_honest_method() -> None:
    path = (
        Path(__file__).resolve().parents[2] / "shared" / "data" / "alpaca_eval" / "vicuna-13b.gpt4.jsonl.gz"
    )
    s = stats_for_file(path)
    assert s.models == {"finetuned": "vicuna-13b", "base": "text_davinci_003"} and s.comparison == "reference"
    assert "beats the reference text_davinci_003" in s.conclusion and "its base" not in s.conclusion
    assert "resampling whole judge calls" not in s.preference.method
    assert "each verdict its own cluster" in s.preference.method
    theirs = s.imported.alpaca_eval if s.imported is not None else None
    assert theirs is not None and theirs.preference_se is not None
    assert s.preference.se == pytest.approx(theirs.preference_se, abs=1e-12)


def test_a_schema_one_summary_still_reads(tmp_path: Path) -> None:
    from judge.summary import load_summary

    s = _table(tmp_path, 30, 18, 2)
    old = json.loads(
        s.model_dump_json(exclude={"effect", "power", "failed_bounds", "problems", "comparison"})
    )
    old["schema_version"] = 1
    old["sign_test"] |= {"pairs_for_power": 700, "power_target": 0.8}
    for key in ("method", "design_effect", "clusters", "significant_holm"):
        old["sign_test"].pop(key)
    back = load_summary(json.dumps(old))
    assert back.schema_version == 4 and back.sign_test.pvalue == s.sign_test.pvalue and back.power is None


def test_a_schema_three_import_moves_from_extras_to_its_typed_section() -> None:
    from judge.summary import load_summary

    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "alpaca_eval" / "claude-2.gpt4.jsonl.gz"
    s = stats_for_file(path)
    assert s.imported is not None and s.imported.alpaca_eval is not None and s.imported.skipped == 1
    old = json.loads(s.model_dump_json(exclude={"imported"}))  # version 3 kept these in extras
    old["schema_version"] = 3
    old["extras"] = {
        "import": {"file": path.name, "rows": 805, "position_recorded": False},
        "alpaca_eval": s.imported.alpaca_eval.model_dump(),
        "perplexity": {"models": []},
    }
    back = load_summary(json.dumps(old))
    assert back.schema_version == 4 and back.extras == {"perplexity": {"models": []}}
    assert back.imported == s.imported
