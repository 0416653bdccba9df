"""Batch mode end to end: the Batch API answers first calls into the ledger, the judge stage does the rest.

Everything is real but the model: the fake's /v1/files and /v1/batches over HTTP on 127.0.0.1
through the official openai SDK, a real SQLite ledger, a real subprocess killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from batch_driver import PRICES, run
from fakeserver import BatchPlan, FakeServer
from spine import write_project

from judge import cli
from judge.config import JudgeSpec, load_config
from judge.errors import ConfigError
from judge.judging.batch_options import BatchOptions, batch_prices
from judge.records import Usage
from judge.run.pipeline import DryRun, run_comparison

ROOT = Path(__file__).resolve().parents[1]
FAST = BatchOptions(poll_interval=0.01)


def _chat_posts(server: FakeServer) -> list[dict[str, Any]]:
    return [r for r in server.posts if r["path"].endswith("/chat/completions")]


def _winners(result: Any) -> dict[str, str]:
    return {pid: j.verdict.winner if j.verdict else j.status for pid, j in result.judgments.items()}


def _live_reference(tmp_path: Path, n: int) -> dict[str, str]:
    """The same project judged by the live path only (the batch must not change a verdict)."""
    with FakeServer() as server:
        (tmp_path / "live").mkdir()
        config = write_project(tmp_path / "live", server.base_url, n=n)
        run_comparison(load_config(config), show_progress=False)
        lines = (tmp_path / "live" / "results" / "spine" / "judgments.jsonl").read_text().splitlines()
    return {row["pair_id"]: row["verdict"]["winner"] for row in map(json.loads, lines) if row["verdict"]}


def test_batch_answers_every_first_call_and_nothing_goes_live(tmp_path: Path) -> None:
    with FakeServer() as server:
        config = write_project(tmp_path, server.base_url, n=40)
        result = run(config, FAST)
        assert server.batch_api.created == 1
        assert _chat_posts(server) == []  # every call came from the batch
        body = json.loads(next(iter(server.batch_api.files.values()))["content"].splitlines()[0])["body"]
    assert body["response_format"]["type"] == "json_schema" and body["seed"] == 0
    assert result.batch.answered == 8 and result.batch.failed == 0
    assert all(j.status == "ok" for j in result.judgments.values()) and len(result.judgments) == 40
    assert result.stage.cached_calls == 8 and result.stage.new_usage.total_tokens == 0  # nothing sent live
    assert result.batch.prices == batch_prices(PRICES, FAST)
    assert result.batch.cost == pytest.approx(PRICES.cost(result.batch.usage) / 2)
    assert _winners(result) == _live_reference(tmp_path, 40)


@pytest.mark.parametrize(
    ("plan", "failed_items"),
    [
        (BatchPlan(errors=2, missing=1, bad_replies=1), 3),
        (BatchPlan(end="expired", done=5), 3),
        (BatchPlan(end="cancelled", done=2), 6),
        (BatchPlan(end="failed"), 8),
    ],
    ids=["partial-errors", "expired", "cancelled", "failed"],
)
def test_failed_items_are_asked_live(tmp_path: Path, plan: BatchPlan, failed_items: int) -> None:
    with FakeServer() as server:
        server.batch_api.plan(plan)
        config = write_project(tmp_path, server.base_url, n=40)
        result = run(config, FAST)
        live = _chat_posts(server)
    assert result.batch.failed == failed_items and result.batch.answered == 8 - failed_items
    assert len(live) == failed_items + plan.bad_replies  # a reply missing an id is re-asked live
    assert all(j.status == "ok" for j in result.judgments.values()) and len(result.judgments) == 40


def test_failed_items_can_go_to_a_second_batch(tmp_path: Path) -> None:
    with FakeServer() as server:
        server.batch_api.plan(BatchPlan(errors=3), BatchPlan())
        config = write_project(tmp_path, server.base_url, n=40)
        result = run(config, BatchOptions(poll_interval=0.01, failed="batch"))
        assert server.batch_api.created == 2 and _chat_posts(server) == []
        second = list(server.batch_api.files.values())[-1]["content"]  # the second batch's output
    assert second.count('"custom_id"') == 3
    assert result.batch.failed == 3 and result.batch.answered == 8
    assert all(j.status == "ok" for j in result.judgments.values())


def test_rerun_after_a_finished_batch_sends_nothing(tmp_path: Path) -> None:
    with FakeServer() as server:
        config = write_project(tmp_path, server.base_url, n=20)
        first = run(config, FAST)
        server.reset()
        again = run(config, FAST)
        assert server.batch_api.created == 1 and server.posts == []
    assert _winners(first) == _winners(again) and again.batch.batch_ids == ()
    assert first.batch.usage.total_tokens > 0 and again.batch.usage == Usage()  # billed once, reported once


def test_create_whose_reply_is_lost_is_found_not_repeated(tmp_path: Path) -> None:
    """The server makes the batch but the connection drops: the client finds it by its input file."""
    with FakeServer() as server:
        server.batch_api.plan(BatchPlan(create_drop=True))
        config = write_project(tmp_path, server.base_url, n=20)
        result = run(config, FAST)
        assert server.batch_api.created == 1 and _chat_posts(server) == []
    assert result.batch.created == 1 and len(result.batch.batch_ids) == 1
    assert all(j.status == "ok" for j in result.judgments.values())


def test_large_runs_are_split_into_several_batches(tmp_path: Path) -> None:
    with FakeServer() as server:
        config = write_project(tmp_path, server.base_url, n=40)
        result = run(config, BatchOptions(poll_interval=0.01, max_requests=3))
        assert server.batch_api.created == 3 and _chat_posts(server) == []
    assert result.batch.answered == 8 and len(set(result.batch.batch_ids)) == 3


def test_killed_while_creating_the_rerun_finds_the_batch(tmp_path: Path) -> None:
    """SIGKILL after the batch exists on the server but before its id reached the ledger."""
    with FakeServer() as server:
        server.batch_api.plan(BatchPlan(create_stall=3))
        config = write_project(tmp_path, server.base_url, n=20)
        proc = _driver(config, 0.01)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.batch_api.created == 0:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert _jobs(tmp_path) == [("uploaded", None)]
        rerun = _driver(config, 0.01)
        assert rerun.wait(timeout=120) == 0, (tmp_path / "driver.log").read_text()
        assert server.batch_api.created == 1 and _chat_posts(server) == []
    out = json.loads((tmp_path / "results" / "spine" / "batch_run.json").read_text())
    assert out["created"] == 0 and out["answered"] == 4 and len(out["verdicts"]) == 20


def _jobs(tmp_path: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(tmp_path / "results" / "spine" / "ledger.sqlite") as db:
        return db.execute("SELECT state, batch_id FROM batch_jobs").fetchall()


def _driver(config: Path, poll: float) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    with (config.parent / "driver.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "batch_driver.py"), str(config), str(poll)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def test_thousand_pairs_survive_kill_9_while_polling(tmp_path: Path) -> None:
    """1,000 pairs: killed while polling, the rerun polls the same batch; partial failures go live."""
    with FakeServer() as server:
        server.batch_api.plan(BatchPlan(validating=2, in_progress=400, errors=4, missing=3, bad_replies=2))
        config = write_project(tmp_path, server.base_url, n=1000)
        proc = _driver(config, 0.01)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _polls(server, 20):
            time.sleep(0.02)
        assert proc.poll() is None, (tmp_path / "driver.log").read_text()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        [(state, batch_id)] = _jobs(tmp_path)
        assert state == "submitted" and batch_id is not None
        assert server.batch_api.batches[batch_id]["status"] == "in_progress"
        rerun = _driver(config, 0.001)
        assert rerun.wait(timeout=120) == 0, (tmp_path / "driver.log").read_text()
        assert server.batch_api.created == 1  # never a second submission
        live = _chat_posts(server)
    out = json.loads((tmp_path / "results" / "spine" / "batch_run.json").read_text())
    assert out["batch_ids"] == [batch_id] and out["created"] == 0
    # 7 failed lines asked live; the 2 pairs missing from batch replies are re-asked together, in one call
    assert out["answered"] == 193 and out["failed"] == 7 and len(live) == 7 + 1
    assert len(out["verdicts"]) == 1000 and set(out["verdicts"].values()) <= {"A", "B", "tie"}
    assert out["batch_cost"] > 0
    assert out["batch_cost"] == pytest.approx(PRICES.cost(Usage(**out["batch_usage"])) / 2)


def _polls(server: FakeServer, n: int) -> bool:
    return sum(bool(r["method"] == "GET" and "/batches/" in r["path"]) for r in server.requests) >= n


@pytest.mark.skipif("mode" not in JudgeSpec.model_fields, reason="[judge] mode not wired into config.py yet")
def test_judge_run_batch_flag_reports_the_batch_price(tmp_path: Path) -> None:
    """`judge run --batch` through the real CLI; the dry run and the summary at the batch price."""
    prices = "price_input_per_mtok = 2.5\nprice_output_per_mtok = 10.0\n[judge.batch]\npoll_interval = 0.01\n"
    with FakeServer() as server:
        server.batch_api.plan(BatchPlan(errors=2))
        config = write_project(tmp_path, server.base_url, n=40, judge_extra=prices)
        live = load_config(config)
        batch = live.model_copy(update={"judge": live.judge.model_copy(update={"mode": "batch"})})
        dry_live, dry_batch = (run_comparison(c, dry_run=True, show_progress=False) for c in (live, batch))
        assert cli.main(["run", str(config), "--batch", "--no-progress", "--json"]) == 0
        assert server.batch_api.created == 1 and len(_chat_posts(server)) == 2
    assert isinstance(dry_live, DryRun) and isinstance(dry_batch, DryRun)
    assert dry_live.cost_usd is not None and dry_batch.cost_usd == pytest.approx(dry_live.cost_usd / 2)
    summary = json.loads((tmp_path / "results" / "spine" / "summary.json").read_text())
    done = summary["notes"]["batch"]
    assert done["answered"] == 6 and done["failed_then_reasked"] == 2 and done["price_factor"] == 0.5
    assert summary["usage"]["cost_usd"] > done["cost_usd"] > 0  # two live calls at list price on top


@pytest.mark.skipif("mode" not in JudgeSpec.model_fields, reason="[judge] mode not wired into config.py yet")
def test_batch_mode_refuses_a_bundled_judge(tmp_path: Path) -> None:
    config = load_config(write_project(tmp_path, "http://127.0.0.1:9/v1", judge_extra='bundled = "qwen"'))
    config = config.model_copy(update={"judge": config.judge.model_copy(update={"mode": "batch"})})
    with pytest.raises(ConfigError, match="Batch API"):
        run_comparison(config, dry_run=True, show_progress=False)
