"""Run untrusted, model-written Python in a bubblewrap sandbox and record what happened.

Model outputs are hostile input: a program may try to read the judge's API key, reach the
network, fork, fill memory or disk, or outlive the check. Every program runs under bubblewrap
(see :mod:`judge.checks._bwrap` for each layer and what it guarantees) in a fresh folder, with
rlimits on CPU, memory, file size and processes, and a wall clock; when the time is up the
sandbox's PID namespace is killed as a whole, so nothing it started survives.

Without a usable bubblewrap nothing is executed: each check is recorded as ``not_run`` with the
install command, unless the user opts in to unsandboxed execution (``JUDGE_UNSANDBOXED=1``),
which keeps only the rlimits and the clean environment and says so in every result.

Not covered: a program may create many small files in its folder until its CPU time runs out.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from judge.checks import _bwrap
from judge.errors import SandboxError, redact

__all__ = ["UNSANDBOXED_ENV", "ExecResult", "ExecStatus", "SandboxLimits", "run_program", "run_programs"]

ExecStatus = Literal["ok", "wrong", "error", "timeout", "memory", "output_limit", "no_code", "not_run"]
UNSANDBOXED_ENV = "JUDGE_UNSANDBOXED"
_UID_RANGE = (61_000, 64_999)  # inside the 16-bit range every container maps; away from real users
_PROBE_UID = _UID_RANGE[0] - 1


def _opted_in() -> bool:
    return os.environ.get(UNSANDBOXED_ENV, "") == "1"


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for one program.

    Attributes:
        cpu_s: CPU seconds before SIGXCPU (SIGKILL one second later).
        wall_s: wall-clock seconds before the whole sandbox is killed.
        memory_mb: address-space limit (covers the interpreter itself, ~30 MB).
        output_bytes: cap on stdout and on any file the program writes.
        processes: ``RLIMIT_NPROC`` inside the sandbox's user namespace; 1 forbids any fork.
        interpreter: Python used for the program; default: this one if the sandbox's uid can run
            it, else the system ``/usr/bin/python3``.
        unsandboxed: run without bubblewrap (rlimits and a clean environment only). Defaults to
            ``JUDGE_UNSANDBOXED=1`` in the environment; never chosen silently.
    """

    cpu_s: int = 2
    wall_s: float = 10.0
    memory_mb: int = 512
    output_bytes: int = 64 * 1024
    processes: int = 1
    interpreter: str | None = None
    unsandboxed: bool = field(default_factory=_opted_in)


class ExecResult(BaseModel):
    """What one sandboxed run did. ``correct`` is None when no expected answer was given or the
    program was not run (a check that did not run is not a wrong answer)."""

    model_config = ConfigDict(frozen=True)

    status: ExecStatus
    correct: bool | None = None
    reason: str = ""
    stdout: str = ""
    stderr_tail: str = ""
    returncode: int | None = None
    duration_s: float = 0.0
    layers: list[str] = []


def _matches(stdout: str, expected: str) -> bool:
    # The answer is the last non-empty line: models often print a heading before it.
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    return bool(lines) and lines[-1] == expected.strip()


def _classify(
    rc: int | None, timed_out: bool, out_size: int, stderr: str, limits: SandboxLimits
) -> ExecStatus:
    killed = {signal.SIGXCPU, signal.SIGKILL}
    if timed_out or rc in {-s for s in killed} | {128 + s for s in killed}:
        return "timeout"
    if out_size >= limits.output_bytes:
        return "output_limit"
    if "MemoryError" in stderr or "Cannot allocate memory" in stderr:
        return "memory"
    return "ok" if rc == 0 else "error"


def _reason(status: ExecStatus, rc: int | None, stderr: str, limits: SandboxLimits) -> str:
    last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
    return {
        "ok": "",
        "wrong": "ran, but the last line printed is not the expected answer",
        "timeout": f"killed: over {limits.cpu_s} s of CPU or {limits.wall_s:g} s of wall clock",
        "memory": f"out of memory: over the {limits.memory_mb} MB limit",
        "output_limit": f"stopped: output over {limits.output_bytes} bytes",
        "error": f"exit status {rc}: {last[:300]}" if last else f"exit status {rc}",
    }.get(status, status)


def _not_run(why: str) -> ExecResult:
    reason = (
        f"not run: sandbox unavailable ({why}); install it with `{_bwrap.INSTALL}`, or set "
        f"{UNSANDBOXED_ENV}=1 to execute model code without isolation"
    )
    return ExecResult(status="not_run", correct=None, reason=reason)


def _wait(proc: subprocess.Popen[bytes], wall_s: float) -> bool:
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=wall_s)
    return proc.returncode is None


def _read(path: Path) -> bytes:
    # Without the sandbox (opt-in) a program can delete these files; that is its failure, not ours.
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _text(path: Path) -> str:
    return _read(path).decode("utf-8", "replace")


