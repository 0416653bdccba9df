"""The sandbox against hostile programs: each must end as a recorded failure within its limits."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from judge.checks import sandbox
from judge.checks.sandbox import SandboxLimits, run_program, run_programs

LIMITS = SandboxLimits(cpu_s=1, wall_s=4.0, memory_mb=256, output_bytes=4096)
ROOT = os.geteuid() == 0


@pytest.fixture
def listener() -> tuple[int, list[bytes]]:
    """A real TCP server on loopback that records anything it receives."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    got: list[bytes] = []

    def serve() -> None:
        srv.settimeout(8)
        try:
            conn, _ = srv.accept()
            got.append(conn.recv(100))
            conn.close()
        except OSError:
            pass
        srv.close()

    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname()[1], got


def test_ok_and_wrong_answers() -> None:
    assert run_program("print(2 + 3)", expected="5", limits=LIMITS).status == "ok"
    wrong = run_program("print('total:')\nprint(6)", expected="5", limits=LIMITS)
    assert (wrong.status, wrong.correct, wrong.stdout) == ("wrong", False, "total:\n6\n")
    assert run_program("print('x')", limits=LIMITS).correct is None


def test_no_code_and_errors_are_statuses() -> None:
    assert run_program(None, expected="1").status == "no_code"
    assert run_program("   ", expected="1").correct is False
    err = run_program("raise ValueError('boom')", expected="1", limits=LIMITS)
    assert err.status == "error" and "ValueError: boom" in err.stderr_tail and err.returncode == 1


def test_hostile_programs_end_as_recorded_failures(tmp_path: Path, listener: tuple[int, list[bytes]]) -> None:
    port, received = listener
    outside = tmp_path / "escaped.txt"
    shared_tmp = Path("/tmp") / f"judge-escape-{os.getpid()}.txt"
    hostile = {
        "infinite loop": ("while True:\n    pass", "timeout"),
        "sleep forever": ("import time\ntime.sleep(60)", "timeout"),
        "fork bomb": ("import os\nwhile True:\n    os.fork()", "error"),
        "1 GB allocation": ("x = bytearray(1 << 30)\nprint(len(x))", "memory"),
        "write outside": (f"open({str(outside)!r}, 'w').write('x')", "error"),
        "write to /tmp": (f"open({str(shared_tmp)!r}, 'w').write('x')", "error"),
        "socket": (
            f"import socket\ns = socket.create_connection(('127.0.0.1', {port}))\ns.send(b'hi')",
            "error",
        ),
        "huge output": ("while True:\n    print('x' * 1000)", "output_limit"),
        "good neighbour": ("print(sum(range(10)))", "ok"),
    }
    start = time.monotonic()
    results = run_programs([(code, "45") for code, _ in hostile.values()], limits=LIMITS, workers=2)
    elapsed = time.monotonic() - start
    for (name, (_, want)), result in zip(hostile.items(), results, strict=True):
        assert result.status == want, (name, result)
        assert result.duration_s <= LIMITS.wall_s + 1.0, name
        assert result.correct is (want == "ok"), name
    assert elapsed < 30
    assert not outside.exists() and not shared_tmp.exists()
    assert received == []
    assert len(results[7].stdout) <= LIMITS.output_bytes
    assert (
        "PermissionError" in results[2].stderr_tail
        or "Resource temporarily unavailable" in results[2].stderr_tail
    )


def test_secrets_and_environment_do_not_reach_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-for-the-sandbox-123")
    result = run_program("import os\nprint(sorted(os.environ))\nprint(os.getcwd())", limits=LIMITS)
    assert "OPENAI_API_KEY" not in result.stdout and "sk-test" not in result.stdout
    assert "judge-sandbox-" in result.stdout


def test_temporary_folder_is_removed_and_program_may_write_inside() -> None:
    code = "open('notes.txt', 'w').write('hi')\nimport os\nprint(os.path.abspath('notes.txt'))"
    result = run_program(code, limits=LIMITS)
    assert result.status == "ok"
    assert not Path(result.stdout.strip()).exists()


def test_pool_keeps_order_and_rejects_bad_worker_count() -> None:
    results = run_programs([(f"print({i} * {i})", str(i * i)) for i in range(4)], limits=LIMITS, workers=2)
    assert [r.status for r in results] == ["ok"] * 4
    with pytest.raises(ValueError, match="workers"):
        run_programs([], workers=0)


@pytest.mark.skipif(not ROOT, reason="kernel layers (netns, uid drop + RLIMIT_NPROC) need root")
def test_kernel_layers_hold_without_the_audit_hook(
    monkeypatch: pytest.MonkeyPatch, listener: tuple[int, list[bytes]]
) -> None:
    # Replace the in-interpreter guard by a bare runner: what is left is the kernel's doing.
    bare = "import sys\nexec(compile(open(sys.argv[1]).read(), sys.argv[1], 'exec'))"
    monkeypatch.setattr(sandbox, "_GUARD", bare)
    port, received = listener
    fork = run_program("import os\npid = os.fork()\nprint('forked', pid)", limits=LIMITS)
    assert fork.status == "error" and "Resource temporarily unavailable" in fork.stderr_tail
    net = run_program(
        f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)", limits=LIMITS
    )
    assert net.status == "error" and "Network is unreachable" in net.stderr_tail
    assert received == []
    assert {"netns", "uid", "rlimit_nproc"} <= set(fork.layers)
