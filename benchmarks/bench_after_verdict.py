"""Everything ``judge run`` does after the last verdict, for a 2,400-pair run, step by step.

Writes a real project (2,400 prompts in six categories, both models' outputs as files, the default
config but for the judge's address), then runs ``judge run`` in a fresh interpreter against the
scripted judge server (tests/fakeserver, on 127.0.0.1, no latency). Inside that process the steps of
the pipeline after the judge stage are timed where they are called (the product's own functions,
wrapped, nothing re-implemented): from the moment the judge stage returned (the last verdict) to the
moment the process has exited. Each step's time excludes the steps it calls; ``imports`` is the time
spent importing modules in that window, ``rest`` what no wrapper saw (glue, interpreter exit).

``--keep DIR`` copies the run folder there (to compare summary.json before and after a change);
``--profile FILE`` writes a cProfile of the window.
Run: ``python benchmarks/bench_after_verdict.py`` (``--repeats 3`` prints the median of three runs).
"""

from __future__ import annotations

import argparse
import builtins
import functools
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

CATEGORIES = ("coding", "math", "writing", "reasoning", "extraction", "roleplay")

# (module, attribute, label): the steps after the judge stage, wrapped where the pipeline calls them
STEPS = [
    ("judge.aggregation.aggregate", "build_outcomes", "build_outcomes"),
    ("judge.run.pipeline", "_usage", "usage"),
    ("judge.run.pipeline", "verification", "verification"),
    ("judge.run.pipeline", "judged_pairs", "judged_pairs (reliability)"),
    ("judge.aggregation.aggregate", "summarize", "summarize (statistics)"),
    ("judge.run.pipeline", "run_state", "run state"),
    ("judge.run.pipeline", "record_invocation", "record invocation"),
    ("judge.run.pipeline", "audit_rows", "audit rows"),
    ("judge.runfolder", "RunFolder.write_records", "write jsonl"),
    ("judge.runfolder", "RunFolder.write_summary", "write summary.json"),
    ("judge.reporting.run", "load_run", "reports: read the run back"),
    ("judge.reporting.run", "render_markdown", "reports: markdown"),
    ("judge.reporting.run", "render_html", "reports: html"),
    ("judge.reporting.run", "figures", "reports: svg figures"),
    ("judge.runfolder", "RunFolder.write_text", "write text files"),
    ("judge.reporting.index", "write_index", "results/index.html"),
    ("judge.store", "Ledger.close", "ledger close"),
    ("os", "fsync", "fsync (run folder files)"),
    ("judge.reporting.console", "print_summary", "terminal summary"),
    ("judge.cli.main", "report_ending", "terminal summary"),
]