def _argv(work: Path, limits: SandboxLimits, python: str, status_fd: int) -> list[str]:
    numbers = (limits.cpu_s, limits.memory_mb * 2**20, limits.output_bytes, limits.processes)
    if limits.unsandboxed:
        return [python, "-I", "-c", _bwrap.LIMITER, *map(str, numbers), str(work / "main.py")]
    return _bwrap.bwrap_command(work, python, numbers, status_fd)


def _execute(root: Path, limits: SandboxLimits, python: str, uid: int | None) -> tuple[int | None, bool]:
    work = root / "work"
    env = dict(_bwrap.ENV, HOME=str(work), TMPDIR=str(work)) if limits.unsandboxed else _bwrap.ENV
    with open(root / "out", "wb") as out, open(root / "err", "wb") as err, open(root / "status", "wb") as st:
        proc = subprocess.Popen(
            _argv(work, limits, python, st.fileno()), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            cwd=work, env=env, pass_fds=(st.fileno(),), start_new_session=True,
            preexec_fn=None if uid is None else (lambda: _bwrap.drop_to(uid)),
        )  # fmt: skip
    timed_out = _wait(proc, limits.wall_s)
    _bwrap.end(proc, _text(root / "status"))
    rc = proc.returncode
    for line in _text(root / "status").splitlines():
        with contextlib.suppress(json.JSONDecodeError, TypeError, KeyError):
            rc = int(json.loads(line)["exit-code"])  # the program's own status, not bubblewrap's
    return rc, timed_out


def _prepare(code: str, uid: int | None) -> Path:
    root = Path(tempfile.mkdtemp(prefix="judge-sandbox-"))
    work = root / "work"
    work.mkdir()
    (work / "main.py").write_text(code, encoding="utf-8")
    if uid is not None:
        root.chmod(0o711)
        for path in (work, work / "main.py"):
            os.chown(path, uid, uid)
    return root


def _run_once(
    code: str, expected: str | None, limits: SandboxLimits, python: str, uid: int | None
) -> ExecResult:
    root = _prepare(code, uid)
    try:
        start = time.monotonic()
        rc, timed_out = _execute(root, limits, python, uid)
        duration = time.monotonic() - start
        if not limits.unsandboxed and not _bwrap.child_pid(_text(root / "status")):
            said = _text(root / "err")[-500:].strip()
            raise SandboxError(f"sandbox setup failed: {said}")
        out = _read(root / "out")
        stdout = redact(out[: limits.output_bytes].decode("utf-8", "replace"))
        stderr = redact(_read(root / "err")[-4000:].decode("utf-8", "replace"))
        kind = _classify(rc, timed_out, len(out), stderr, limits)
        correct = None if expected is None else (kind == "ok" and _matches(stdout, expected))
        if kind == "ok" and correct is False:
            kind = "wrong"
        layers = ["unsandboxed: rlimits only"] if limits.unsandboxed else ["bubblewrap", "rlimits"]
        return ExecResult(
            status=kind,
            correct=correct,
            reason=_reason(kind, rc, stderr, limits),
            stdout=stdout,
            stderr_tail=stderr[-1000:],
            returncode=rc,
            duration_s=round(duration, 3),
            layers=layers + (["uid"] if uid is not None else []),
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _fresh_uid() -> int | None:
    # A fresh uid per run (root only): sandboxes never share a uid with each other or with anyone.
    return _UID_RANGE[0] + secrets.randbelow(_UID_RANGE[1] - _UID_RANGE[0]) if os.geteuid() == 0 else None


def run_program(
    code: str | None, *, expected: str | None = None, limits: SandboxLimits | None = None
) -> ExecResult:
    """Run one Python program in the sandbox.

    Args:
        code: the program text; None or blank gives status ``no_code`` without running anything.
        expected: the answer the last non-empty stdout line must equal (after stripping).
        limits: resource limits; defaults to :class:`SandboxLimits`.

    Returns:
        The result. A hostile or broken program is a recorded status with a reason, never an
        exception; without a usable sandbox the status is ``not_run`` (nothing executed).

    Raises:
        SandboxError: the sandbox worked when probed but failed to start this program.
    """
    limits = limits or SandboxLimits()
    if code is None or not code.strip():
        return ExecResult(status="no_code", correct=None if expected is None else False,
                          reason="no code block in the output")  # fmt: skip
    uid = _fresh_uid()
    try:
        python = _bwrap.interpreter(limits.interpreter, uid is not None)
        if not limits.unsandboxed:
            _bwrap.probe(python, None if uid is None else _PROBE_UID)
    except _bwrap.Unavailable as exc:
        return _not_run(str(exc))
    return _run_once(code, expected, limits, python, uid)


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
