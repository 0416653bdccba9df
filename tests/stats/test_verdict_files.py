"""verdict_files on the real AlpacaEval files and on malformed files (exact file:line)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from judge.errors import InputError
from judge.imports.verdict_files import alpaca_eval_preference, is_alpaca_eval, load_verdicts
from judge.stats import preference

DATA = Path(__file__).parents[2] / ".." / "shared" / "data" / "alpaca_eval"
FILES = sorted(DATA.glob("*.jsonl.gz"))
_SCORE = {"win": 1.0, "tie": 0.5, "loss": 0.0}


def _their_way(path: Path) -> tuple[float, float]:
    """AlpacaEval's head-to-head numbers, recomputed independently with pandas from raw rows."""
    with gzip.open(path, "rt") as handle:
        prefs = pd.Series([json.loads(line)["preference"] for line in handle], dtype=float)
    prefs = prefs.replace({0.0: 1.5})
    prefs = prefs[(prefs >= 1) & (prefs <= 2)] - 1
    return float(prefs.mean() * 100), float(prefs.sem() * 100)


def test_real_files_are_present() -> None:
    assert len(FILES) == 7


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_ours_equals_alpaca_eval_on_the_real_files(path: Path) -> None:
    outcomes = load_verdicts(path)
    assert len(outcomes) == 805 and is_alpaca_eval(path)
    judged = [o for o in outcomes if o.status == "judged"]
    scores = np.array([_SCORE[o.result] for o in judged if o.result])
    ours = preference(scores, [o.cluster for o in judged], n_resamples=200)
    win_rate, se = _their_way(path)
    reported = alpaca_eval_preference(path)
    assert abs(100 * ours.statistic - win_rate) <= 1e-9 and abs(100 * ours.standard_error - se) <= 1e-9
    assert reported.win_rate is not None and reported.standard_error is not None
    assert abs(reported.win_rate - win_rate) <= 1e-9 and abs(reported.standard_error - se) <= 1e-9
    assert reported.n_total == len(judged)
    assert {o.category for o in outcomes} == {"helpful_base", "koala", "oasst", "selfinstruct", "vicuna"}


def test_known_leaderboard_numbers_and_sides() -> None:
    # output_2 is the model: GPT-4 beats text-davinci-003 almost always, alpaca-7b mostly loses.
    assert alpaca_eval_preference(DATA / "gpt4.gpt4.jsonl.gz").win_rate == pytest.approx(95.2795, abs=1e-4)
    outcomes = load_verdicts(DATA / "alpaca-7b.gpt4.jsonl.gz")
    counts = {r: sum(o.result == r for o in outcomes) for r in ("win", "loss", "tie")}
    assert counts == {"win": 205, "loss": 584, "tie": 16}
    claude = load_verdicts(DATA / "claude-2.gpt4.jsonl.gz")
    failed = [o for o in claude if o.status == "failed"]
    assert len(failed) == 1 and failed[0].item_id == "483" and failed[0].result is None
    cot = load_verdicts(DATA / "alpaca-7b.cot.jsonl.gz")
    assert "Model M" in cot[0].rationale


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_winner_column_csv_with_optional_columns(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "v.csv",
        'id,winner,category,confidence,rationale,cluster\n1,model,math,high,"two\nlines",c1\n'
        "2,baseline,math,,,c1\n3,tie,code,LOW,,c2\n4,failed,code,,,c2\n5,Finetuned,,,,\n",
    )
    got = load_verdicts(path)
    assert [o.result for o in got] == ["win", "loss", "tie", None, "win"]
    assert got[0].rationale == "two\nlines" and got[2].confidence == "low" and got[3].status == "failed"
    assert got[4].category == "all" and got[4].cluster == "row:7"


def test_blind_labels_with_key_file_and_gzip_jsonl(tmp_path: Path) -> None:
    rows = [{"id": "p1", "winner": "A"}, {"id": "p2", "winner": "A"}, {"id": "p3", "winner": "tie"}]
    path = tmp_path / "v.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(json.dumps(r) for r in rows) + "\n")
    key = _write(tmp_path / "key.csv", "pair_id,a_role\np1,finetuned\np2,base\np3,base\n")
    got = load_verdicts(path, key_path=key)
    assert [o.result for o in got] == ["win", "loss", "tie"]
    assert [o.finetuned_label for o in got] == ["A", "B", "B"] and got[0].judge_label == "A"


def test_alpaca_eval_json_array(tmp_path: Path) -> None:
    rows = [{"output_1": "x", "preference": 2}, {"output_1": "y", "preference": 1.5}]
    path = _write(tmp_path / "annotations.json", json.dumps(rows, indent=2))
    got = load_verdicts(path)
    assert [o.result for o in got] == ["win", "tie"] and got[1].item_id == "6"


@pytest.mark.parametrize(
    "name,text,line,fragment",
    [
        ("a.jsonl", '{"winner": "model"}\n\n{"winner": "model"\n', 3, "not valid JSON"),
        ("b.jsonl", '{"winner": "model"}\n[1, 2]\n', 2, "JSON object"),
        ("c.csv", "id,winner\n1,model\n2,maybe\n", 3, "'maybe'"),
        ("d.csv", 'id,winner,rationale\n1,model,"a\nb"\n2,A,x\n', 4, "key file"),
        ("e.csv", "id,winner\n1,model\n1,tie\n", 3, "already used on line 2"),
        ("f.jsonl", '{"output_1": "x", "preference": 7}\n', 1, "preference 7"),
        ("g.csv", "id,winner,confidence\n1,model,sure\n", 2, "confidence"),
        ("h.csv", "id,verdict\n1,model\n", 2, "no 'winner'"),
        ("i.csv", "id,winner\n1,model,extra\n", 2, "more fields"),
    ],
)
def test_malformed_files_name_file_and_line(
    tmp_path: Path, name: str, text: str, line: int, fragment: str
) -> None:
    path = _write(tmp_path / name, text)
    with pytest.raises(InputError) as info:
        load_verdicts(path)
    assert info.value.line == line and str(info.value).startswith(f"{path}:{line}: ")
    assert fragment in str(info.value)


def test_whole_file_problems(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_verdicts(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="unknown file type"):
        load_verdicts(_write(tmp_path / "v.txt", "x"))
    with pytest.raises(InputError, match="no verdicts"):
        load_verdicts(_write(tmp_path / "empty.csv", "id,winner\n"))
    bad_key = _write(tmp_path / "key.csv", "id,finetuned_label\np1,C\n")
    with pytest.raises(InputError) as info:
        load_verdicts(_write(tmp_path / "v.csv", "id,winner\np1,A\n"), key_path=bad_key)
    assert info.value.path == bad_key and info.value.line == 2
