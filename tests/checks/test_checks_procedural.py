"""Procedural problems: answers confirmed by independent evaluators, splits disjoint, checker real."""

from __future__ import annotations

import ast
import operator
from pathlib import Path

import pytest

from judge.checks.procedural import check_answers, extract_python, generate_problems, write_problems
from judge.checks.sandbox import SandboxLimits
from judge.records import PromptItem

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "procedural_test.jsonl"
_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def _rpn_via_python(text: str) -> int:
    # Independent of the generator: rebuild a parenthesised infix string and let Python evaluate it.
    stack: list[str] = []
    for token in text.split():
        if token in _OPS:
            b, a = stack.pop(), stack.pop()
            stack.append(f"({a} {token} {b})")
        else:
            stack.append(token)
    assert len(stack) == 1
    return int(eval(stack[0]))


def _balanced_by_erasure(text: str) -> bool:
    # Independent of the generator's stack: erase innermost pairs until nothing changes.
    previous = None
    while previous != text:
        previous, text = text, text.replace("()", "").replace("[]", "").replace("{}", "")
    return text == ""


def _independent(item: PromptItem) -> str:
    kind, text = item.metadata["kind"], item.metadata["input"]
    if kind == "arithmetic":
        ast.parse(text, mode="eval")  # a plain expression, nothing else
        return str(eval(text))
    return str(_rpn_via_python(text)) if kind == "rpn" else str(_balanced_by_erasure(text))


@pytest.mark.parametrize("seed", range(4))
def test_answers_match_independent_evaluation_across_difficulties(seed: int) -> None:
    items = generate_problems(60, seed=seed, difficulty=(1, 10), split="train")
    assert {i.metadata["difficulty"] for i in items} == set(range(1, 11))
    for item in items:
        assert item.metadata["answer"] == _independent(item), item.id


def test_metadata_contract_and_reproducibility() -> None:
    items = generate_problems(9, seed=7, difficulty=(3, 7), split="val")
    assert items == generate_problems(9, seed=7, difficulty=(3, 7), split="val")
    assert items != generate_problems(9, seed=8, difficulty=(3, 7), split="val")
    for item in items:
        meta = item.metadata
        assert set(meta) == {"check", "kind", "difficulty", "split", "input", "answer"}
        assert (meta["check"], meta["split"], item.category) == ("procedural", "val", meta["kind"])
        assert 3 <= meta["difficulty"] <= 7 and meta["input"] in item.prompt and "```python" in item.prompt
        assert item.reference is None
    assert len({i.id for i in items}) == 9


def test_splits_never_share_a_problem() -> None:
    inputs = {
        split: {(i.metadata["kind"], i.metadata["input"]) for s in range(3) for i in generate_problems(
            45, seed=s, difficulty=(1, 4), split=split)}
        for split in ("train", "val", "test")
    }  # fmt: skip
    assert not inputs["train"] & inputs["test"] and not inputs["train"] & inputs["val"]
    assert not inputs["val"] & inputs["test"]


def test_brackets_are_balanced_about_half_the_time() -> None:
    answers = [
        i.metadata["answer"] for i in generate_problems(200, seed=1, kinds=["brackets"], split="train")
    ]
    assert 60 <= answers.count("True") <= 140


def test_bad_arguments_and_exhaustion() -> None:
    with pytest.raises(ValueError, match="difficulty"):
        generate_problems(1, seed=0, difficulty=(0, 3))
    with pytest.raises(ValueError, match="kinds"):
        generate_problems(1, seed=0, kinds=["sudoku"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="ran out"):
        generate_problems(200, seed=0, kinds=["arithmetic"], difficulty=(1, 1))


def test_write_and_shipped_example(tmp_path: Path) -> None:
    items = generate_problems(6, seed=3, split="test")
    path = tmp_path / "p.jsonl"
    write_problems(items, path)
    assert [PromptItem.model_validate_json(line) for line in path.read_text().splitlines()] == items
    shipped = [PromptItem.model_validate_json(line) for line in EXAMPLE.read_text().splitlines()]
    assert len(shipped) == 30 and all(i.metadata["split"] == "test" for i in shipped)
    assert all(i.metadata["answer"] == _independent(i) for i in shipped)


def test_extract_python() -> None:
    assert extract_python("x\n```python\nprint(1)\n```\n```\nprint(2)\n```") == "print(1)\n"
    assert extract_python("```\nprint(2)\n```") == "print(2)\n"
    assert extract_python("```python\nprint(3)") == "print(3)"
    assert extract_python("print(4)") is None


def test_checker_runs_model_code_in_the_sandbox() -> None:
    arith, rpn, brackets = generate_problems(3, seed=11, difficulty=(4, 4), split="test")
    outputs = [
        f"```python\nprint({arith.metadata['input']})\n```",
        "```python\nprint(12345)\n```",
        "I think it is balanced.",
    ]
    results = check_answers(
        list(zip([arith, rpn, brackets], outputs, strict=True)), limits=SandboxLimits(cpu_s=1)
    )
    assert [r.status for r in results] == ["ok", "wrong", "no_code"]
    assert [r.correct for r in results] == [True, False, False]
