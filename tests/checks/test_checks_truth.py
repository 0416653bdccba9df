"""Judge vs truth, per-model accuracy with McNemar, and a whole procedural run through run_checks."""

from __future__ import annotations

import json

import pytest
from scipy.stats import binomtest

from judge.checks import (
    SandboxLimits,
    attach_checks,
    correctness,
    generate_problems,
    judge_vs_truth,
    model_accuracy,
    run_checks,
    truth_report,
)
from judge.errors import InputError
from judge.findings import Checks
from judge.records import Generation, Outcome, Result


def _outcome(item_id: str, result: Result | None, status: str = "judged") -> Outcome:
    return Outcome(item_id=item_id, category="c", status=status, result=result)  # type: ignore[arg-type]


def test_judge_vs_truth_counts_only_decisive_judged_pairs() -> None:
    correct = {
        ("a", "finetuned"): True, ("a", "base"): False,   # judge right (win)
        ("b", "finetuned"): False, ("b", "base"): True,   # judge right (loss)
        ("c", "finetuned"): True, ("c", "base"): False,   # judge wrong (loss)
        ("d", "finetuned"): True, ("d", "base"): False,   # tie: not a pick
        ("e", "finetuned"): True, ("e", "base"): True,
        ("f", "finetuned"): False, ("f", "base"): False,
        ("g", "finetuned"): True, ("g", "base"): False,   # decided by check: not the judge's
        ("h", "finetuned"): True,                          # base unverified
    }  # fmt: skip
    outcomes = [
        _outcome("a", "win"), _outcome("b", "loss"), _outcome("c", "loss"), _outcome("d", "tie"),
        _outcome("e", "win"), _outcome("f", "tie"), _outcome("g", "win", "decided_by_check"),
        _outcome("h", "win"), _outcome("z", None, "failed"),
    ]  # fmt: skip
    report = judge_vs_truth(outcomes, correct)
    assert (report["k"], report["n"], report["ties"]) == (2, 4, 1)
    assert report["share"] == 0.5
    ci = binomtest(2, 4).proportion_ci(method="wilson")
    assert report["ci"] == pytest.approx([ci.low, ci.high])
    assert (report["both_correct"], report["neither_correct"]) == (1, 1)
    assert (report["unverified"], report["not_judged"]) == (1, 2)


def test_judge_vs_truth_with_nothing_decisive() -> None:
    report = judge_vs_truth([], {})
    assert (report["n"], report["share"], report["ci"]) == (0, None, [0.0, 1.0])


def test_model_accuracy_and_mcnemar() -> None:
    correct = {}
    for i in range(10):
        correct[(f"i{i}", "finetuned")] = i < 9
        correct[(f"i{i}", "base")] = i < 2 or i == 9
    acc = model_accuracy(correct)
    assert (acc["finetuned"]["k"], acc["finetuned"]["n"]) == (9, 10)
    assert (acc["base"]["k"], acc["base"]["n"]) == (3, 10)
    assert (acc["mcnemar"]["b"], acc["mcnemar"]["c"], acc["mcnemar"]["n_paired"]) == (7, 1, 10)
    assert acc["mcnemar"]["pvalue"] == pytest.approx(binomtest(7, 8).pvalue)
    assert model_accuracy({("x", "base"): True})["mcnemar"]["pvalue"] is None


def _solve(kind: str, text: str) -> str:
    if kind == "arithmetic":
        return f"print({text})"
    if kind == "rpn":
        return (
            "s = []\nfor t in INPUT.split():\n    if t in '+-*':\n        b, a = s.pop(), s.pop()\n"
            "        s.append(a + b if t == '+' else a - b if t == '-' else a * b)\n"
            "    else:\n        s.append(int(t))\nprint(s[0])"
        ).replace("INPUT", repr(text))
    return (
        "s = []\nok = True\nfor ch in INPUT:\n    if ch in '([{':\n        s.append(ch)\n"
        "    elif not s or '([{'[')]}'.index(ch)] != s.pop():\n        ok = False\nprint(ok and not s)"
    ).replace("INPUT", repr(text))


def test_procedural_run_reports_accuracy_mcnemar_and_judge_truth() -> None:
    items = generate_problems(12, seed=5, difficulty=(2, 6), split="test")
    gens: list[Generation] = []
    for n, item in enumerate(items):
        good = f"Here you go:\n```python\n{_solve(item.metadata['kind'], item.metadata['input'])}\n```"
        base = good if n < 4 else ("," * 64 if n == 4 else "```python\nprint('no idea')\n```")
        gens += [Generation(item_id=item.id, role="finetuned", output=good),
                 Generation(item_id=item.id, role="base", output=base)]  # fmt: skip
    checks = run_checks(items, gens, limits=SandboxLimits(cpu_s=2), workers=2)
    json.dumps({f"{k[0]}|{k[1]}": v.model_dump(mode="json") for k, v in checks.items()})  # storable
    collapsed = checks[(items[4].id, "base")]
    assert collapsed.degeneration is not None and collapsed.degeneration.label == "mode_collapse"
    assert collapsed.procedural is not None and collapsed.procedural.status == "no_code"
    assert collapsed.good is False and checks[(items[0].id, "finetuned")].good is True
    truth = correctness(checks)
    assert all(truth[(i.id, "finetuned")] for i in items)
    # A judge that prefers the fine-tune everywhere but gets item 5 backwards.
    outcomes = [_outcome(i.id, "loss" if n == 5 else "win") for n, i in enumerate(items)]
    report = truth_report(outcomes, truth)
    assert report["accuracy"]["finetuned"]["share"] == 1.0
    assert report["accuracy"]["base"]["share"] == pytest.approx(4 / 12)
    assert report["accuracy"]["mcnemar"]["pvalue"] == pytest.approx(binomtest(8, 8).pvalue)
    assert (report["judge_vs_truth"]["k"], report["judge_vs_truth"]["n"]) == (7, 8)
    attached = attach_checks(gens, checks)
    assert attached[0].checks.correct is True and gens[0].checks == Checks()


def test_tool_call_items_and_unknown_outputs() -> None:
    from judge.records import PromptItem

    call = {"name": "read_file", "arguments": {"path": "a.txt"}}
    items = [
        PromptItem(id="t", prompt="read a.txt", metadata={"expected_call": call}),
        PromptItem(id="d", prompt="2+2?", metadata={"expected_call": None}),
    ]
    gens = [
        Generation(item_id="t", role="finetuned", output=f"<tool_call>{json.dumps(call)}</tool_call>"),
        Generation(item_id="t", role="base", output="I cannot read files."),
        Generation(item_id="d", role="base", output="4"),
    ]
    truth = correctness(run_checks(items, gens))
    assert truth == {("t", "finetuned"): True, ("t", "base"): False, ("d", "base"): True}
    with pytest.raises(InputError, match="unknown item id 'nope'"):
        run_checks(items, [Generation(item_id="nope", role="base", output="x")], source="out.jsonl")


def test_package_exports_are_exactly_the_public_api() -> None:
    import judge.checks as checks

    assert checks.__all__ == sorted(checks.__all__, key=lambda n: (not n.isupper(), n))
    assert all(hasattr(checks, name) for name in checks.__all__)
    assert "run_checks" in checks.__all__ and "decide_pair" in checks.__all__
