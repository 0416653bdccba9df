"""In-interpreter guard: the first code the sandboxed interpreter runs (passed with ``-c``).

It installs a :func:`sys.addaudithook` hook (which cannot be removed once added) that refuses
socket creation, process creation, ``ctypes`` and writes outside the working folder, then runs
the program file named in ``sys.argv[1]`` as ``__main__``.

What this layer guarantees: nothing, on its own. Audit hooks see only what CPython reports;
native code could slip past them, which is why ``ctypes`` and ``_posixsubprocess`` imports are
refused and why the kernel layers (network namespace, dropped uid with RLIMIT_NPROC, rlimits)
in :mod:`judge.checks.sandbox` do the real enforcing. It turns the common cases into a clear
``PermissionError`` in the program's stderr and is the only network/fork barrier when the
sandbox runs without root.

This file is never imported by judge; its source text is handed to the child interpreter.
"""

import os
import sys

_ROOT = os.path.realpath(os.getcwd())
_REFUSED = frozenset(
    {
        "socket.__new__",
        "socket.connect",
        "socket.bind",
        "socket.getaddrinfo",
        "os.fork",
        "os.forkpty",
        "os.posix_spawn",
        "os.exec",
        "os.system",
        "os.spawn",
        "subprocess.Popen",
        "pty.spawn",
        "ctypes.dlopen",
    }
)
_REFUSED_MODULES = frozenset({"ctypes", "_ctypes", "_posixsubprocess", "_multiprocessing"})
_PATH_EVENTS = frozenset(
    {
        "os.remove",
        "os.rename",
        "os.mkdir",
        "os.rmdir",
        "os.symlink",
        "os.link",
        "os.chmod",
        "os.chown",
        "os.truncate",
        "os.utime",
        "shutil.rmtree",
        "shutil.move",
        "shutil.copyfile",
    }
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _inside(path: object) -> bool:
    # Only path-like arguments matter; numbers (fds, modes, uids) are not places.
    if not isinstance(path, (str, bytes, os.PathLike)):
        return True
    raw = os.fsdecode(os.fspath(path))
    full = os.path.realpath(os.path.join(_ROOT, raw))
    return full == _ROOT or full.startswith(_ROOT + os.sep)


def _writes(mode: object, flags: object) -> bool:
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event in _REFUSED:
        raise PermissionError(f"sandbox: {event} is not allowed")
    if event == "import" and args and args[0] in _REFUSED_MODULES:
        raise PermissionError(f"sandbox: importing {args[0]} is not allowed")
    if event == "open" and len(args) >= 3 and _writes(args[1], args[2]) and not _inside(args[0]):
        raise PermissionError(f"sandbox: writing outside the working folder is not allowed: {args[0]!r}")
    if event in _PATH_EVENTS and not all(_inside(a) for a in args[:2]):
        raise PermissionError(f"sandbox: {event} outside the working folder is not allowed")


def _main() -> None:
    program = sys.argv[1]
    with open(program, encoding="utf-8") as handle:
        source = handle.read()
    sys.argv = [program]
    sys.addaudithook(_hook)
    code = compile(source, program, "exec")
    exec(code, {"__name__": "__main__", "__file__": program, "__builtins__": __builtins__})


if __name__ == "__main__":
    _main()
