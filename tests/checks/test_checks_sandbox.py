"""The sandbox against hostile programs, as root and as uid 65534: contained, recorded, no key, no trace."""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_programs import ANSWER, Spec, programs
from nobody import needs_bwrap, processes_with, run_as

from judge.checks import sandbox
from judge.checks.sandbox import SandboxLimits, run_program, run_programs

LIMITS = SandboxLimits(cpu_s=1, wall_s=4.0, memory_mb=256, output_bytes=4096)
HERE = Path(__file__).resolve().parent


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A real TCP server on 127.0.0.1 that records every connection and what it received."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.settimeout(0.2)
    got: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            conn.settimeout(1)
            got.append(b"connected:" + conn.recv(100))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield srv.getsockname()[1], got
    stop.set()
    thread.join()
    srv.close()


@pytest.fixture
def playground() -> Iterator[Path]:
    """A world-writable folder outside /tmp/pytest-of-root (which uid 65534 could not enter)."""
    folder = Path(tempfile.mkdtemp(prefix="judge-hostile-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"/" for p in folder.rglob("*")}


def _precious(playground: Path) -> Path:
    precious = playground / "results"
    (precious / "run-1").mkdir(parents=True)
    (precious / "run-1" / "summary.json").write_text("{}")
    for path in (precious, precious / "run-1"):
        path.chmod(0o777)  # no permission stands in the way: only the sandbox does
    (precious / "run-1" / "summary.json").chmod(0o666)
    return precious


def _hostile_suite(nobody: bool, playground: Path, listener: tuple[int, list[bytes]]) -> None:
    port, received = listener
    key = "sk-hostile-" + secrets.token_hex(12)
    spec = Spec(port=port, precious=str(_precious(playground)), marker="judge-marker-" + secrets.token_hex(6))
    before = _tree(playground)
    start = time.monotonic()
    done = run_as(nobody, [str(HERE / "hostile_programs.py"), json.dumps(spec.__dict__)],
                  env={"OPENAI_API_KEY": key, "JUDGE_TEST_TOKEN": key}, cwd=playground)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout)
    for name, (_, allowed) in programs(spec).items():
        result = results[name]
        assert result["status"] in allowed, (name, result)
        assert result["layers"][0] == "bubblewrap", (name, result)
        if name != "well-behaved":
            assert result["correct"] is False and result["reason"], (name, result)
            assert result["duration_s"] <= LIMITS.wall_s + 2.0, (name, result)
    assert results["well-behaved"]["correct"] is True
    assert time.monotonic() - start < 120
    assert key not in done.stdout and key not in done.stderr and "sk-hostile" not in done.stdout
    assert received == []
    assert _tree(playground) == before
    assert not Path(f"/tmp/{spec.marker}").exists()
    assert processes_with(spec.marker) == []


@needs_bwrap
def test_hostile_programs_as_the_current_user(playground: Path, listener: tuple[int, list[bytes]]) -> None:
    _hostile_suite(False, playground, listener)


@needs_bwrap
def test_hostile_programs_as_uid_65534(playground: Path, listener: tuple[int, list[bytes]]) -> None:
    _hostile_suite(True, playground, listener)


@needs_bwrap
def test_ok_wrong_no_code_and_errors_are_statuses() -> None:
    assert run_program("print(2 + 3)", expected="5", limits=LIMITS).status == "ok"
    wrong = run_program("print('total:')\nprint(6)", expected="5", limits=LIMITS)
    assert (wrong.status, wrong.correct, wrong.stdout) == ("wrong", False, "total:\n6\n")
    assert run_program("print('x')", limits=LIMITS).correct is None
    assert run_program(None, expected="1").status == "no_code"
    assert run_program("   ", expected="1").correct is False
    err = run_program("raise ValueError('boom')", expected="1", limits=LIMITS)
    assert err.status == "error" and err.returncode == 1 and err.reason == "exit status 1: ValueError: boom"


@needs_bwrap
def test_huge_output_is_cut() -> None:
    result = run_program("while True:\n    print('x' * 1000)", limits=LIMITS)
    assert result.status == "output_limit" and len(result.stdout) <= LIMITS.output_bytes


@needs_bwrap
def test_the_program_may_write_only_in_its_own_folder_which_is_then_removed() -> None:
    code = (
        "import os\nwrote = []\n"
        "for path in ('notes.txt', '/x', '/dev/x', '/dev/shm/x', '/usr/x', '/tmp/x', '/var/tmp/x'):\n"
        "    try:\n        open(path, 'w').write('hi')\n        wrote.append(path)\n"
        "    except OSError:\n        pass\n"
        "print(os.getcwd(), wrote)"
    )
    result = run_program(code, limits=LIMITS)
    assert result.status == "ok" and result.stdout.strip() == "/sandbox ['notes.txt']"
    assert not list(Path(tempfile.gettempdir()).glob("judge-sandbox-*/work/notes.txt"))


@needs_bwrap
def test_the_pid_namespace_kills_a_daemon_even_when_fork_is_allowed() -> None:
    # RLIMIT_NPROC normally forbids fork; lift it to show the namespace alone ends a daemon.
    marker = "judge-daemon-" + secrets.token_hex(6)
    code = (
        "import os, sys\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', "
        f"{marker!r}])\n"
        "    os._exit(0)\nimport time\ntime.sleep(0.5)\nprint('parent done')"
    )
    result = run_program(code, limits=SandboxLimits(cpu_s=1, wall_s=4.0, processes=16))
    assert result.status == "ok"
    assert processes_with(marker) == []


def test_without_bubblewrap_nothing_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on PATH
    monkeypatch.delenv(sandbox.UNSANDBOXED_ENV, raising=False)
    sandbox._bwrap.probe.cache_clear()
    marker = tmp_path / "ran"
    try:
        result = run_program(f"open({str(marker)!r}, 'w')", expected=ANSWER, limits=LIMITS)
    finally:
        sandbox._bwrap.probe.cache_clear()
    assert result.status == "not_run" and result.correct is None
    assert "sandbox unavailable" in result.reason and "sudo apt-get install bubblewrap" in result.reason
    assert not marker.exists()


def test_unsandboxed_execution_only_when_asked_and_labelled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv(sandbox.UNSANDBOXED_ENV, "1")
    result = run_program("print(45)", expected=ANSWER, limits=SandboxLimits(cpu_s=1, wall_s=4.0))
    assert result.status == "ok" and result.layers[0].startswith("unsandboxed")


@needs_bwrap
def test_pool_keeps_order_and_rejects_bad_worker_count() -> None:
    results = run_programs([(f"print({i} * {i})", str(i * i)) for i in range(3)], limits=LIMITS, workers=2)
    assert [r.status for r in results] == ["ok"] * 3
    with pytest.raises(ValueError, match="workers"):
        run_programs([], workers=0)
