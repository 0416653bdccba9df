"""How runs end: exit codes, a re-run that finishes what failed, one writer per folder, whole-run totals.

Every scenario runs the real CLI against the scripted server over real HTTP, with a real ledger.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakeserver import Auto, Content, Fail, FakeServer, parse_comparisons
from spine import write_project

from judge.cli import main


def _summary(run_dir: Path) -> dict[str, object]:
    return json.loads((run_dir / "summary.json").read_text())  # type: ignore[no-any-return]


def _pair_ids(server: FakeServer, run_dir: Path) -> list[set[str]]:
    """The pair ids each request asked about (the judge sees call-local ids: found by content)."""
    rows = map(json.loads, (run_dir / "pairs.jsonl").read_text().splitlines())
    by_text = {(p["prompt"], p["output_a"], p["output_b"]): p["pair_id"] for p in rows}
    return [{by_text[c[1:]] for c in parse_comparisons(r["json"]["messages"][-1]["content"])}
            for r in server.posts]  # fmt: skip


def _cli(*args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "judge.cli", *args, "--no-progress"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def _ok(proc: subprocess.Popen[str]) -> bool:
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return True


def test_a_judge_answering_401_ends_with_exit_3_naming_the_cause(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_server.script(*[Fail(401)] * 20)
    config = write_project(tmp_path, fake_server.base_url, judge_extra="concurrency = 1")
    assert main(["run", str(config), "--no-progress"]) == 3
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "12 of 12 pairs are left" in err and "run the same command again" in err
    assert len(fake_server.posts) == 1, "no call is sent after the endpoint refused the key"
    run = _summary(tmp_path / "results" / "spine")["run"]
    assert run["exit_code"] == 3 and run["pairs_left"] == 12 and "401" in run["failure"]  # type: ignore[index]
    report = (tmp_path / "results" / "spine" / "report.md").read_text()
    assert "This run is not finished" in report and "HTTP 401" in report
    assert main(["report", str(tmp_path / "results" / "spine")]) == 3
    fake_server.reset()  # the judge accepts the key again: the same command finishes everything
    assert main(["run", str(config), "--no-progress"]) == 0
    assert _summary(tmp_path / "results" / "spine")["run"]["pairs_left"] == 0  # type: ignore[index]


def test_a_refused_connection_ends_with_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    config = write_project(tmp_path, f"http://127.0.0.1:{port}/v1", judge_extra="backoff = 0.01")
    assert main(["run", str(config), "--no-progress"]) == 3
    err = capsys.readouterr().err
    assert "connection refused" in err and f"127.0.0.1:{port}" in err and "12 of 12 pairs are left" in err
    assert (tmp_path / "results" / "spine" / "summary.json").is_file(), "results are written all the same"


def test_pairs_failed_on_unreadable_replies_are_recovered_by_a_rerun(tmp_path: Path) -> None:
    draw = random.Random(13)
    junk = [Content("Both are fine, I think.") if draw.random() < 0.7 else Auto() for _ in range(400)]
    with FakeServer() as bad:
        bad.script(*junk)
        config = write_project(tmp_path, bad.base_url, n=50, judge_extra="concurrency = 2")
        assert main(["run", str(config), "--no-progress"]) == 4
        first_calls = len(bad.posts)
    first = _summary(tmp_path / "results" / "spine")
    failed = first["counts"]["failed"]  # type: ignore[index]
    assert failed > 0
    left = {
        row["pair_id"]
        for row in map(
            json.loads, (tmp_path / "results" / "spine" / "judgments.jsonl").read_text().splitlines()
        )
        if row["status"] == "failed"
    }
    with FakeServer() as good:
        config = write_project(tmp_path, good.base_url, n=50, judge_extra="concurrency = 2")
        assert main(["run", str(config), "--no-progress"]) == 0
        asked = set().union(*_pair_ids(good, tmp_path / "results" / "spine"))
    second = _summary(tmp_path / "results" / "spine")
    counts = second["counts"]
    assert counts["failed"] == 0 and counts["win"] + counts["tie"] + counts["loss"] == 50  # type: ignore[index]
    assert asked == left, "a re-run asks again for exactly the failed pairs, and for nothing finished"
    assert len(good.posts) == -(-len(left) // 5), "in full batches of five, not one by one"
    history = second["run"]["invocations"]  # type: ignore[index]
    assert [h["recovered_pairs"] for h in history] == [0, len(left)]
    assert history[0]["new_calls"] == first_calls and history[1]["new_calls"] == len(good.posts)
    audit = (tmp_path / "results" / "spine" / "ledger.sqlite").read_bytes()
    assert b"Both are fine, I think." in audit, "unreadable replies stay in the ledger for the audit"


def test_two_runs_of_one_folder_never_pay_twice(tmp_path: Path) -> None:
    # The first run's calls are slow until the rival has been turned away, so the first surely holds
    # the folder while the second starts, however loaded the machine is.
    with FakeServer(latency=20.0) as server:
        config = write_project(tmp_path, server.base_url, judge_extra="concurrency = 1")
        config.write_text(config.read_text().replace("timeout = 5", "timeout = 60"))  # the stall is no fault
        first = _cli("run", str(config))
        procs = [first]
        try:
            deadline = time.monotonic() + 60
            while not server.posts and time.monotonic() < deadline:
                time.sleep(0.05)
            second = _cli("run", str(config))
            procs.append(second)
            _, err = second.communicate(timeout=120)
            server.latency = 0.0  # the call in flight still waits; the rest go fast
            assert second.returncode == 5
            assert f"pid {first.pid}" in err and "--wait" in err
            queued = _cli("run", str(config), "--wait")
            procs.append(queued)
            assert _ok(first) and _ok(queued)
            assert len(server.posts) == 3, "3 calls, each sent once"
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                proc.communicate()
    usage = _summary(tmp_path / "results" / "spine")["usage"]
    assert usage["new_calls"] == 0 and usage["cached_calls"] == 3  # type: ignore[index]


def test_killed_and_resumed_run_reports_the_tokens_and_cost_of_an_uninterrupted_one(tmp_path: Path) -> None:
    extra = "concurrency = 1\nbatch_size = 3\nprice_input_per_mtok = 2.5\nprice_output_per_mtok = 10.0"
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    killed.mkdir()
    clean.mkdir()
    with FakeServer(latency=0.3) as server:
        config = write_project(killed, server.base_url, n=30, judge_extra=extra)
        proc = _cli("run", str(config))
        deadline = time.monotonic() + 60
        while len(server.posts) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        assert _ok(_cli("run", str(config)))
        assert _ok(_cli("run", str(write_project(clean, server.base_url, n=30, judge_extra=extra))))
    resumed, whole = (_summary(d / "results" / "spine")["usage"] for d in (killed, clean))
    for field in ("calls", "prompt_tokens", "completion_tokens", "cost_usd"):
        assert resumed[field] == whole[field], field  # type: ignore[index]
    assert resumed["prompt_tokens"] > 0 and resumed["new_calls"] < whole["new_calls"]  # type: ignore[index]


def test_one_config_run_from_two_folders_pays_for_each_call_once(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    config = write_project(project, fake_server.base_url)
    config.write_text(config.read_text().replace('results = "results"\n', ""))
    for cwd in (tmp_path, project):
        monkeypatch.chdir(cwd)
        assert main(["run", "project/run.toml" if cwd == tmp_path else "run.toml", "--no-progress"]) == 0
    assert len(fake_server.posts) == 3
    assert (project / "results" / "spine" / "summary.json").is_file()
    assert not (tmp_path / "results").exists()


def test_a_changed_setting_never_overwrites_a_run_silently(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_project(tmp_path, fake_server.base_url)
    assert main(["run", str(config), "--no-progress"]) == 0
    key = (tmp_path / "results" / "spine" / "key.jsonl").read_text()
    config.write_text(config.read_text().replace("seed = 7", "seed = 8").replace("judge-model", "judge-2"))
    capsys.readouterr()
    assert main(["run", str(config), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "seed: 7 -> 8" in err and "judge.model: 'judge-model' -> 'judge-2'" in err and "--replace" in err
    assert (tmp_path / "results" / "spine" / "key.jsonl").read_text() == key
    assert main(["run", str(config), "--no-progress", "--replace"]) == 0
    assert (tmp_path / "results" / "spine" / "key.jsonl").read_text() != key
    assert len(_summary(tmp_path / "results" / "spine")["run"]["invocations"]) == 1  # type: ignore[index]
    assert main(["run", str(config), "--no-progress"]) == 0, "the replaced run is now this config's"


def test_json_output_stays_pure_json(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_server.script(Content("not a verdict"), *[Content("still not")] * 10)
    config = write_project(tmp_path, fake_server.base_url, n=5, judge_extra="concurrency = 1")
    assert main(["run", str(config), "--no-progress", "--json"]) == 4
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["run"]["exit_code"] == 4 and summary["run"]["pairs_left"] == 5
    assert "unreadable judge replies" in captured.err and "5 of 5 pairs are left" in captured.err


def test_pairs_asked_again_never_share_a_call_with_their_swapped_twin(tmp_path: Path) -> None:
    with FakeServer() as bad:
        bad.script(*[Content("no idea")] * 200)
        config = write_project(tmp_path, bad.base_url, judge_extra="both_orders = true\nmax_reasks = 0")
        assert main(["run", str(config), "--no-progress"]) == 4
    with FakeServer() as good:
        config = write_project(tmp_path, good.base_url, judge_extra="both_orders = true\nmax_reasks = 0")
        assert main(["run", str(config), "--no-progress"]) == 0
        prompts = [
            [c[1] for c in parse_comparisons(r["json"]["messages"][-1]["content"])] for r in good.posts
        ]
    assert sum(map(len, prompts)) == 24 and len(prompts) == 5
    assert all(len(set(p)) == len(p) for p in prompts), "an item's two rounds were judged in one call"


def test_sigterm_ends_a_run_like_ctrl_c_and_the_rerun_finishes_it(tmp_path: Path) -> None:
    # kill, `timeout`, a cancelled CI job: the run says how to resume, leaves the folder unlocked,
    # and the rerun pays only for what was not answered.
    extra = "concurrency = 1\nbatch_size = 3"
    with FakeServer(latency=0.3) as server:
        config = write_project(tmp_path, server.base_url, n=30, judge_extra=extra)
        proc = _cli("run", str(config))
        deadline = time.monotonic() + 60
        while len(server.posts) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 143 and "terminated: the ledger keeps every finished call" in err
        assert _ok(_cli("run", str(config)))  # not "busy": the lock went with the process
        assert len(server.posts) <= 10 + 1  # at most the call in flight at the signal is asked again
    usage = _summary(tmp_path / "results" / "spine")["usage"]
    assert usage["calls"] == 10  # type: ignore[index]
