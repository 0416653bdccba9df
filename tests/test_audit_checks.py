"""The audit finds a judge that contradicts the checks, in a run made by the real pipeline.

Seed 003's case: the fine-tune collapsed into commas, the base answered well, and a judge that
prefers the collapsed answer must be caught by ``judge audit --check-disagrees`` and by the HTML
audit's "disagrees with a check" data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fakeserver import FakeServer
from spine import FT_FILE, write_project

from judge.cli import main
from judge.config import load_config
from judge.reporting import read_audit
from judge.run.pipeline import CompareResult, run_comparison

COLLAPSED = "," * 80


def _prefers_the_commas(prompt: str, a: str, b: str) -> str:
    del prompt
    return "A" if ",,,," in a and ",,,," not in b else "B" if ",,,," in b and ",,,," not in a else "tie"


def test_check_disagrees_lists_the_degenerate_pair(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeServer(policy=_prefers_the_commas) as server:
        config_path = write_project(tmp_path, server.base_url, n=6, ft_good=set(range(6)), base_good=set())
        ft = tmp_path / FT_FILE
        lines = [json.loads(line) for line in ft.read_text().splitlines()]
        lines[2]["output"] = COLLAPSED  # item-002: the fine-tune collapsed
        ft.write_text("".join(json.dumps(line) + "\n" for line in lines))
        result = run_comparison(load_config(config_path), show_progress=False)
    assert isinstance(result, CompareResult)
    by_item = {o.item_id: o.result for o in result.outcomes}
    assert by_item["item-002"] == "win"  # the judge preferred the commas

    rows = read_audit(result.run_dir / "audit.jsonl")
    collapsed = next(r for r in rows if r.item_id == "item-002")
    assert collapsed.checks["finetuned"].degenerate and collapsed.checks["base"].good is True

    capsys.readouterr()
    assert main(["audit", str(result.run_dir), "--check-disagrees"]) == 0
    out = capsys.readouterr().out
    assert "item-002" in out and "1 of 6 comparisons" in out
    for other in ("item-000", "item-001", "item-003"):
        assert other not in out

    page = (result.run_dir / "report.html").read_text()
    block = re.search(r'<script type="application/json" id="audit-data">(.*?)</script>', page, flags=re.S)
    assert block is not None
    rows_on_page = json.loads(block.group(1))["rows"]
    assert [r["key"] for r in rows_on_page if r["check_disagrees"]] == ["item-002/0"]  # the page's filter
    assert [r["check_verdict"] for r in rows_on_page if r["key"] == "item-002/0"] == ["loss"]


def test_audit_says_comparisons_and_pairs_apart_under_both_orders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeServer() as server:
        config = write_project(tmp_path, server.base_url, n=6, judge_extra="both_orders = true")
        result = run_comparison(load_config(config), show_progress=False)
    assert isinstance(result, CompareResult)
    capsys.readouterr()
    assert main(["audit", str(result.run_dir), "--result", "win"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    wins = result.summary.counts.win
    assert last.startswith(f"{2 * wins} of 12 comparisons") and f"these are {wins} pairs" in last
