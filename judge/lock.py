"""One writer per run folder: an OS lock on ``<run folder>/run.lock``.

``fcntl.flock`` is held for the whole run and released by the operating system when the process
ends, however it ends: a run killed with ``kill -9`` never leaves a stale lock behind. The file
holds who took the lock (pid, start time, host), so a second ``judge run`` on the same folder can
say who is writing it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from judge.errors import JudgeError

__all__ = ["LOCK_NAME", "RunFolderBusy", "RunLock"]

LOCK_NAME = "run.lock"  # RunFolder.LOCK


class RunFolderBusy(JudgeError):
    """Another ``judge`` process is writing this run folder (exit code 5)."""

    exit_code = 5


def _holder(path: Path) -> str:
    """Who holds the lock, in words (the holder writes it right after taking the lock)."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(info["started"])))
        return f"pid {int(info['pid'])} on {info.get('host', '?')}, started {started}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another judge process (it has not written its pid yet)"


class RunLock:
    """An exclusive lock on a run folder, for a ``with`` block.

    Args:
        run_dir: the run folder (created if missing).
        wait: wait for the holder to finish instead of failing at once.
        on_wait: told who holds the lock before waiting (e.g. to print it).

    Raises:
        RunFolderBusy: the folder is locked and ``wait`` is False.
    """

    def __init__(
        self, run_dir: Path, *, wait: bool = False, on_wait: Callable[[str], None] | None = None
    ) -> None:
        self.path = Path(run_dir) / LOCK_NAME
        self.wait = wait
        self.on_wait = on_wait
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._take(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        info = {"pid": os.getpid(), "started": time.time(), "host": socket.gethostname()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        return self

    def _take(self, fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = _holder(self.path)
        folder = self.path.parent
        if not self.wait:
            raise RunFolderBusy(
                f"{folder} is being written by {holder}. Two runs of one folder would pay for the "
                "same calls twice: wait for it to finish, pass --wait to queue behind it, or give "
                "this run another name."
            )
        if self.on_wait is not None:
            self.on_wait(f"{folder} is being written by {holder}; waiting for it to finish")
        fcntl.flock(fd, fcntl.LOCK_EX)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing the descriptor releases the flock
        self._fd = None
