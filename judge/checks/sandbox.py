"""Run untrusted, model-written Python in a confined child process and record what happened.

Layers, and what each one really guarantees (a test covers every hostile case listed in the
module's tests: infinite loop, fork bomb, 1 GB allocation, writes outside, socket, huge output):

* **Separate process, fresh temp folder as cwd, minimal environment** (no API keys, no
  ``PYTHONPATH``), ``python -I`` (no user site, no environment variables). Always applied.
* **rlimits** set before exec: ``RLIMIT_CPU`` (then SIGXCPU), ``RLIMIT_AS`` (allocation fails with
  ``MemoryError``), ``RLIMIT_FSIZE`` (no file, stdout included, grows past the output cap),
  ``RLIMIT_CORE`` 0. Kernel-enforced, always applied.
* **Wall clock**: the child leads its own session; on timeout the whole process group is killed.
* **As root only**: a private network namespace (no interface but a down loopback, so no network
  at all), and a drop to a fresh unprivileged uid with ``RLIMIT_NPROC`` 1 (kernel refuses fork)
  -- root ignores ``RLIMIT_NPROC``, hence the drop. The uid can write only inside its folder
  (and world-writable places such as /tmp, which the audit hook below refuses).
* **Audit hook** (see ``_guard.py``): refuses sockets, fork/exec/subprocess, ``ctypes`` and writes
  outside the folder with a ``PermissionError``. Best effort inside CPython; without root it is
  the only barrier against network and fork, and :attr:`ExecResult.layers` says so.

Not covered: a program may fill the disk with many files under the size cap until its CPU time
runs out; run it on a machine where that is acceptable.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from judge.errors import SandboxError

__all__ = ["ExecResult", "ExecStatus", "SandboxLimits", "run_program", "run_programs"]

ExecStatus = Literal["ok", "wrong", "error", "timeout", "memory", "output_limit", "no_code"]
_HERE = Path(__file__).resolve().parent
_GUARD = (_HERE / "_guard.py").read_text(encoding="utf-8")
_LAUNCH = _HERE / "_launch.py"
_SETUP_FAILED = 125
_UID_RANGE = (61_000, 64_999)  # inside the 16-bit range every container maps; away from real users


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for one program.

    Attributes:
        cpu_s: CPU seconds before SIGXCPU.
        wall_s: wall-clock seconds before the process group is killed.
        memory_mb: address-space limit (covers the interpreter itself, ~30 MB).
        output_bytes: cap on stdout (and on any file the program writes).
        interpreter: Python used for the program; default: this one if an unprivileged uid can
            run it, else the system ``/usr/bin/python3``.
    """

    cpu_s: int = 2
    wall_s: float = 10.0
    memory_mb: int = 512
    output_bytes: int = 64 * 1024
    interpreter: str | None = None


class ExecResult(BaseModel):
    """What one sandboxed run did. ``correct`` is None when no expected answer was given."""

    model_config = ConfigDict(frozen=True)

    status: ExecStatus
    correct: bool | None = None
    stdout: str = ""
    stderr_tail: str = ""
    returncode: int | None = None
    duration_s: float = 0.0
    layers: list[str] = []


def _world_usable(path: Path) -> bool:
    # An unprivileged uid needs o+x on every folder above and o+rx on the file itself.
    for parent in path.parents:
        if not parent.stat().st_mode & stat.S_IXOTH:
            return False
    return bool(path.stat().st_mode & stat.S_IXOTH and path.stat().st_mode & stat.S_IROTH)


def _interpreter(limits: SandboxLimits, drop: bool) -> str:
    if limits.interpreter:
        return limits.interpreter
    own = Path(os.path.realpath(sys.executable))
    if not drop or _world_usable(own):
        return str(own)
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if Path(candidate).exists() and _world_usable(Path(os.path.realpath(candidate))):
            return candidate
    raise SandboxError("no Python interpreter usable by an unprivileged uid; set SandboxLimits.interpreter")


def _matches(stdout: str, expected: str) -> bool:
    # The answer is the last non-empty line: models often print a heading before it.
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    return bool(lines) and lines[-1] == expected.strip()


def _classify(
    rc: int | None, timed_out: bool, out_size: int, stderr: str, limits: SandboxLimits
) -> ExecStatus:
    if timed_out or rc in (-signal.SIGXCPU, -signal.SIGKILL):
        return "timeout"
    if out_size >= limits.output_bytes:
        return "output_limit"
    if "MemoryError" in stderr or "Cannot allocate memory" in stderr:
        return "memory"
    return "ok" if rc == 0 else "error"


