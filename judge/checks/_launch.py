"""Sandbox launcher: run by the parent's interpreter, it confines itself, then execs the program.

Invoked as ``python -I _launch.py CONFIG_JSON``. Order matters: the network namespace needs
privileges, so it comes first; the rlimits come next (lowering is always allowed); the uid is
dropped last, after which nothing can raise them again. It reports the layers it applied as one
JSON line on the status fd, which is close-on-exec, so the program never sees it; a setup failure
is reported there too and ends the launcher with exit status 125.

This file is never imported by judge.
"""

import json
import os
import resource
import sys
from typing import Any

_CLONE_NEWNET = 0x40000000


def _unshare_net() -> None:
    if hasattr(os, "unshare"):  # Python >= 3.12
        os.unshare(_CLONE_NEWNET)
        return
    import ctypes  # only in the launcher, never in the sandboxed program

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET) failed")


def _limit(kind: int, value: int) -> None:
    resource.setrlimit(kind, (value, value))


def _confine(cfg: dict[str, Any]) -> list[str]:
    layers: list[str] = []
    if cfg["netns"]:
        try:
            _unshare_net()
            layers.append("netns")
        except OSError:
            # No CAP_SYS_ADMIN (e.g. an unprivileged container): the audit hook is all that is left.
            layers.append("netns_unavailable")
    cpu = int(cfg["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    _limit(resource.RLIMIT_AS, int(cfg["memory_bytes"]))
    _limit(resource.RLIMIT_FSIZE, int(cfg["output_bytes"]))
    _limit(resource.RLIMIT_CORE, 0)
    layers += ["rlimit_cpu", "rlimit_as", "rlimit_fsize"]
    uid = cfg["uid"]
    if uid is not None:
        # RLIMIT_NPROC binds only unprivileged users, hence the uid drop right after it.
        _limit(resource.RLIMIT_NPROC, int(cfg["nproc"]))
        os.setgroups([])
        os.setgid(int(uid))
        os.setuid(int(uid))
        layers += ["rlimit_nproc", "uid"]
    return layers


def _report(fd: int, payload: dict[str, Any]) -> None:
    os.write(fd, (json.dumps(payload) + "\n").encode())


def main() -> None:
    cfg = json.loads(sys.argv[1])
    fd = int(cfg["status_fd"])
    os.set_inheritable(fd, False)
    try:
        layers = _confine(cfg)
        _report(fd, {"layers": layers})
        interp = cfg["interpreter"]
        os.execve(interp, [interp, "-I", "-c", cfg["guard"], cfg["program"]], cfg["env"])
    except OSError as exc:
        _report(fd, {"error": f"{type(exc).__name__}: {exc}", "errno": exc.errno})
        os._exit(125)


if __name__ == "__main__":
    main()
