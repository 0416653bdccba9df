"""Judge reliability on scripted judges: each planted bias is detected; an unbiased judge flags none.

Real runs (the pipeline, the official openai SDK, HTTP on 127.0.0.1) against judges whose bias
is planted in the fake server: a first-slot bias, a length bias, a batch effect, and the offline
demo's judge (always "A", both orders).
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from fakeserver import CallPolicy, FakeServer, default_policy
from spine import BASE_FILE, FT_FILE, write_project

from judge.config import load_config
from judge.records import AuditRow
from judge.run.pipeline import CompareResult, run_comparison
from judge.summary import JudgeReliability

N = 100
RECHECK = "recheck_share = 0.3\nrecheck_min = 20\n"


def _odd(prompt: str) -> bool:
    return hashlib.sha256(prompt.encode()).digest()[0] % 2 == 1


def _write(root: Path, base_url: str, judge_extra: str = RECHECK) -> Path:
    """Exactly one side of each item is [good]; lengths vary independently of quality."""
    rng = random.Random(5)
    ft_good = {i for i in range(N) if rng.random() < 0.5}
    config = write_project(root, base_url, n=N, ft_good=ft_good, base_good=set(range(N)) - ft_good,
                           judge_extra=judge_extra)  # fmt: skip
    for name in (FT_FILE, BASE_FILE):
        path = root / name
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        for row in rows:
            row["output"] += " More words." * rng.randrange(0, 40)
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return config


def _run(
    root: Path, server: FakeServer, judge_extra: str = RECHECK
) -> tuple[CompareResult, JudgeReliability]:
    result = run_comparison(load_config(_write(root, server.base_url, judge_extra)), show_progress=False)
    assert isinstance(result, CompareResult)
    assert result.summary.judge_reliability is not None
    return result, result.summary.judge_reliability


def _first_slot(calls: list[tuple[str, str, str]]) -> list[str]:
    return ["A" if i == 0 and len(calls) > 1 else default_policy(*c) for i, c in enumerate(calls)]


def _longer(prompt: str, a: str, b: str) -> str:
    """The longer output wins, except on one prompt in five, where the better one does."""
    if hashlib.sha256(prompt.encode()).digest()[1] % 5 == 0:
        return default_policy(prompt, a, b)
    return "A" if len(a) > len(b) else "B" if len(b) > len(a) else "tie"


def _batched_differently(calls: list[tuple[str, str, str]]) -> list[str]:
    # alone, the judge finds the better answer; in a batch it calls half of the comparisons a tie
    return [default_policy(*c) if len(calls) == 1 or not _odd(c[0]) else "tie" for c in calls]


def test_unbiased_judge_is_reliable_here(tmp_path: Path) -> None:
    with FakeServer() as server:
        result, rel = _run(tmp_path, server)
    assert rel.verdict == "reliable here", rel.reasons
    assert rel.slots is not None and rel.slots.pvalue is not None and rel.slots.pvalue > 0.01
    assert rel.self_consistency is not None and rel.self_consistency.agree.estimate == 1.0
    assert rel.batched_vs_single is not None and rel.batched_vs_single.agree.estimate == 1.0
    assert rel.batched_vs_single.n == 30 and rel.batched_vs_single.calls == 30  # one call per pair
    assert rel.length is not None and rel.length.prefers_longer.ci_low is not None
    assert rel.length.prefers_longer.ci_low < 0.64
    assert result.summary.usage.calls == 20 + rel.self_consistency.calls + 30  # extra calls are in the cost
    assert "The judge looks reliable here" in (result.run_dir / "report.md").read_text()


def test_first_slot_bias_is_detected(tmp_path: Path) -> None:
    with FakeServer(policy=CallPolicy(_first_slot)) as server:
        _, rel = _run(tmp_path, server)
    assert rel.slots is not None and rel.slots.pvalue is not None and rel.slots.pvalue < 0.01
    assert rel.slots.slots[0].share_a.estimate == 1.0 and (rel.slots.first_vs_rest or 0) > 0.3
    assert rel.verdict != "reliable here" and any("slot" in r for r in rel.reasons)


def test_length_bias_is_detected(tmp_path: Path) -> None:
    with FakeServer(policy=_longer) as server:
        result, rel = _run(tmp_path, server)
    assert rel.length is not None and (rel.length.prefers_longer.ci_low or 0) > 0.64
    assert rel.verdict == "use with care" and any("longer" in r for r in rel.reasons)
    assert rel.length.slope is not None and rel.length.slope > 0
    assert "Preference at equal length" in (result.run_dir / "report.md").read_text()


def test_batch_effect_is_detected(tmp_path: Path) -> None:
    with FakeServer(policy=CallPolicy(_batched_differently)) as server:
        _, rel = _run(tmp_path, server)
    single, again = rel.batched_vs_single, rel.self_consistency
    assert single is not None and again is not None
    assert single.agree.estimate is not None and single.agree.estimate < 0.8
    assert again.agree.estimate == 1.0  # deterministic in any batch: the effect is batching itself
    assert rel.verdict == "not trustworthy here" and any("one per call" in r for r in rel.reasons)


def test_the_demo_judge_is_called_not_trustworthy(tmp_path: Path) -> None:
    with FakeServer(policy=lambda prompt, a, b: "A") as server:
        result, rel = _run(
            tmp_path, server, "both_orders = true\nrecheck_batches = false\nrecheck_single = false\n"
        )
    assert rel.verdict == "not trustworthy here"
    assert rel.position is not None and rel.position.consistency is not None
    assert rel.position.consistency.k == 0
    report = (result.run_dir / "report.md").read_text()
    first = report.split("\n\n")[1]  # the paragraph under the title leads with the answer
    assert "NOT TRUSTWORTHY HERE" in first
    assert "every judged pair was a tie (100 of 100) (preference 50 %" in first.lower()
    html = (result.run_dir / "report.html").read_text()
    assert html.index('id="lead"') < html.index('id="results"')
    assert (result.run_dir / "chart-judge-reliability.svg").read_text().startswith("<?xml")


def test_verdicts_contradicting_their_criteria_are_counted_and_filtered() -> None:
    from report.report_factory import make_row, make_summary

    from judge.reporting import filter_rows, render_html

    def row(i: int) -> AuditRow:  # the fine-tune shown as A and as B in turn, winning every pair
        role = "finetuned" if i % 2 else "base"
        won, lost = ("A", "B") if role == "finetuned" else ("B", "A")
        criteria = {"correctness": lost, "clarity": lost, "completeness": won} if i < 3 else {"clarity": won}
        return make_row(i, "win", a_role=role, criteria=criteria)

    rows = [row(i) for i in range(10)]
    summary = make_summary(rows)
    rel = summary.judge_reliability
    assert rel is not None and rel.rationale is not None
    assert (rel.rationale.contradicting, rel.rationale.checked) == (3, 10)
    assert rel.verdict == "use with care" and any("criteria" in r for r in rel.reasons)
    assert [r.item_id for r in filter_rows(rows, rationale_disagrees=True)] == [
        "item-000",
        "item-001",
        "item-002",
    ]
    assert render_html(summary, rows, None).count('"rationale_disagrees":true') == 3


ALPACA = Path(__file__).resolve().parents[2] / "shared" / "data" / "alpaca_eval"


def test_stats_on_alpaca_eval_reports_length_and_recorded_position(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from judge.cli import main

    assert main(["stats", str(ALPACA / "alpaca-7b.gpt4.jsonl.gz"), "--json"]) == 0
    gpt4 = json.loads(capsys.readouterr().out)["judge_reliability"]
    assert gpt4["position"] is None  # the file does not record the order the judge saw
    longer = gpt4["length"]["prefers_longer"]
    assert (longer["k"], longer["n"]) == (528, 780) and gpt4["length"]["length_controlled"] is not None
    assert main(["stats", str(ALPACA / "alpaca-7b.cot.jsonl.gz"), "--json"]) == 0
    cot = json.loads(capsys.readouterr().out)["judge_reliability"]
    share_a = cot["position"]["share_a"]  # referenced_models records which output was shown first
    assert share_a["n"] == 802 and share_a["ci_low"] < 0.5 < share_a["ci_high"]
    assert cot["length"]["prefers_longer"]["estimate"] > 0.9


def test_a_judge_whose_reasons_contradict_most_of_its_winners_is_not_trustworthy() -> None:
    from judge.aggregation.reliability import JudgedPair, rationale_check
    from judge.aggregation.thresholds import reliability_verdict
    from judge.summary import JudgeReliability

    def verdict_of(contradicting: int) -> str:
        # 20 verdicts for A; the first `contradicting` give every criterion to B (the product's own check)
        rows = [
            JudgedPair(pair_id=f"p{i}", item_id=f"i{i}", round=0, slot=1 + i % 5, call_size=5, winner="A",
                       a_role="finetuned", len_a=10, len_b=10,
                       criteria=dict.fromkeys(("correctness", "clarity", "completeness"),
                                              "B" if i < contradicting else "A"))
            for i in range(20)
        ]  # fmt: skip
        check = rationale_check(rows)
        assert check is not None and (check.checked, check.contradicting) == (20, contradicting)
        # the verdict is recomputed from the figures; the one the record is built with does not count
        verdict, _ = reliability_verdict(JudgeReliability(verdict="reliable here", rationale=check))
        return verdict

    assert verdict_of(16) == "not trustworthy here"
    assert verdict_of(6) == "use with care"
    assert verdict_of(2) == "reliable here"
