"""Finished runs as a collection: load_run round-trips, `judge stats RUN_DIR`, `judge diff`, texts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeserver import FakeServer
from spine import write_project

import judge
from judge.cli import main


def _run(root: Path, base_url: str, ft_good: set[int]) -> judge.CompareResult:
    root.mkdir()
    result = judge.compare(write_project(root, base_url, ft_good=ft_good))
    assert isinstance(result, judge.CompareResult)
    return result


def test_load_run_round_trips_compare(tmp_path: Path, fake_server: FakeServer) -> None:
    first = _run(tmp_path / "a", fake_server.base_url, set(range(8)))
    again = judge.load_run(first.run_dir)
    assert again.summary == first.summary and again.outcomes == first.outcomes
    assert again.run_dir == first.run_dir and again.exit_code == first.exit_code
    assert again.to_dataframe().equals(first.to_dataframe())
    df = again.to_dataframe(texts=True)
    row = df.set_index("item_id").loc["item-003"]
    assert row.prompt == "What is 3 + 3?" and "[good]" in row.output_finetuned
    assert row.output_base == "It is probably 7."


def test_load_run_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(judge.ConfigError, match="no such run folder"):
        judge.load_run(tmp_path / "nope")
    with pytest.raises(judge.InputError, match="not a finished run folder"):
        judge.load_run(tmp_path)


def test_stats_on_a_run_folder_recomputes_with_another_alpha_and_margin(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _run(tmp_path / "a", fake_server.base_url, set(range(8)))
    before = (result.run_dir / "summary.json").read_bytes()
    assert main(["stats", str(result.run_dir), "--alpha", "0.2", "--margin", "0.3", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["sign_test"]["alpha"] == 0.2 and summary["effect"]["margin"] == 0.3
    assert summary["counts"] == result.summary.model_dump(mode="json")["counts"]
    assert summary["run_id"] == result.summary.run_id
    assert (result.run_dir / "summary.json").read_bytes() == before  # recomputed, never rewritten


def test_stats_on_a_run_folder_gives_the_run_its_own_numbers(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _run(tmp_path / "a", fake_server.base_url, set(range(8)))
    assert main(["stats", str(result.run_dir), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    want = result.summary.model_dump(mode="json")
    for key in ("preference", "net_win_rate", "sign_test", "effect", "counts", "conclusion"):
        assert summary[key] == want[key], key


def test_stats_on_a_run_folder_keeps_what_the_run_measured_of_its_judge(tmp_path: Path) -> None:
    # A judge that always answers "A": the run finds it not trustworthy (position bias). Recomputing
    # with another alpha must not forget that and call the judge reliable.
    with FakeServer(policy=lambda prompt, a, b: "A") as server:
        result = _run(tmp_path / "a", server.base_url, set(range(8)))
    assert result.summary.judge_reliability is not None
    assert result.summary.judge_reliability.verdict == "not trustworthy here"
    again = judge.collection.restat(result.run_dir, alpha=0.2)
    assert again.judge_reliability == result.summary.judge_reliability
    assert again.verification == result.summary.verification
    assert "position-biased" in result.summary.conclusion and "position-biased" in again.conclusion
    assert again.sign_test.alpha == 0.2


def test_diff_of_two_runs(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    v2 = _run(tmp_path / "v2", fake_server.base_url, {0, 1, 2})
    v3 = _run(tmp_path / "v3", fake_server.base_url, set(range(8)))
    change = judge.diff_runs(v2.run_dir, v3.run_dir)
    assert change.shared_items == 12 and change.change is not None and change.change > 0
    assert {f.item_id for f in change.flips} == {f"item-{i:03d}" for i in range(3, 8)}
    assert all(f.after == "win" for f in change.flips)
    assert change.ci_low is not None and change.ci_high is not None
    assert change.ci_low < change.change < change.ci_high
    assert main(["diff", str(v2.run_dir), str(v3.run_dir), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["flips"]) == 5 and payload["a"]["pairs"] == v2.summary.counts.n
    assert main(["diff", str(v2.run_dir), str(v3.run_dir)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "5 of 12 shared items flipped" in text and "change B - A: +" in text


def test_run_gate_fails_a_worse_finetune_with_exit_6(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_project(tmp_path, fake_server.base_url, n=40, ft_good=set(), base_good=set(range(40)))
    assert main(["run", str(config), "--no-progress", "--json", "--fail-if-worse"]) == 6
    out, err = capsys.readouterr()
    assert json.loads(out)["effect"]["verdict"] == "worse" and "gate failed" in err
    run_dir = tmp_path / "results" / "spine"
    assert main(["stats", str(run_dir), "--fail-unless-better"]) == 6


def test_init_and_report_speak_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "j.toml"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"wrote": str(tmp_path / "j.toml")}
    verdicts = tmp_path / "v.csv"
    verdicts.write_text("id,winner\n" + "".join(f"q{i},{'model' if i % 3 else 'tie'}\n" for i in range(30)))
    assert main(["report", str(verdicts), "--results", str(tmp_path / "results"), "--json"]) == 0
    written = json.loads(capsys.readouterr().out)["written"]
    assert all(Path(p).is_file() for p in written) and len(written) == 2
    assert main(["runs", "--results", str(tmp_path / "results"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["pairs"] == 30
