"""Hostile programs for the sandbox, and a runner that can be started as another uid.

Each program prints the expected answer (``45``) only if its attack worked, so a breach shows up
as a "correct" result as well as in the places the tests inspect. Run as a script
(``python hostile_programs.py SPEC_JSON``) it runs the suite through :func:`judge.checks.run_programs` and
prints the results as JSON: the tests start it as uid 65534 to see the sandbox as a user does.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

ANSWER = "45"


@dataclass(frozen=True)
class Spec:
    """What the programs need to know: the listener's port, a folder to attack, a marker."""

    port: int
    precious: str
    marker: str


def programs(spec: Spec) -> dict[str, tuple[str, set[str]]]:
    """name -> (program, statuses it may end with). All but the last end as a failure with a reason."""
    return {
        "own environment": (
            "import os\nfound = [v for v in os.environ.values() if 'sk-' in v]\nprint(found)\n"
            f"print({ANSWER!r} if found else 'no key')",
            {"wrong"},
        ),
        "parent /proc environ": (
            "import os\ndata = open(f'/proc/{os.getppid()}/environ', 'rb').read()\nprint(data)\n"
            f"print({ANSWER!r} if b'sk-' in data else 'no key')",
            {"wrong", "error"},
        ),
        "scan /proc": (
            "import os\nfound = []\nfor pid in os.listdir('/proc'):\n"
            "    for name in ('environ', 'cmdline'):\n"
            "        try:\n            data = open(f'/proc/{pid}/{name}', 'rb').read()\n"
            "        except OSError:\n            continue\n"
            "        if b'sk-' in data:\n            found.append(data)\n"
            f"print(found)\nprint({ANSWER!r} if found else 'no key')",
            {"wrong"},
        ),
        "rebind hooks, then subprocess": (
            "import sys\nfor m in list(sys.modules.values()):\n"
            "    for name in ('_hook', '_REFUSED', '_REFUSED_MODULES', '_inside'):\n"
            "        try:\n            setattr(m, name, None)\n        except Exception:\n            pass\n"
            "import subprocess\nout = subprocess.run(['/bin/sh', '-c', 'env; cat /proc/*/environ'], "
            f"capture_output=True).stdout\nprint(out)\nprint({ANSWER!r})",
            {"error"},
        ),
        "subprocess": (
            "import subprocess\n"
            "print(subprocess.run(['/bin/echo', '45'], capture_output=True, text=True).stdout.strip())",
            {"error"},
        ),
        "connect to 127.0.0.1": (
            "import socket\ns = socket.create_connection(('127.0.0.1', "
            f"{spec.port}), timeout=2)\ns.sendall(b'stolen')\nprint({ANSWER!r})",
            {"error"},
        ),
        "write outside": (
            f"open({spec.precious + '/escaped.txt'!r}, 'w').write('x')\nprint({ANSWER!r})",
            {"error"},
        ),
        "write to /tmp": (
            f"open('/tmp/{spec.marker}', 'w').write('x')\nprint({ANSWER!r})",
            {"error"},
        ),
        "delete parent folders": (
            "import os, shutil\n"
            "roots = [l.split()[3] for l in open('/proc/self/mountinfo') if ' /sandbox ' in l]\n"
            f"targets = [{spec.precious!r}, os.path.dirname(os.getcwd()), *roots]\n"
            "seen = [p for p in targets if os.path.exists(p)]\n"
            "for p in seen:\n    shutil.rmtree(p, ignore_errors=True)\n"
            f"print(seen)\nprint({ANSWER!r} if any(not os.path.exists(p) for p in seen) else 'still there')",
            {"wrong", "error", "timeout"},  # walking all of / may well take longer than its CPU time
        ),
        "fork bomb": ("import os\nwhile True:\n    os.fork()", {"error"}),
        "4 GB allocation": ("x = bytearray(4 << 30)\nprint(len(x))", {"memory"}),
        "infinite loop": ("while True:\n    pass", {"timeout"}),
        "sleep past the wall clock": ("import time\ntime.sleep(120)", {"timeout"}),
        "daemonised child": (
            "import os, sys\nif os.fork() == 0:\n    os.setsid()\n"
            "    os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(120)', "
            f"{spec.marker!r}])\n"
            f"print({ANSWER!r})",
            {"error"},
        ),
        "well-behaved": ("print(sum(range(10)))", {"ok"}),
    }


def run_suite(spec: Spec) -> dict[str, dict[str, object]]:
    """Run every program through the sandbox; name -> ExecResult as JSON values."""
    from judge.checks.sandbox import SandboxLimits, run_programs

    limits = SandboxLimits(cpu_s=1, wall_s=4.0, memory_mb=256, output_bytes=4096)
    table = programs(spec)
    results = run_programs([(code, ANSWER) for code, _ in table.values()], limits=limits, workers=2)
    return {name: r.model_dump() for name, r in zip(table, results, strict=True)}


if __name__ == "__main__":
    print(json.dumps(run_suite(Spec(**json.loads(sys.argv[1])))))
