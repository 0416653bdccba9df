"""The extra subcommands end to end: report, audit (filter + export), check, and an imported verdict file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from fakeserver import FakeServer
from spine import write_project

from judge.cli import main

ROOT = Path(__file__).resolve().parents[1]
ALPACA = ROOT.parent / "shared" / "data" / "alpaca_eval"


def _run(tmp_path: Path, server: FakeServer) -> Path:
    assert main(["run", str(write_project(tmp_path, server.base_url)), "--no-progress"]) == 0
    return tmp_path / "results" / "spine"


def test_audit_filters_and_exports(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = _run(tmp_path, fake_server)
    capsys.readouterr()
    assert main(["audit", str(run_dir), "--result", "loss", "--export", str(tmp_path / "losses.csv")]) == 0
    assert "exported 2 of 12" in capsys.readouterr().out
    with (tmp_path / "losses.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["item_id"] for r in rows) == ["item-008", "item-009"]
    assert main(["audit", str(run_dir), "--search", "It is probably 17"]) == 0  # item 8's losing output
    assert "1 of 12 comparisons" in capsys.readouterr().out
    (run_dir / "report.html").unlink()
    assert main(["report", str(run_dir)]) == 0
    assert (run_dir / "report.html").stat().st_size > 10_000


def test_report_on_an_imported_alpaca_eval_file(tmp_path: Path) -> None:
    path = ALPACA / "alpaca-7b.cot.jsonl.gz"
    assert main(["report", str(path), "--results", str(tmp_path)]) == 0
    run_dir = tmp_path / "alpaca-7b"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["counts"]["win"] + summary["counts"]["tie"] + summary["counts"]["loss"] == 805
    assert summary["models"] == {"finetuned": "alpaca-7b", "base": "gpt4_1106_preview"}
    rows = [json.loads(line) for line in (run_dir / "audit.jsonl").read_text().splitlines()]
    assert len(rows) == 805 and all(r["rationale"] for r in rows[:50]), (
        "the GPT-4 Turbo rationales must be kept"
    )
    assert "alpaca-7b is WORSE than the reference gpt4_1106_preview" in summary["conclusion"]
    assert "its base" not in summary["conclusion"]  # an imported file compares against a reference
    imported, theirs = summary["imported"], summary["imported"]["alpaca_eval"]
    assert imported["tool"] == "alpaca_eval" and imported["file"] == path.name and imported["rows"] == 805
    assert summary["extras"] == {} and not imported["position_recorded"]
    assert theirs["n_total"] == 805 and summary["preference"]["estimate"] == pytest.approx(
        theirs["preference"]
    )
    md = (run_dir / "report.md").read_text()
    assert f"AlpacaEval's own win rate, computed its way: {100 * theirs['preference']:.2f} %" in md
    assert "### Imported file" in md and "| AlpacaEval win rate (its way) |" in md


def test_check_runs_the_sandbox_on_an_outputs_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = [
        json.loads(line) for line in (ROOT / "examples" / "procedural_test.jsonl").read_text().splitlines()
    ]
    chosen = prompts[:3]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(p) + "\n" for p in chosen))
    answers = [
        f"```python\nprint({chosen[0]['metadata']['answer']})\n```",
        "```python\nprint(-99999)\n```",
        ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,",
    ]
    (tmp_path / "o.jsonl").write_text(
        "".join(json.dumps({"id": p["id"], "output": a}) + "\n" for p, a in zip(chosen, answers, strict=True))
    )
    assert main(["check", str(tmp_path / "o.jsonl"), "--prompts", str(tmp_path / "p.jsonl")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("correct") and not lines[0].endswith("wrong")
    assert lines[1].endswith("wrong")
    assert "mode_collapse" in lines[2] or "repetitive" in lines[2]


def test_init_writes_a_config_that_loads_and_refuses_to_overwrite(tmp_path: Path) -> None:
    from judge.config import load_config

    target = tmp_path / "runs" / "mine.toml"
    assert main(["init", str(target)]) == 0
    config = load_config(target)
    assert config.name == "my-lora-v1" and config.judge.both_orders and config.judge.batch_size == 5
    assert config.models["finetuned"].outputs == tmp_path / "runs" / "finetuned.jsonl"
    assert f"judge run {target} --dry-run" in target.read_text()
    before = target.read_text()
    assert main(["init", str(target)]) == 2 and target.read_text() == before
    assert main(["init", str(target), "--force"]) == 0