def write_project(root: Path, base_url: str, n: int) -> Path:
    """Prompts, both outputs files and a config for ``n`` items; the config's path."""
    rng = random.Random(16)
    prompts, ft, base = [], [], []
    for i in range(n):
        item = f"item-{i:05d}"
        cat = CATEGORIES[i % len(CATEGORIES)]
        prompt = f"Task {i} ({cat}): explain step by step how to do {i} things."
        prompts.append({"id": item, "prompt": prompt, "category": cat})
        wins = rng.random()
        ft_good, base_good = wins < 0.45 or wins > 0.9, 0.45 <= wins < 0.8 or wins > 0.9
        body = " ".join(f"Step {k}: do part {k} of task {i} carefully." for k in range(rng.randint(8, 30)))
        ft.append({"id": item, "output": body + (" [good]" if ft_good else " Not sure.")})
        base.append({"id": item, "output": body[::-1] + (" [good]" if base_good else " Maybe.")})
    for name, rows in (("prompts.jsonl", prompts), ("ft.jsonl", ft), ("base.jsonl", base)):
        (root / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    config = root / "run.toml"
    config.write_text(
        f'name = "after"\nprompts = "prompts.jsonl"\nresults = "results"\n\n'
        f'[models.finetuned]\nname = "ft-model"\noutputs = "ft.jsonl"\n\n'
        f'[models.base]\nname = "base-model"\noutputs = "base.jsonl"\n\n'
        f'[judge]\nmodel = "judge-model"\nbase_url = "{base_url}"\nconcurrency = 16\n',
        encoding="utf-8",
    )
    return config


class Steps:
    """Exclusive wall time per label of wrapped calls, counted once the window is open."""

    def __init__(self) -> None:
        self.open = False
        self.start = 0.0
        self.spent: defaultdict[str, float] = defaultdict(float)
        self._stack: list[list[Any]] = []  # [label, start, time in wrapped calls below]

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.open:
                return fn(*args, **kwargs)
            self._stack.append([label, time.perf_counter(), 0.0])
            try:
                return fn(*args, **kwargs)
            finally:
                _, began, below = self._stack.pop()
                took = time.perf_counter() - began
                self.spent[label] += took - below
                if self._stack:
                    self._stack[-1][2] += took

        return timed


def _patch(steps: Steps, pending: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Wrap the steps whose modules are imported by now (whole); the others, still to wrap."""
    left = []
    for module, attr, label in pending:
        owner: Any = sys.modules.get(module)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        if owner is None or not hasattr(owner, name):  # not imported, or not yet to the end
            left.append((module, attr, label))
            continue
        setattr(owner, name, steps.wrap(label, getattr(owner, name)))
    return left


def child(config: str, out: str, profile: str | None) -> None:
    """Run ``judge run`` here with the steps wrapped; write the window's start and steps to ``out``."""
    steps, pending = Steps(), list(STEPS)
    real_import = builtins.__import__
    timed_import = steps.wrap("imports", real_import)

    def importing(*args: Any, **kwargs: Any) -> Any:
        nonlocal pending
        module = timed_import(*args, **kwargs)
        if pending:
            pending = _patch(steps, pending)
        return module

    builtins.__import__ = importing
    import judge.run.pipeline as pipeline  # what `judge run` imports before judging anyway

    judge_stage = pipeline._judge
    profiler = None

    async def judged(*args: Any, **kwargs: Any) -> Any:
        nonlocal profiler
        got = await judge_stage(*args, **kwargs)
        steps.open, steps.start = True, time.time()  # the last verdict is in
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        return got

    pipeline._judge = judged  # type: ignore[assignment]
    from judge.cli.main import main

    sys.argv = ["judge", "run", config, "--no-progress"]
    code = main()  # as the console script calls it
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    ended = time.time()
    Path(out).write_text(json.dumps({"code": code, "start": steps.start, "end": ended, "spent": steps.spent}))


def once(config: Path, keep: Path | None, profile: str | None) -> dict[str, float]:
    """One fresh ``judge run`` of ``config``: seconds per step after the last verdict, and the total."""
    run_dir = config.parent / "results" / "after"
    shutil.rmtree(run_dir.parent, ignore_errors=True)
    out = config.parent / "timings.json"
    argv = [
        sys.executable,
        __file__,
        "--child",
        str(config),
        str(out),
        *(["--profile", profile] if profile else []),
    ]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    ended = time.time()
    got = json.loads(out.read_text())
    assert got["code"] == 0, f"judge run ended with exit code {got['code']}"
    steps: dict[str, float] = got["spent"]
    total = ended - got["start"]
    steps["interpreter exit"] = ended - got["end"]
    steps["rest"] = total - sum(steps.values())
    steps["total"] = total
    if keep is not None:
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(run_dir, keep)
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=2_400)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="copy the (last) run folder here")
    parser.add_argument("--profile", help="write a cProfile of the window after the last verdict here")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.profile)
        return
    from fakeserver import FakeServer

    runs = []
    with tempfile.TemporaryDirectory() as tmp, FakeServer() as server:
        config = write_project(Path(tmp), server.base_url, args.pairs)
        for _ in range(args.repeats):
            runs.append(once(config, args.keep, args.profile))
    labels = sorted({k for r in runs for k in r} - {"rest", "total"}, key=lambda k: -runs[-1].get(k, 0.0))
    print(f"judge run, {args.pairs:,} pairs, default config: after the last verdict (median of {len(runs)})")
    for label in [*labels, "rest", "total"]:
        print(f"  {label:<30} {statistics.median(r.get(label, 0.0) for r in runs):7.3f} s")


if __name__ == "__main__":
    main()
