"""``--dry-run`` sends nothing and writes nothing; a bundled judge starts only when a call is needed."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakeserver import FakeServer
from spine import BASE_FILE, write_project

from judge.cli import main


class CountingListener:
    """A TCP listener on 127.0.0.1 that accepts, counts and drops every connection."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def __enter__(self) -> CountingListener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    with CountingListener() as counting:
        yield counting


def _generated_base(config: Path, url: str) -> None:
    text = config.read_text().replace(
        f'outputs = "{BASE_FILE}"',
        f'base_url = "{url}"\nmodel = "base-model"\n[models.base.params]\nmax_tokens = 100',
    )
    config.write_text(
        text.replace("[judge]\n", "[judge]\nprice_input_per_mtok = 1.0\nprice_output_per_mtok = 4.0\n")
    )


def test_dry_run_with_an_unreachable_model_estimates_without_a_request(
    tmp_path: Path,
    listener: CountingListener,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    config = write_project(tmp_path, listener.base_url.replace("/v1", "/judge/v1"))
    _generated_base(config, listener.base_url)
    assert main(["run", str(config), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "base (omega-base-secret, base-model at http://127.0.0.1" in out
    assert (
        "12 prompts to generate (0 already in the ledger)" in out and "at most 1,200 completion tokens" in out
    )
    assert "judging: 12 pairs in 3 judge calls (0 already in the ledger, 3 to send)" in out and "$" in out
    assert listener.connections == 0, "a dry run opens no connection"
    assert not (tmp_path / "results").exists(), "a dry run writes nothing"


def test_dry_run_prices_only_what_the_ledger_has_not_paid(
    tmp_path: Path, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_project(tmp_path, fake_server.base_url)
    _generated_base(config, fake_server.base_url)
    assert main(["run", str(config), "--limit", "5", "--no-progress"]) == 0
    sent = len(fake_server.posts)
    run_dir = tmp_path / "results" / "spine"
    rows = _calls(run_dir)
    before = {p.name: p.stat().st_mtime_ns for p in run_dir.iterdir()}
    capsys.readouterr()
    assert main(["run", str(config), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "7 prompts to generate (5 already in the ledger)" in out
    assert len(fake_server.posts) == sent
    assert {p.name: p.stat().st_mtime_ns for p in run_dir.iterdir()} == before, "nothing written"
    assert _calls(run_dir) == rows
    assert main(["run", str(config), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["run", str(config), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "3 judge calls (3 already in the ledger, 0 to send)" in out and "cost about $0.0000" in out


def _calls(run_dir: Path) -> int:
    with contextlib.closing(sqlite3.connect(run_dir / "ledger.sqlite")) as db:
        return int(db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])


STANDIN = f"""#!{sys.executable}
import pathlib, sys
pathlib.Path(__file__).with_name("started").write_text(" ".join(sys.argv))
sys.exit(1)
"""


def test_a_bundled_judge_is_not_started_when_every_call_is_in_the_ledger(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    exe = tmp_path / "bin" / "llama-server"
    exe.parent.mkdir()
    exe.write_text(STANDIN)
    exe.chmod(0o755)
    monkeypatch.setenv("JUDGE_LLAMA_SERVER", str(exe))
    monkeypatch.setenv("JUDGE_CACHE_DIR", str(tmp_path / "cache"))
    name = "qwen2.5-coder-0.5b"
    config = write_project(tmp_path, fake_server.base_url)
    config.write_text(config.read_text().replace('model = "judge-model"', f'model = "{name}"'))
    assert main(["run", str(config), "--no-progress"]) == 0  # the scripted judge answers every call
    text = config.read_text().replace(f'base_url = "{fake_server.base_url}"', f'bundled = "{name}"')
    config.write_text(text)
    assert main(["run", str(config), "--no-progress"]) == 0
    assert not (exe.parent / "started").exists(), "the local judge server was started for nothing"
    assert not list((tmp_path / "results" / "spine").glob("llama-server*.log"))
    assert not (tmp_path / "cache").exists(), "the bundled model was not even assembled"


def test_a_failed_judge_server_start_is_not_retried_by_every_queued_call(tmp_path: Path) -> None:
    from judge.config import config_from_dict
    from judge.errors import APIError
    from judge.run.endpoint import LazyJudge

    class Crashing(LazyJudge):
        starts = 0

        def _start_server(self, name: str) -> Any:
            Crashing.starts += 1
            raise APIError(f"local server exited (stand-in for {name})")

    config = config_from_dict(
        {
            "name": "x",
            "prompts": "p.jsonl",
            "models": {"finetuned": {"name": "a", "outputs": "a"}, "base": {"name": "b", "outputs": "b"}},
            "judge": {"bundled": "qwen2.5-coder-0.5b"},
        },
        base=tmp_path,
    )
    judge = Crashing(config)

    async def calls() -> list[BaseException | object]:
        asks = [judge.chat([{"role": "user", "content": "x"}]) for _ in range(4)]
        return await asyncio.gather(*asks, return_exceptions=True)

    results = asyncio.run(calls())
    assert all(isinstance(r, APIError) for r in results) and Crashing.starts == 1
    assert not judge.opened
