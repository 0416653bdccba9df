"""The progress bars stay readable on one line at 80 columns, even with long model names."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from judge.client import Prices
from judge.progress import GenerationProgress, JudgeProgress, _Bar, fit, short_count
from judge.records import Usage

LONG = "finetuned (meta-llama/Llama-3.1-8B-Instruct + lora-adapters/run-2025-11-20-v3)"


def _line(bar: _Bar, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=True)
    with console.capture() as cap:
        console.print(bar._progress.make_tasks_table(bar._progress.tasks))
    return cap.get().rstrip("\n")


@pytest.mark.parametrize("width", [80, 100, 160])
def test_bars_fit_one_line(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    gen = GenerationProgress(LONG, enabled=False)
    gen(37, 120)
    line = _line(gen, width)
    assert "\n" not in line and "generating finetuned (meta-l" in line and "-v3)" in line
    assert "37/120" in line and "eta" in line
    judging = JudgeProgress(240, enabled=False, prices=Prices(0.15, 0.6))
    judging.advance(120, Usage(prompt_tokens=1_234_567, completion_tokens=234_567), cached=False)
    judging.retries = 12
    judging.advance(5, Usage(prompt_tokens=1000, completion_tokens=100), cached=True)
    line = _line(judging, width)
    assert "\n" not in line and "125/240" in line and "$0.3261" in line and "retries 12" in line


def test_fit_and_short_count() -> None:
    assert fit("short", 10) == "short"
    cut = fit(LONG, 30)
    assert len(cut) == 30 and cut.startswith("finetuned (") and cut.endswith("-v3)")
    assert len(fit("x" * 50, 9)) == 9
    assert [short_count(n) for n in (999, 12_345, 1_470_234)] == ["999", "12.3k", "1.47M"]


def test_sides_generated_at_once_get_a_line_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    gen = GenerationProgress(LONG, enabled=False)
    base = gen.line("base ([not markup] meta-llama/Llama-3.1-8B-Instruct)")
    gen(3, 24)
    base(20, 24)
    lines = _line(gen, 80).splitlines()
    assert len(lines) == 2 and all(len(line) <= 80 for line in lines)
    assert "generating finetuned" in lines[0] and "3/24" in lines[0]
    assert "generating base ([not mark" in lines[1] and "20/24" in lines[1]  # brackets are text
