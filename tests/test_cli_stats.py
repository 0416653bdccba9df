"""`judge stats` and `judge plan` on the command line: seed 001's 10 / 8 / 2 of 20, real AlpacaEval files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from scipy import stats as sps

from judge.cli import main

ALPACA = Path(__file__).resolve().parents[2] / "shared" / "data" / "alpaca_eval"


def _seed001(tmp_path: Path) -> Path:
    path = tmp_path / "seed001.csv"
    rows = ["model"] * 10 + ["baseline"] * 8 + ["tie"] * 2
    path.write_text("id,winner\n" + "".join(f"q{i},{w}\n" for i, w in enumerate(rows)))
    return path


def test_seed001_counts_are_direction_not_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _seed001(tmp_path)
    assert main(["stats", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["counts"]["win"], summary["counts"]["loss"], summary["counts"]["tie"]) == (10, 8, 2)
    p = summary["sign_test"]["pvalue"]
    assert p == pytest.approx(sps.binomtest(10, 18).pvalue, abs=1e-12) and round(p, 3) == 0.815
    assert summary["sign_test"]["significant"] is False
    assert summary["preference"]["ci_low"] < 0.5 < summary["preference"]["ci_high"]
    # 20 verdicts are too few to plan from: the summary says what a plan needs instead
    assert summary["power"]["pairs_needed"] is None and "judge plan" in summary["power"]["note"]
    assert summary["preference"]["estimate"] == pytest.approx(0.55)
    assert main(["stats", str(path)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Not significant" in text and "direction, not evidence" in text
    assert "too few to plan from" in text


def test_a_losing_finetune_is_told_plainly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lost.jsonl"
    rows = ["baseline"] * 40 + ["model"] * 12 + ["tie"] * 8
    path.write_text("".join(json.dumps({"id": str(i), "winner": w}) + "\n" for i, w in enumerate(rows)))
    assert main(["stats", str(path)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    # a file's second model is a reference, not "its base"
    assert "is WORSE than the reference baseline" in text and "not preferred to the reference" in text
    assert "its base" not in text


def test_plan_for_seed001_split(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--win", "0.5", "--loss", "0.4", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["tie"] == pytest.approx(0.1) and 500 < plan["pairs"] < 2000
    assert plan["pairs"] == math.ceil(723 * plan["design_effect"])  # exact sign test x design effect
    for win, loss in [(0.3413, 0.3360), (0.502, 0.498)]:  # crashed / said "no effect" before
        assert main(["plan", "--win", str(win), "--loss", str(loss), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["pairs"] > 100_000
    assert main(["plan", "--win", "0.4", "--loss", "0.4"]) == 0
    assert "no effect to detect" in capsys.readouterr().out
    assert main(["plan", "--win", "0.8", "--loss", "0.4"]) == 2


def test_stats_on_real_alpaca_eval_verdicts(capsys: pytest.CaptureFixture[str]) -> None:
    path = ALPACA / "vicuna-13b.gpt4.jsonl.gz"
    assert main(["stats", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["win"] + summary["counts"]["tie"] + summary["counts"]["loss"] == 805
    assert summary["extras"] == {}  # extras are for what users add; the file's facts are typed
    imported = summary["imported"]
    assert imported["tool"] == "alpaca_eval" and imported["file"] == path.name
    assert imported["rows"] == 805 and imported["skipped"] == 0
    theirs = imported["alpaca_eval"]
    assert summary["preference"]["estimate"] == pytest.approx(theirs["win_rate"] / 100, abs=1e-9)
    assert summary["preference"]["estimate"] == pytest.approx(theirs["preference"], abs=1e-12)


def test_bad_verdict_file_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,winner\n1,model\n2,maybe\n")
    assert main(["stats", str(path)]) == 2
    assert f"{path}:3" in capsys.readouterr().err


def test_margin_and_design_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _seed001(tmp_path)
    assert main(["stats", str(path), "--margin", "0.5", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["effect"]["margin"] == 0.5 and summary["effect"]["verdict"] == "equivalent"
    assert main(["plan", "--win", "0.5", "--loss", "0.4", "--icc", "0", "--batch-size", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pairs"] == 723
    assert (
        main(["plan", "--win", "0.5", "--loss", "0.4", "--icc", "0.3", "--batch-size", "10", "--json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["pairs"] == math.ceil(723 * 3.7)
    assert main(["stats", str(path), "--margin", "2"]) == 2  # a ConfigError, named, not a traceback
