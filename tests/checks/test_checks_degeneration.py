"""The degeneration screen on seed 003's own examples and on healthy outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge.checks.degeneration import Thresholds, decide_pair, is_degenerate, screen
from judge.findings import Checks

SEED_COLLAPSE = ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"
SEED_REPETITIVE = "........................RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
SEED_NOISE = "::: tttool''' orrrredataaloadaatooaddator not innal innnot orrre"
GOOD_CODE = "```python\ndef add(a, b):\n    return a + b\n\nprint(add(2, 3))\n```\nThis prints 5."
GOOD_PROSE = (
    "The capital of France is Paris. It has been the country's political and cultural centre for "
    "centuries, and it sits on the Seine river in the north of the country."
)


@pytest.mark.parametrize(
    ("text", "label"),
    [(SEED_COLLAPSE, "mode_collapse"), (SEED_REPETITIVE, "repetitive"), (SEED_NOISE, "noise")],
)
def test_seed_003_examples(text: str, label: str) -> None:
    result = screen(text, code=True)
    assert result.label == label
    assert result.length == len("".join(text.split()))


def test_seed_figures() -> None:
    collapse = screen(SEED_COLLAPSE, code=True)
    assert (collapse.unique_chars, collapse.top_char_share) == (1, 1.0)
    assert not (collapse.has_keyword or collapse.has_operator or collapse.has_bracket)
    assert screen(SEED_REPETITIVE).repetition_ratio > 0.9
    assert screen(SEED_NOISE).weird_word_share > 0.5


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (GOOD_CODE, True),
        (GOOD_PROSE, False),
        ("42", True),
        ("True", True),
        ("1" + "0" * 40, False),
        ("\n".join(str(i) for i in range(1, 101)), False),
        (Path(__file__).read_text(encoding="utf-8"), True),
    ],
)
def test_healthy_outputs_are_good(text: str, code: bool) -> None:
    assert screen(text, code=code).label == "good"


def test_loops_empty_and_code_without_code() -> None:
    assert screen("The answer is 4. " * 20).label == "repetitive"
    assert screen("one two three four five six " * 6).label == "repetitive"
    assert screen("   \n ").label == "empty"
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor"
    assert screen(words, code=True).label == "noise"
    assert screen(words, code=False).label == "good"


def test_thresholds_are_configurable() -> None:
    strict = Thresholds(collapse_share=0.5)
    assert screen(SEED_REPETITIVE, thresholds=strict).label == "mode_collapse"
    assert screen(SEED_COLLAPSE, thresholds=Thresholds(min_length=100)).label == "good"


def _checks(text: str) -> Checks:
    return Checks(degeneration=screen(text))


def test_is_degenerate_reads_stored_checks() -> None:
    assert is_degenerate(_checks(SEED_COLLAPSE))
    assert is_degenerate(Checks.model_validate_json(_checks(SEED_NOISE).model_dump_json()))  # round trip
    assert not is_degenerate(_checks(GOOD_PROSE))
    assert not is_degenerate(Checks())


def test_decide_pair() -> None:
    good, bad = _checks(GOOD_PROSE), _checks(SEED_COLLAPSE)
    assert decide_pair(good, good) is None
    assert decide_pair(good, bad) == ("win", "base output degenerate (mode_collapse)")
    assert decide_pair(bad, good) == ("loss", "finetuned output degenerate (mode_collapse)")
    result, reason = decide_pair(bad, _checks(SEED_REPETITIVE)) or ("", "")
    assert result == "tie" and "repetitive" in reason
