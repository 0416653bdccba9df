"""Bad input: an InputError naming file and line, exit code 2, and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spine import BASE_FILE, FT_FILE, write_project

from judge.cli import main
from judge.errors import InputError
from judge.inputs import load_outputs, load_prompts


def _rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines))


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (
            ['{"id": "a", "prompt": "x"}', '{"id": "a", "prompt": "y"}'],
            2,
            "duplicate id 'a' (first on line 1)",
        ),
        (['{"id": "a", "prompt": "x"}', '{"id": "b", "prompt": '], 2, "not valid JSON"),
        (['{"id": "a", "prompt": "x"}', '["b", "y"]'], 2, "must be a JSON object"),
        (['{"prompt": "x"}'], 1, "no 'id' field: every prompt needs a unique id; found prompt"),
        (['{"id": "a", "prompt": "   "}'], 1, "has no 'prompt' text"),
    ],
)
def test_prompt_file_errors_name_file_and_line(
    tmp_path: Path, content: list[str], line: int, words: str
) -> None:
    path = tmp_path / "prompts.jsonl"
    _rewrite(path, content)
    with pytest.raises(InputError) as info:
        load_prompts(path)
    assert info.value.line == line and str(info.value).startswith(f"{path}:{line}: ")
    assert words in str(info.value)


def test_csv_prompts_and_bad_encoding(tmp_path: Path) -> None:
    good = tmp_path / "p.csv"
    good.write_text('id,prompt,category,difficulty\n1,"Add 2, 3",math,4\n2,Say hi,chat,\n', encoding="utf-8")
    items = load_prompts(good)
    assert [i.id for i in items] == ["1", "2"] and items[0].prompt == "Add 2, 3"
    assert items[0].category == "math" and items[0].metadata == {"difficulty": "4"}
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("id,prompt\n1,ok\n2,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1.csv:3: not UTF-8"):
        load_prompts(bad)


def test_output_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    _rewrite(path, ['{"id": "a", "output": "fine"}', '{"id": "b", "output": ""}'])
    with pytest.raises(InputError, match=r"out.jsonl:2: id 'b': empty output"):
        load_outputs(path, "base")
    _rewrite(path, ['{"id": "a", "output": 3}'])
    with pytest.raises(InputError, match=r"out.jsonl:1: id 'a': 'output' must be a string, not int"):
        load_outputs(path, "base")


@pytest.mark.parametrize("problem", ["missing_id", "unknown_id", "malformed"])
def test_cli_refuses_bad_outputs_with_exit_2_and_writes_nothing(
    tmp_path: Path, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_project(tmp_path, "http://127.0.0.1:9/v1")  # never reached: inputs fail first
    path = tmp_path / (FT_FILE if problem != "malformed" else BASE_FILE)
    lines = path.read_text().splitlines()
    if problem == "missing_id":
        lines = lines[:-1]
    elif problem == "unknown_id":
        lines.append(json.dumps({"id": "stranger", "output": "hello"}))
    else:
        lines[4] = lines[4][:-3]
    _rewrite(path, lines)
    assert main(["run", str(config), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    expected = {
        "missing_id": "no output for 1 prompt id(s)",
        "unknown_id": "not in the prompt set",
        "malformed": ":5: not valid JSON",
    }[problem]
    assert expected in " ".join(err.split())
    assert not (tmp_path / "results").exists()


def test_config_with_a_literal_key_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_project(
        tmp_path, "http://127.0.0.1:9/v1", judge_extra='api_key = "sk-live-abcdefghijklmnop"'
    )
    assert main(["run", str(config)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "keys never go in config files" in err and "sk-live-abcdefghijklmnop" not in err


def test_missing_api_key_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JUDGE_ABSENT_KEY", raising=False)
    config = write_project(
        tmp_path, "https://judge.invalid/v1", judge_extra='api_key_env = "JUDGE_ABSENT_KEY"'
    )
    assert main(["run", str(config), "--no-progress"]) == 2
    assert "set the JUDGE_ABSENT_KEY environment variable" in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "results").exists()
