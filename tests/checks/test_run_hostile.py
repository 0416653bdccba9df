"""``judge run`` through the CLI as uid 65534 on hostile fine-tuned outputs, judged by a real HTTP fake.

The key the judge process holds must appear in no file of the run and on no output stream; the
run must finish (its parent folder intact), every hostile program recorded as failed with a
reason, and no process left behind.
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakeserver import FakeServer
from hostile_programs import ANSWER, Spec, programs
from nobody import needs_bwrap, processes_with, run_as

pytestmark = needs_bwrap
CLI = "import sys; from judge.cli import main; sys.exit(main())"
SKIP = ("infinite loop", "4 GB allocation", "well-behaved")  # the same limits; kept short here


@pytest.fixture
def folder() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="judge-run-hostile-"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _project(folder: Path, base_url: str, spec: Spec) -> list[str]:
    chosen = [code for name, (code, _) in programs(spec).items() if name not in SKIP]
    ids = [f"hostile-{i:02d}" for i in range(len(chosen))]
    meta = {"check": "procedural", "kind": "arithmetic", "answer": ANSWER}
    rows = {
        "prompts.jsonl": [{"id": i, "prompt": "Print 45 with Python.", "metadata": meta} for i in ids],
        "ft.jsonl": [{"id": i, "output": f"```python\n{c}\n```"} for i, c in zip(ids, chosen, strict=True)],
        "base.jsonl": [{"id": i, "output": "```python\nprint(45)\n```"} for i in ids],
    }
    for name, lines in rows.items():
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in lines))
    (folder / "run.toml").write_text(
        'name = "hostile"\nprompts = "prompts.jsonl"\nresults = "results"\n'
        '[models.finetuned]\nname = "ft"\noutputs = "ft.jsonl"\n'
        '[models.base]\nname = "base"\noutputs = "base.jsonl"\n'
        f'[judge]\nbase_url = "{base_url}"\nmax_retries = 0\n[stats]\nbootstrap_resamples = 200\n'
    )
    return ids


def test_judge_run_as_uid_65534_on_hostile_outputs(folder: Path) -> None:
    key = "sk-run-hostile-" + secrets.token_hex(12)
    spec = Spec(port=9, precious=str(folder / "results"), marker="judge-run-" + secrets.token_hex(6))
    with FakeServer() as server:
        ids = _project(folder, server.base_url, spec)
        done = run_as(True, ["-c", CLI, "run", "run.toml", "--no-progress", "--json"],
                      env={"OPENAI_API_KEY": key}, cwd=folder)  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        assert server.posts and all(key in r["headers"].get("authorization", "") for r in server.posts)
    assert key not in done.stdout + done.stderr
    run_dir = folder / "results" / "hostile"
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert (run_dir / "summary.json").exists() and (run_dir / "generations.jsonl").exists()
    leaks = [str(p) for p in files if key.encode() in p.read_bytes()]
    assert leaks == []
    gens = [json.loads(line) for line in (run_dir / "generations.jsonl").read_text().splitlines()]
    for gen in gens:
        run = gen["checks"]["procedural"]
        if gen["role"] == "finetuned":
            assert gen["item_id"] in ids and run["correct"] is False and run["reason"], run
            assert run["layers"][0] == "bubblewrap"
        else:
            assert run["correct"] is True
    assert not Path(f"/tmp/{spec.marker}").exists()
    assert processes_with(spec.marker) == []
