"""Start a judge process as uid 65534 (nobody), the way an ordinary user runs judge.

CI runs as root, which hides what an unprivileged user would see (root bypasses permission
checks and RLIMIT_NPROC). The tests use this to run the same code as nobody, with the same
interpreter (or the system one of the same version, when ours is under root's home) and the
installed packages on ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import shutil
import site
import stat
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

NOBODY = 65534
REPO = Path(__file__).resolve().parents[2]
# `make test` installs bubblewrap (`make sandbox`), so CI never skips: there a missing bwrap fails.
needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"),
    reason="bubblewrap is not installed: `make sandbox` (or sudo apt-get install bubblewrap)",
)


def _reachable(path: Path) -> bool:
    # Every folder above needs o+x, the path itself o+r (and o+x for a folder or program).
    if not all(p.stat().st_mode & stat.S_IXOTH for p in path.parents):
        return False
    return bool(path.stat().st_mode & stat.S_IROTH)


def _interpreter() -> str | None:
    own = Path(os.path.realpath(sys.executable))
    if _reachable(own):
        return str(own)
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    return str(system) if system.exists() and _reachable(system) else None


def _env(extra: Mapping[str, str]) -> dict[str, str]:
    paths = [str(REPO), str(REPO / "tests" / "checks"), *site.getsitepackages()]
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent",
            "PYTHONPATH": os.pathsep.join(paths), **extra}  # fmt: skip


def _become_nobody() -> None:
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)


def run_as(
    nobody: bool, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """Run ``python argv...`` as nobody (or as the current user), with ``env`` on top of a minimal one.

    Skips the test, saying why, when nobody cannot be reached (not root) or cannot import judge.
    """
    python = _interpreter() if nobody else sys.executable
    if nobody and os.geteuid() != 0:
        pytest.skip("dropping to uid 65534 needs root (this run is already unprivileged)")
    if python is None or not _reachable(REPO / "judge" / "__init__.py"):
        pytest.skip("no interpreter or source tree that uid 65534 can read")
    full = _env(env)
    pre = _become_nobody if nobody else None
    probe = subprocess.run([python, "-c", "import judge, pydantic, rich"], env=full, cwd=cwd,
                           preexec_fn=pre, capture_output=True, text=True, check=False)  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"uid 65534 cannot import judge: {probe.stderr.strip().splitlines()[-1:]}")
    return subprocess.run([python, *argv], env=full, cwd=cwd, preexec_fn=pre, capture_output=True,
                          text=True, timeout=timeout, check=False)  # fmt: skip


def processes_with(marker: str) -> list[str]:
    """Command lines of the running processes that contain ``marker`` (none should survive a run)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found