def _prepare(code: str, root: Path, uid: int | None) -> Path:
    work = root / "work"
    work.mkdir()
    program = work / "main.py"
    program.write_text(code, encoding="utf-8")
    if uid is not None:
        root.chmod(0o711)
        for path in (work, program):
            os.chown(path, uid, uid)
    return program


def _launch(
    program: Path, root: Path, limits: SandboxLimits, uid: int | None
) -> tuple[int | None, bool, str]:
    read_fd, write_fd = os.pipe()
    cfg = {
        "status_fd": write_fd, "netns": os.geteuid() == 0, "uid": uid, "nproc": 1,
        "cpu_s": limits.cpu_s, "memory_bytes": limits.memory_mb * 2**20, "output_bytes": limits.output_bytes,
        "interpreter": _interpreter(limits, uid is not None), "guard": _GUARD, "program": str(program),
        "env": {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(program.parent),
                "TMPDIR": str(program.parent)},
    }  # fmt: skip
    with open(root / "out", "wb") as out, open(root / "err", "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-I", str(_LAUNCH), json.dumps(cfg)], stdin=subprocess.DEVNULL, stdout=out,
            stderr=err, cwd=program.parent, pass_fds=(write_fd,), start_new_session=True,
        )  # fmt: skip
    os.close(write_fd)
    timed_out = False
    try:
        proc.wait(timeout=limits.wall_s)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        _kill_group(proc)
    with os.fdopen(read_fd, "rb") as status:
        return proc.returncode, timed_out, status.read().decode("utf-8", "replace")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    # Killed even after a clean exit: nothing the program started may outlive it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _status_lines(text: str) -> tuple[list[str], str | None]:
    layers: list[str] = []
    for line in text.splitlines():
        record = json.loads(line)
        if "error" in record:
            return layers, str(record["error"])
        layers = list(record.get("layers", []))
    return layers, None


def _run_once(code: str, expected: str | None, limits: SandboxLimits, uid: int | None) -> ExecResult:
    root = Path(tempfile.mkdtemp(prefix="judge-sandbox-"))
    try:
        start = time.monotonic()
        rc, timed_out, status = _launch(_prepare(code, root, uid), root, limits, uid)
        duration = time.monotonic() - start
        layers, error = _status_lines(status)
        if error is not None:
            raise SandboxError(f"sandbox setup failed: {error}")
        stdout = (root / "out").read_bytes()[: limits.output_bytes].decode("utf-8", "replace")
        stderr = (root / "err").read_bytes()[-4000:].decode("utf-8", "replace")
        kind = _classify(rc, timed_out, (root / "out").stat().st_size, stderr, limits)
        correct = None if expected is None else (kind == "ok" and _matches(stdout, expected))
        if kind == "ok" and correct is False:
            kind = "wrong"
        return ExecResult(status=kind, correct=correct, stdout=stdout, stderr_tail=stderr[-1000:],
                          returncode=rc, duration_s=round(duration, 3), layers=layers)  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_program(
    code: str | None, *, expected: str | None = None, limits: SandboxLimits | None = None
) -> ExecResult:
    """Run one Python program in the sandbox.

    Args:
        code: the program text; None or blank gives status ``no_code`` without running anything.
        expected: the answer the last non-empty stdout line must equal (after stripping).
        limits: resource limits; defaults to :class:`SandboxLimits`.

    Returns:
        The result. A hostile or broken program is a recorded status, never an exception.

    Raises:
        SandboxError: the sandbox itself could not be set up (not the program's fault).
    """
    limits = limits or SandboxLimits()
    if code is None or not code.strip():
        return ExecResult(status="no_code", correct=None if expected is None else False)
    if os.geteuid() != 0:
        return _run_once(code, expected, limits, None)
    for _ in range(3):
        # A fresh uid per run; a clash with another sandbox would only make exec fail (EAGAIN).
        uid = _UID_RANGE[0] + secrets.randbelow(_UID_RANGE[1] - _UID_RANGE[0])
        try:
            return _run_once(code, expected, limits, uid)
        except SandboxError as exc:
            last = exc
            if "Errno 11" not in str(exc):
                raise
    raise last


def run_programs(
    jobs: Sequence[tuple[str | None, str | None]], *, limits: SandboxLimits | None = None, workers: int = 2
) -> list[ExecResult]:
    """Run several programs concurrently on a bounded pool, results in input order.

    Args:
        jobs: ``(code, expected)`` pairs, as for :func:`run_program`.
        limits: limits applied to each program.
        workers: programs running at once (each may use ``limits.cpu_s`` of one core).

    Returns:
        One :class:`ExecResult` per job.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: run_program(job[0], expected=job[1], limits=limits), jobs))
