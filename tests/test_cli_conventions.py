"""The conventions users know: --version, help on every option, --json on every verb, -v/-q,
a fast --help, a CI gate with its own exit code, messages that name what was found."""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from judge.cli import build_parser, main
from judge.cli.logs import configured
from judge.cli.options import GATE_EXIT
from judge.config import load_config
from judge.errors import ConfigError, InputError, redact
from judge.inputs import load_outputs

ROOT = Path(__file__).resolve().parents[1]


def _verbs() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_option_of_every_verb_has_help_and_every_verb_has_json() -> None:
    verbs = _verbs()
    assert len(verbs) >= 13
    for name, parser in verbs.items():
        options = {o for a in parser._actions for o in a.option_strings}
        assert "--json" in options, f"judge {name} has no --json"
        for action in parser._actions:
            assert action.help and action.help != argparse.SUPPRESS, (
                f"judge {name}: {action.dest} has no help"
            )


def test_top_level_help_is_for_users_and_lists_every_verb(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "the only place that reads argv" not in text and "README.md" in text
    assert all(f"\n    {verb} " in text or f"\n    {verb}\n" in text for verb in _verbs())
    assert f"  {GATE_EXIT}    --fail-if-worse" in text


def test_version_and_python_m_judge() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "judge", "--version"], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.startswith("judge 0.")


def test_help_path_imports_no_heavy_module() -> None:
    code = (
        "import sys\nfrom judge.cli.main import build_parser\nbuild_parser().format_help()\n"
        "heavy = [m for m in ('pandas', 'numpy', 'scipy', 'openai', 'pydantic') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def _verdicts(tmp_path: Path, wins: int, losses: int, ties: int) -> Path:
    rows = ["model"] * wins + ["baseline"] * losses + ["tie"] * ties
    path = tmp_path / "v.csv"
    path.write_text("id,winner\n" + "".join(f"q{i},{w}\n" for i, w in enumerate(rows)))
    return path


@pytest.mark.parametrize(
    ("split", "flag", "code"),
    [
        ((12, 40, 8), "--fail-if-worse", GATE_EXIT),
        ((40, 12, 8), "--fail-if-worse", 0),
        ((10, 8, 2), "--fail-if-worse", 0),  # inconclusive is not worse
        ((10, 8, 2), "--fail-unless-better", GATE_EXIT),
        ((40, 12, 8), "--fail-unless-better", 0),
    ],
)
def test_ci_gate_exit_code(
    tmp_path: Path, split: tuple[int, int, int], flag: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats", str(_verdicts(tmp_path, *split)), flag, "--json"]) == code
    out, err = capsys.readouterr()
    json.loads(out)  # stdout stays pure JSON; the gate's reason goes to stderr
    assert ("gate failed" in err) == (code == GATE_EXIT)


def test_gate_code_collides_with_no_other() -> None:
    assert GATE_EXIT not in {0, 1, 2, 3, 4, 5, 130}


def test_redact_keeps_words_and_removes_keys() -> None:
    assert (
        redact("set the OPENAI_API_KEY environment variable") == "set the OPENAI_API_KEY environment variable"
    )
    assert redact("api key: required") == "api key: required"
    for secret in ("sk-proj-abcdef123456", "tok_9f8e7d6c5b4a", "abcdefghijklmnopqrstuvwxyzABCD"):
        assert secret not in redact(f"api_key={secret}") and secret not in redact(f"Bearer {secret}")
    assert ConfigError("set the OPENAI_API_KEY environment variable").args[0].endswith("environment variable")


def test_misspelt_config_key_gets_did_you_mean(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        'name = "x"\nprompts = "p.jsonl"\nsedd = 3\n[models.finetuned]\nname = "a"\noutptus = "o.jsonl"\n'
        '[models.base]\nname = "b"\noutputs = "o.jsonl"\n[stats]\nalhpa = 0.1\n'
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "[sedd] unknown key; did you mean 'seed'?" in text
    assert "[models.finetuned.outptus] unknown key; did you mean 'outputs'?" in text
    assert "[stats.alhpa] unknown key; did you mean 'alpha'?" in text


def test_renamed_output_field_names_what_was_found(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text('{"id": "a", "response": "hi"}\n')
    with pytest.raises(InputError, match=r"out.jsonl:1: id 'a': no 'output' field; found id, response"):
        load_outputs(path, "base")


def test_repeated_log_lines_collapse_unless_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    log = logging.getLogger("judge.client")
    with configured():
        for attempt in range(25):
            log.warning("%s attempt %d failed (%s); retry in %.2fs", "http://x/v1", attempt, "refused", 1.0)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and "20 like this so far" in lines[-1]
    with configured(verbose=1):
        for attempt in range(5):
            log.warning("%s attempt %d failed", "http://x/v1", attempt)
        log.debug("not at -v")
    assert len(capsys.readouterr().err.splitlines()) == 5
    with configured(quiet=1):
        log.warning("hidden")
    assert capsys.readouterr().err == ""
    assert not logging.getLogger("judge").handlers  # put back as found


def test_api_docstrings_cite_only_files_that_exist() -> None:
    import re

    import judge
    from judge import api

    for doc in (judge.__doc__, api.compare.__doc__, api.load_run.__doc__, api.stats_for_file.__doc__):
        for cited in re.findall(r"\bexamples/[\w./-]+\.\w+", doc or ""):
            assert (ROOT / cited).exists(), f"a docstring cites {cited}, which does not exist"


def test_misspelt_verb_gets_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["stat", "x.csv"])
    assert info.value.code == 2 and "did you mean 'stats'?" in capsys.readouterr().err
