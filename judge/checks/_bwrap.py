"""The bubblewrap command line that confines one program, the probe that says whether it works, and the end.

What the kernel enforces for the program (nothing here relies on code inside the interpreter):

* ``--unshare-all --unshare-user``: its own user, PID, network, IPC, UTS and cgroup namespaces.
  No network interface but a down loopback; in the PID namespace only the sandbox's own processes
  exist, and ``--proc /proc`` is mounted inside it, so the judge's processes and their
  ``/proc/<pid>/environ`` cannot be seen. ``--disable-userns`` forbids nesting another namespace.
* ``--clearenv`` and a judge started with a four-variable environment: no API key anywhere.
* A read-only view of the system: ``/usr`` (with the ``/lib*``, ``/bin`` links), the Python
  installation that runs the program, a minimal ``/dev`` (null, zero, urandom ...) and nothing
  else; the root and ``/dev`` are remounted read-only, so the one writable place is the
  program's folder, bound at ``/sandbox`` (no /tmp, no /dev/shm).
* ``--new-session`` (no terminal to inject keystrokes into), ``--die-with-parent``, no
  capabilities, and no new privileges (bubblewrap sets ``PR_SET_NO_NEW_PRIVS``).
* rlimits set by :data:`LIMITER` after the namespaces exist and before the program's first line:
  CPU, address space, file size, core 0, and ``RLIMIT_NPROC`` 1 (no fork at all: the count is
  per user namespace, so it binds whatever the judge's own uid is running).

As root, judge first drops to a fresh unprivileged uid and runs bubblewrap from there, exactly as
an ordinary user would (root's processes are exempt from ``RLIMIT_NPROC``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = [
    "ENV",
    "INSIDE",
    "INSTALL",
    "LIMITER",
    "Unavailable",
    "bwrap_command",
    "drop_to",
    "interpreter",
    "probe",
]

INSIDE = "/sandbox"
INSTALL = "sudo apt-get install bubblewrap"
# argv: cpu_s as_bytes fsize_bytes nproc program. Runs inside the sandbox, then becomes the program.
LIMITER = (
    "import os, resource as r, sys\n"
    "cpu, mem, fsize, nproc = map(int, sys.argv[1:5])\n"
    "r.setrlimit(r.RLIMIT_CPU, (cpu, cpu + 1))\n"
    "for kind, value in ((r.RLIMIT_AS, mem), (r.RLIMIT_FSIZE, fsize), (r.RLIMIT_CORE, 0),"
    " (r.RLIMIT_NPROC, nproc)):\n"
    "    r.setrlimit(kind, (value, value))\n"
    "os.execv(sys.executable, [sys.executable, '-I', sys.argv[5]])\n"
)
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": INSIDE, "TMPDIR": INSIDE}


class Unavailable(Exception):
    """bubblewrap is missing or cannot create its namespaces here; the message says why."""


def _usable_by_others(path: Path) -> bool:
    # An unprivileged uid needs o+x on every folder above and o+rx on the file itself.
    if not all(p.stat().st_mode & stat.S_IXOTH for p in path.parents):
        return False
    mode = path.stat().st_mode
    return bool(mode & stat.S_IXOTH and mode & stat.S_IROTH)


def interpreter(explicit: str | None, dropping: bool) -> str:
    """The Python that runs programs: ``explicit``, else this one, else the system's ``python3``.

    When judge runs as root it drops to an unprivileged uid first, and that uid must be able to
    reach the interpreter (a pyenv Python under /root is not).
    """
    if explicit:
        return explicit
    own = Path(os.path.realpath(sys.executable))
    if not dropping or _usable_by_others(own):
        return str(own)
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        real = Path(os.path.realpath(candidate))
        if real.exists() and _usable_by_others(real):
            return str(real)
    raise Unavailable("no Python interpreter that an unprivileged uid can run")


def _system_binds(python: str) -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    prefix = str(Path(python).parent.parent)
    if prefix not in ("/", "/usr"):
        args += ["--ro-bind", prefix, prefix]  # the interpreter's own installation (pyenv, conda)
    return args


def bwrap_command(work: Path, python: str, limits: tuple[int, int, int, int], status_fd: int) -> list[str]:
    """The full argv: bubblewrap, its options, then the limiter that becomes the program.

    Args:
        work: the host folder bound read-write at :data:`INSIDE`; it holds ``main.py``.
        python: the interpreter (see :func:`interpreter`).
        limits: CPU seconds, address-space bytes, file-size bytes, process count.
        status_fd: descriptor for bubblewrap's JSON status (child pid, then exit code).
    """
    binary = shutil.which("bwrap") or "bwrap"
    env = [arg for name, value in ENV.items() for arg in ("--setenv", name, value)]
    return [
        binary, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
        "--new-session", "--cap-drop", "ALL", "--clearenv", *env, *_system_binds(python),
        "--proc", "/proc", "--dev", "/dev", "--bind", str(work), INSIDE, "--chdir", INSIDE,
        "--remount-ro", "/dev", "--remount-ro", "/", "--json-status-fd", str(status_fd),
        "--", python, "-I", "-c", LIMITER, *map(str, limits), f"{INSIDE}/main.py",
    ]  # fmt: skip


def drop_to(uid: int | None) -> None:
    """``preexec_fn``: become ``uid`` (root only) so the sandbox is an ordinary user's sandbox."""
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)


@functools.lru_cache(maxsize=4)
def probe(python: str, uid: int | None) -> None:
    """Run ``pass`` in the sandbox (once per argument pair); raise :class:`Unavailable` if it fails.

    Args:
        python: the interpreter the programs will use.
        uid: the uid bubblewrap will run as (root only), else None.

    Raises:
        Unavailable: with bubblewrap's own last words, e.g. no permission to create namespaces.
    """
    if shutil.which("bwrap") is None:
        raise Unavailable("bubblewrap (bwrap) is not installed")
    with tempfile.TemporaryDirectory(prefix="judge-probe-") as folder:
        os.chmod(folder, 0o755)
        argv = bwrap_command(Path(folder), python, (5, 2**30, 2**20, 1), 2)
        argv = [*argv[: argv.index("--json-status-fd")], "--", python, "-I", "-c", "pass"]
        try:
            done = subprocess.run(
                argv, capture_output=True, timeout=30, env=ENV, preexec_fn=lambda: drop_to(uid), check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise Unavailable(f"bubblewrap did not start: {exc}") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise Unavailable(
            f"bubblewrap cannot create its sandbox here: {said[-1] if said else done.returncode}"
        )


def child_pid(status: str) -> int | None:
    """The pid (in the judge's namespace) of the sandbox's init, from bubblewrap's JSON status."""
    for line in status.splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            record = json.loads(line)
            if isinstance(record, dict) and "child-pid" in record:
                return int(record["child-pid"])
    return None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has no memory, no files and runs nothing


def end(proc: subprocess.Popen[bytes], status: str) -> None:
    """End a sandbox: kill its PID namespace's init (the kernel then kills every process in it).

    Args:
        proc: the bubblewrap process (or, unsandboxed, the program), leader of its own session.
        status: what bubblewrap wrote on its JSON status descriptor so far.

    Only while bubblewrap still runs: until bubblewrap reaps it, the init's pid cannot have been
    reused by an unrelated process. After a normal exit the namespace is already gone.
    """
    init = child_pid(status) if proc.poll() is None else None
    if init is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(init, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # bubblewrap itself (and, unsandboxed, the program)
    proc.wait()
    deadline = time.monotonic() + 5
    while init is not None and _alive(init) and time.monotonic() < deadline:
        time.sleep(0.01)
