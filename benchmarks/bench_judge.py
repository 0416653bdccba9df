"""Throughput of the judge stage against a bare async openai client, side by side, and its memory.

Both talk to the scripted server on 127.0.0.1 (its own process, so its work does not share our
interpreter lock) at a fixed reply latency and concurrency C, in the same run, alternating:

* *bare*: ``openai.AsyncOpenAI`` (``max_retries=0``) sending the same rendered requests under a
  semaphore of C: no ledger, no parsing, no retries; the ceiling for this machine and server;
* *stage*: :class:`JudgeStage` through :class:`ChatClient` (render, ledger writes before and after
  every call, retry wrapper, parse, exactly-once rule), streaming batches through a fixed pool.

The stage runs as ``judge run`` has it, with its progress bar drawn (to /dev/null, as on a
terminal). Every round runs each C in turn, bare first on even rounds and the stage first on odd
ones. Printed: each round's comparisons per second and ratio, then per C the medians, the ratio's
median and min (the target is >= 0.97 at C = 8 and 32) and the stage's share of the 5 * C / latency
limit. The bare client keeps the SDK's default HTTP pool (1,000 connections); ChatClient sizes its
pool to its concurrency. ``--memory N`` judges N pairs at zero latency and prints the process's peak
RSS before and after the stage (the server's memory is not counted).
Run: ``python benchmarks/bench_judge.py --rounds 5 --calls 300`` (``--memory 100000`` for the memory
figure).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import openai
from fakeserver import FakeServer
from rich.console import Console

from judge.client import ChatClient, Prices, RetryPolicy
from judge.config import JudgeSpec
from judge.judging.stage import JudgeStage, Templates
from judge.progress import JudgeProgress
from judge.records import BlindPair, Usage
from judge.store import Ledger


def _pairs(n: int) -> list[BlindPair]:
    return [
        BlindPair(
            pair_id=f"p{i:07d}",
            prompt=f"What is {i} * 3? Explain.",
            output_a=f"{3 * i}. [good] Because {i} times 3 is {3 * i}." * 3,
            output_b=f"Maybe {3 * i + 1}, I think." * 3,
        )
        for i in range(n)
    ]


def _serve(latency: float, url: mp.Queue[str], stop: mp.Event) -> None:  # type: ignore[type-arg]
    with FakeServer(latency=latency) as server:
        url.put(server.base_url)
        stop.wait()


def _groups(n: int) -> list[list[BlindPair]]:
    pairs = _pairs(n)
    return [pairs[i : i + 5] for i in range(0, len(pairs), 5)]


async def _bare(base_url: str, groups: list[list[BlindPair]], concurrency: int) -> float:
    spec, templates = JudgeSpec(model="bench", base_url=base_url), Templates.load()  # the stage's bodies
    bodies: list[dict[str, Any]] = [JudgeStage.request_for(spec, g, templates, 0)[1] for g in groups]
    sdk = openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0)
    sem = asyncio.Semaphore(concurrency)
    await sdk.chat.completions.create(model="bench", messages=[{"role": "user", "content": "warm up"}])

    async def one(body: dict[str, Any]) -> None:
        async with sem:
            fmt = {"type": "json_schema", "json_schema": {"name": "reply", "schema": body["schema"]}}
            await sdk.chat.completions.create(
                model="bench", messages=body["messages"], temperature=0.0, response_format=fmt, seed=0
            )  # type: ignore[call-overload]

    start = time.perf_counter()
    await asyncio.gather(*(one(b) for b in bodies))
    elapsed = time.perf_counter() - start
    await sdk.close()
    return elapsed


async def _stage(
    base_url: str,
    groups: list[list[BlindPair]],
    concurrency: int,
    folder: Path,
    on_call: Callable[[int, Usage, bool], None] | None = None,
) -> float:
    spec = JudgeSpec(model="bench", base_url=base_url, concurrency=concurrency)
    async with ChatClient(
        "bench", base_url=base_url, concurrency=concurrency, retry=RetryPolicy(attempts=1)
    ) as client:
        await client.chat([{"role": "user", "content": "warm up"}])  # SDK lazy imports, connection
        with Ledger(folder / "ledger.sqlite") as ledger:
            stage = JudgeStage(client, ledger, spec, Templates.load(), on_call=on_call)
            start = time.perf_counter()
            judged = await stage.run(groups)
            elapsed = time.perf_counter() - start
    assert sum(j.status == "ok" for j in judged.values()) == sum(map(len, groups))
    return elapsed


class Server:
    """The scripted server in its own process."""

    def __init__(self, latency: float) -> None:
        urls: mp.Queue[str] = mp.Queue()
        self.stop = mp.Event()
        self.proc = mp.Process(target=_serve, args=(latency, urls, self.stop), daemon=True)
        self.proc.start()
        self.url = urls.get(timeout=30)

    def close(self) -> None:
        self.stop.set()
        self.proc.join(timeout=10)


def _quiet_bar(total: int) -> JudgeProgress:
    """The judging bar as ``judge run`` draws it on a terminal (refreshing), written to /dev/null."""
    console = Console(file=open(os.devnull, "w"), force_terminal=True, width=120)  # noqa: SIM115
    return JudgeProgress(total, prices=Prices(input_per_mtok=2.5, output_per_mtok=10.0), console=console)


@dataclass
class Round:
    """One interleaved round at one concurrency: comparisons per second of each client."""

    bare: float
    stage: float

    @property
    def ratio(self) -> float:
        return self.stage / self.bare


def interleaved(latency: float, concurrencies: list[int], calls: int, rounds: int) -> dict[int, list[Round]]:
    """Rounds of (bare, stage) at every concurrency, interleaved on one server: round r runs each C in
    turn, bare first on even rounds and the stage first on odd ones, so drift in the machine's load
    falls on both alike."""
    groups = _groups(5 * calls)
    n = len(groups) * 5
    server = Server(latency)
    out: dict[int, list[Round]] = {c: [] for c in concurrencies}
    try:
        for r in range(rounds):
            for c in concurrencies:
                got: dict[str, float] = {}
                for name in ("bare", "stage") if r % 2 == 0 else ("stage", "bare"):
                    if name == "bare":
                        got[name] = n / asyncio.run(_bare(server.url, groups, c))
                        continue
                    with tempfile.TemporaryDirectory() as tmp, _quiet_bar(n) as bar:
                        got[name] = n / asyncio.run(_stage(server.url, groups, c, Path(tmp), bar.advance))
                out[c].append(Round(got["bare"], got["stage"]))
                print(f"  round {r + 1} C={c}: bare {got['bare']:.0f}, stage {got['stage']:.0f} cmp/s, "
                      f"ratio {got['stage'] / got['bare']:.3f}", flush=True)  # fmt: skip
    finally:
        server.close()
    return out


def memory(n: int, concurrency: int) -> None:
    """Peak RSS before and after judging ``n`` pairs at zero latency."""
    groups = _groups(n)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    server = Server(0.0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            elapsed = asyncio.run(_stage(server.url, groups, concurrency, Path(tmp)))
    finally:
        server.close()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{n:,} pairs ({len(groups):,} calls) at C={concurrency}, zero latency: {elapsed:.0f} s; peak RSS "
        f"{before:.0f} MiB with the pairs built, {after:.0f} MiB after the judge stage "
        f"(+{after - before:.0f} MiB: judgments, ledger cache, client)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--memory", type=int, default=0, help="also judge this many pairs and print peak RSS")
    args = parser.parse_args()
    print(
        f"judge stage (ledger, parser, progress bar) vs bare AsyncOpenAI, scripted server, reply latency "
        f"{args.latency * 1000:.0f} ms, batches of 5, {args.calls} calls, {args.rounds} interleaved rounds"
    )
    rounds = interleaved(args.latency, args.concurrency, args.calls, args.rounds)
    print(f"{'C':>4} {'bare cmp/s':>11} {'stage cmp/s':>12} {'ratio median':>13} {'ratio min':>10} "
          f"{'stage/limit':>12}   ratio per round")  # fmt: skip
    for c, got in rounds.items():
        ratios = [r.ratio for r in got]
        stage, bare = statistics.median(r.stage for r in got), statistics.median(r.bare for r in got)
        print(
            f"{c:>4} {bare:>11.1f} {stage:>12.1f} {statistics.median(ratios):>13.3f} {min(ratios):>10.3f} "
            f"{stage / (5 * c / args.latency):>12.1%}   {' '.join(f'{x:.3f}' for x in ratios)}"
        )
    if args.memory:
        memory(args.memory, 32)


if __name__ == "__main__":
    main()
