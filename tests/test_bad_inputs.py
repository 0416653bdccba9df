"""Every bad input is a clear error (file, line or key, and what to do), exit 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeserver import FakeServer, parse_comparisons
from spine import BASE_FILE, FT_FILE, write_project

from judge.api import plan
from judge.cli import main
from judge.errors import ConfigError


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    for word in words:
        assert word in err, err
    assert "Traceback" not in err
    return err


def _argparse_fails(argv: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    for word in words:
        assert word in err, err


def test_a_config_without_models_base(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_project(tmp_path, fake_server.base_url)
    text = config.read_text()
    config.write_text(text[: text.index("[models.base]")] + text[text.index("[judge]") :])
    _fails(["run", str(config)], capsys, "run.toml", "no [models.base] section", "add [models.base]")
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("results", ["results", "results/deeper"])
def test_a_results_path_that_is_a_file(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str], results: str
) -> None:
    config = write_project(tmp_path, fake_server.base_url)
    config.write_text(config.read_text().replace('results = "results"', f'results = "{results}"'))
    (tmp_path / "results").write_text("not a folder")
    _fails(["run", str(config)], capsys, "[results]", "results is a file, not a folder")
    assert fake_server.posts == []


def test_a_failed_input_removes_only_the_folders_it_made(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_project(tmp_path, fake_server.base_url)
    text = config.read_text().replace('results = "results"', 'results = "out/runs"')
    config.write_text(text.replace(f'outputs = "{BASE_FILE}"', 'bundled = "no-such-model"'))
    (tmp_path / "out").mkdir()
    _fails(["run", str(config)], capsys, "unknown bundled model")
    assert list((tmp_path / "out").iterdir()) == [], "out/ was there before; runs/ was made and removed"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["plan", "--win", "0.5", "--loss", "0.4", "--power", "1.5"], ["--power", "between 0 and 1"]),
        (["plan", "--win", "0.5", "--loss", "0.4", "--alpha", "2"], ["--alpha", "between 0 and 1"]),
        (["stats", "verdicts.csv", "--alpha", "0"], ["--alpha", "between 0 and 1"]),
        (["run", "x.toml", "--limit", "0"], ["--limit", "not at least 1"]),
        (["run", "x.toml", "--limit", "-3"], ["--limit", "not at least 1"]),
        (["run", "x.toml", "--limit", "three"], ["--limit", "not a whole number"]),
    ],
)
def test_bad_options(argv: list[str], words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    _argparse_fails(argv, capsys, *words)


def test_the_api_checks_its_shares() -> None:
    with pytest.raises(ConfigError, match=r"--power 1\.5"):
        plan(0.5, 0.4, power=1.5)
    from judge.api import stats_for_file

    with pytest.raises(ConfigError, match="--alpha 0"):
        stats_for_file("whatever.csv", alpha=0)


def test_limit_with_one_side_from_a_file_and_the_other_generated(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_project(tmp_path, fake_server.base_url)
    text = config.read_text().replace(
        f'outputs = "{BASE_FILE}"', f'base_url = "{fake_server.base_url}"\nmodel = "base-model"'
    )
    config.write_text(text)
    assert main(["run", str(config), "--limit", "3", "--no-progress"]) == 0
    outcomes = (tmp_path / "results" / "spine" / "outcomes.jsonl").read_text().splitlines()
    assert len(outcomes) == 3
    generated = [r for r in fake_server.posts if not parse_comparisons(r["json"]["messages"][-1]["content"])]
    assert len(generated) == 3, "only the 3 prompts in the limit are generated"


def test_a_config_error_after_the_ledger_was_opened_leaves_nothing(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_project(tmp_path, fake_server.base_url)
    config.write_text(config.read_text().replace(f'outputs = "{BASE_FILE}"', 'bundled = "no-such-model"'))
    _fails(["run", str(config)], capsys, "unknown bundled model 'no-such-model'")
    assert not (tmp_path / "results" / "spine").exists()


def test_a_missing_prompts_folder_is_refused_before_anything_is_written(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_project(tmp_path, fake_server.base_url, judge_extra='prompts = "no-such-folder"')
    _fails(["run", str(config)], capsys, "judge prompt template missing", "no-such-folder")
    assert not (tmp_path / "results").exists()


def test_a_raw_line_separator_inside_a_json_string_is_valid_jsonl(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    config = write_project(tmp_path, fake_server.base_url, n=3)
    prompts = tmp_path / "prompts.jsonl"
    rows = [json.loads(line) for line in prompts.read_text().splitlines()]
    rows[1]["prompt"] = "first part\u2028second part\u2029third"
    prompts.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    assert "\u2028" in prompts.read_text()
    assert main(["run", str(config), "--no-progress"]) == 0
    pairs = (tmp_path / "results" / "spine" / "pairs.jsonl").read_text()
    assert "first part\\u2028second part" in pairs or "first part\u2028second part" in pairs


@pytest.mark.parametrize("category", [{"name": "math"}, ["math"], True])
def test_a_category_that_is_not_a_name(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str], category: object
) -> None:
    config = write_project(tmp_path, fake_server.base_url, n=3)
    prompts = tmp_path / "prompts.jsonl"
    rows = [json.loads(line) for line in prompts.read_text().splitlines()]
    rows[2]["category"] = category
    prompts.write_text("".join(json.dumps(r) + "\n" for r in rows))
    _fails(["run", str(config)], capsys, "prompts.jsonl:3", "'category' must be a name")
    assert not (tmp_path / "results").exists()


def test_a_huge_output_is_cut_for_the_judge_and_kept_whole(tmp_path: Path, fake_server: FakeServer) -> None:
    config = write_project(tmp_path, fake_server.base_url, n=3, judge_extra="max_output_chars = 5000")
    outputs = tmp_path / FT_FILE
    rows = [json.loads(line) for line in outputs.read_text().splitlines()]
    rows[0]["output"] = "[good] " + "lorem ipsum " * 450_000  # 5.4 MB
    outputs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["run", str(config), "--no-progress"]) == 0
    sent = max(len(json.dumps(r["json"])) for r in fake_server.posts)
    assert sent < 20_000, "the judge never receives the 5 MB output"
    run_dir = tmp_path / "results" / "spine"
    generations = [json.loads(line) for line in (run_dir / "generations.jsonl").read_text().splitlines()]
    assert max(len(g["output"]) for g in generations) > 5_000_000, "the full text is kept"
    audit = [json.loads(line) for line in (run_dir / "audit.jsonl").read_text().splitlines()]
    cut = [r for r in audit if "output cut here for the judge" in r["output_a"] + r["output_b"]]
    assert len(cut) == 1 and "5,395,007 more characters not shown" in cut[0]["output_a"] + cut[0]["output_b"]
    notes = json.loads((run_dir / "summary.json").read_text())["notes"]
    assert notes["outputs_cut"]["count"] == 1 and notes["outputs_cut"]["limit"] == 5000
