"""Throughput of the judge stage against a bare async openai client, side by side, and its memory.

Both talk to the scripted server on 127.0.0.1 (its own process, so its work does not share our
interpreter lock) at a fixed reply latency and concurrency C, in the same run, alternating:

* *bare*: ``openai.AsyncOpenAI`` (``max_retries=0``) sending the same rendered requests under a
  semaphore of C: no ledger, no parsing, no retries; the ceiling for this machine and server;
* *stage*: :class:`JudgeStage` through :class:`ChatClient` (render, ledger writes before and after
  every call, retry wrapper, parse, exactly-once rule), streaming batches through a fixed pool.

Printed: comparisons per second of each, their ratio (the target is >= 0.97), and the share of the
5 * C / latency limit. ``--memory N`` judges N pairs at zero latency and prints the process's peak
RSS before and after the stage (the server's memory is not counted).
Run: ``python benchmarks/bench_judge.py`` (``--memory 100000`` for the memory figure).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import openai
from fakeserver import FakeServer

from judge.client import ChatClient, RetryPolicy
from judge.config import JudgeSpec
from judge.judging.stage import JudgeStage, Templates
from judge.records import BlindPair
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


async def _stage(base_url: str, groups: list[list[BlindPair]], concurrency: int, folder: Path) -> float:
    spec = JudgeSpec(model="bench", base_url=base_url, concurrency=concurrency)
    async with ChatClient(
        "bench", base_url=base_url, concurrency=concurrency, retry=RetryPolicy(attempts=1)
    ) as client:
        await client.chat([{"role": "user", "content": "warm up"}])  # SDK lazy imports, connection
        with Ledger(folder / "ledger.sqlite") as ledger:
            stage = JudgeStage(client, ledger, spec, Templates.load())
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


def side_by_side(latency: float, concurrency: int, calls: int, rounds: int) -> tuple[float, float]:
    """(bare, stage) comparisons per second, medians over alternating rounds on one server."""
    groups = _groups(5 * calls)
    server = Server(latency)
    bare, stage = [], []
    try:
        for _ in range(rounds):
            bare.append(len(groups) * 5 / asyncio.run(_bare(server.url, groups, concurrency)))
            with tempfile.TemporaryDirectory() as tmp:
                stage.append(
                    len(groups) * 5 / asyncio.run(_stage(server.url, groups, concurrency, Path(tmp)))
                )
    finally:
        server.close()
    return statistics.median(bare), statistics.median(stage)


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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory", type=int, default=0, help="also judge this many pairs and print peak RSS")
    args = parser.parse_args()
    print(
        f"judge stage vs bare AsyncOpenAI, scripted server, reply latency {args.latency * 1000:.0f} ms, "
        f"batches of 5, {args.calls} calls, median of {args.rounds} alternating rounds"
    )
    print(f"{'C':>4} {'bare cmp/s':>11} {'stage cmp/s':>12} {'stage/bare':>11} {'stage/limit':>12}")
    for c in args.concurrency:
        bare, stage = side_by_side(args.latency, c, args.calls, args.rounds)
        limit = 5 * c / args.latency
        print(f"{c:>4} {bare:>11.1f} {stage:>12.1f} {stage / bare:>11.1%} {stage / limit:>12.1%}")
    if args.memory:
        memory(args.memory, 32)


if __name__ == "__main__":
    main()
