"""kill -9 in the middle of a run, run again: nothing finished is sent twice, the verdicts are the same."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from fakeserver import FakeServer
from spine import write_project


def _judge_cli(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "judge.cli", "run", str(config), "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _judge_cli_ok(config: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "judge.cli", "run", str(config), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _messages_key(body: dict[str, object]) -> str:
    return json.dumps(body["messages"], sort_keys=True)


def _ledger(run_dir: Path) -> dict[str, str]:
    with sqlite3.connect(run_dir / "ledger.sqlite") as db:
        rows = db.execute("SELECT request, status FROM calls").fetchall()
    return {json.dumps(json.loads(req)["messages"], sort_keys=True): status for req, status in rows}


def _results(run_dir: Path) -> dict[str, str | None]:
    lines = (run_dir / "outcomes.jsonl").read_text().splitlines()
    return {row["item_id"]: row["result"] for row in map(json.loads, lines)}


def test_killed_run_resumes_without_paying_twice(tmp_path: Path) -> None:
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    killed.mkdir()
    clean.mkdir()
    with FakeServer(latency=0.4) as server:
        config = write_project(killed, server.base_url, n=30, judge_extra="concurrency = 1\nbatch_size = 3")
        proc = _judge_cli(config)
        deadline = time.monotonic() + 60
        while len(server.posts) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        ledger = _ledger(killed / "results" / "spine")
        done = {k for k, status in ledger.items() if status == "done"}
        assert 2 <= len(done) < 10, "the kill must land mid-run"
        first_run = len(server.posts)

        _judge_cli_ok(config)
        resent = [_messages_key(r["json"]) for r in server.posts[first_run:]]
        assert not done & set(resent), "a call finished before the kill was sent again"
        assert len(resent) == 10 - len(done)  # exactly the unfinished calls, once each

        config_clean = write_project(
            clean, server.base_url, n=30, judge_extra="concurrency = 1\nbatch_size = 3"
        )
        _judge_cli_ok(config_clean)
    assert _results(killed / "results" / "spine") == _results(clean / "results" / "spine")
    summary = json.loads((killed / "results" / "spine" / "summary.json").read_text())
    assert summary["usage"]["cached_calls"] == len(done)


def test_a_changed_max_tokens_is_a_new_call_in_the_ledger() -> None:
    from judge.config import JudgeSpec
    from judge.judging.render import Templates, request_for
    from judge.records import BlindPair

    pairs = [BlindPair(pair_id="p1", prompt="2+2?", output_a="4", output_b="5")]
    templates = Templates.load()
    small, _ = request_for(JudgeSpec(max_tokens=256), pairs, templates, 0)
    large, _ = request_for(JudgeSpec(max_tokens=4096), pairs, templates, 0)
    again, _ = request_for(JudgeSpec(max_tokens=256), pairs, templates, 0)
    assert small != large and small == again
