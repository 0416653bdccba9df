"""``judge check`` through the CLI on hostile outputs, as uid 65534: no key copies, each recorded.

Also the terminal side: an id with rich markup (``[/]``) or escape sequences is printed as text.
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_programs import ANSWER, Spec, programs
from nobody import needs_bwrap, processes_with, run_as

pytestmark = needs_bwrap
CLI = "import sys; from judge.cli import main; sys.exit(main())"
ODD_ID = "odd[/]id[bold]\x1b[31mred\x07"


@pytest.fixture
def folder() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="judge-cli-hostile-"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _files(folder: Path, spec: Spec) -> tuple[Path, Path, list[str]]:
    chosen = {
        k: v
        for k, v in programs(spec).items()
        if k not in ("infinite loop", "4 GB allocation", "well-behaved")
    }
    ids = [f"hostile-{i}" for i in range(len(chosen))] + [ODD_ID]
    meta = {"check": "procedural", "kind": "arithmetic", "answer": ANSWER}
    prompts = [{"id": i, "prompt": "Print 45 with Python.", "metadata": meta} for i in ids]
    codes = [code for code, _ in chosen.values()]
    outputs = [{"id": i, "output": f"```python\n{code}\n```"} for i, code in zip(ids, codes, strict=False)]
    outputs.append({"id": ODD_ID, "output": "```python\nprint(45)\n```"})
    for name, rows in (("prompts.jsonl", prompts), ("outputs.jsonl", outputs)):
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder / "prompts.jsonl", folder / "outputs.jsonl", ids


@pytest.mark.parametrize("nobody", [True, False], ids=["uid-65534", "current-user"])
def test_judge_check_on_hostile_outputs_leaks_nothing(nobody: bool, folder: Path) -> None:
    key = "sk-cli-hostile-" + secrets.token_hex(12)
    spec = Spec(port=9, precious=str(folder / "precious"), marker="judge-cli-" + secrets.token_hex(6))
    prompts, outputs, ids = _files(folder, spec)
    env = {"OPENAI_API_KEY": key, "COLUMNS": "200"}
    done = run_as(nobody, ["-c", CLI, "check", str(outputs), "--prompts", str(prompts), "--json"],
                  env=env, cwd=folder)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert key not in done.stdout + done.stderr and "sk-cli" not in done.stdout
    rows = json.loads(done.stdout)
    assert set(rows) == set(ids)
    for item_id in ids[:-1]:
        run = rows[item_id]["procedural"]
        assert run["correct"] is not True and run["reason"], (item_id, run)
        assert run["layers"][0] == "bubblewrap", run
    assert rows[ODD_ID]["procedural"]["correct"] is True
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    text = run_as(nobody, ["-c", CLI, "check", str(outputs), "--prompts", str(prompts)], env=env, cwd=folder)
    assert text.returncode == 0, text.stderr[-2000:]
    assert "odd[/]id[bold]\\x1b[31mred\\x07: " in text.stdout  # literal, escaped, not interpreted
    assert key not in text.stdout + text.stderr
    assert processes_with(spec.marker) == []


def test_judge_check_without_bubblewrap_runs_nothing_and_says_how_to_install(folder: Path) -> None:
    marker = folder / "executed"
    meta = {"check": "procedural", "kind": "arithmetic", "answer": ANSWER}
    (folder / "prompts.jsonl").write_text(
        json.dumps({"id": "p1", "prompt": "Print 45.", "metadata": meta}) + "\n"
    )
    code = f"open({str(marker)!r}, 'w').write('ran')\nprint(45)"
    (folder / "outputs.jsonl").write_text(
        json.dumps({"id": "p1", "output": f"```python\n{code}\n```"}) + "\n"
    )
    argv = ["-c", CLI, "check", str(folder / "outputs.jsonl"), "--prompts", str(folder / "prompts.jsonl")]
    done = run_as(False, argv, env={"PATH": str(folder), "COLUMNS": "300"}, cwd=folder)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "not run: sandbox unavailable" in done.stdout and "sudo apt-get install bubblewrap" in done.stdout
    assert not marker.exists()
