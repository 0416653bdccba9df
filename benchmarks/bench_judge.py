"""Throughput of the judge stage against the scripted server on 127.0.0.1.

Prints comparisons per second at a fixed reply latency and concurrency C, as a ratio to the
limit 5 * C / latency (batches of five), and the stage's own overhead per call at zero latency
(rendering, ledger writes, SDK, parsing). The server runs in its own process, so its work does
not share our interpreter lock; the SDK's lazy imports are warmed before timing.
Run: ``python benchmarks/bench_judge.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

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


_CPU: list[float] = []  # this process's CPU seconds per measured run (the server's are not counted)


def _serve(latency: float, url: mp.Queue[str], stop: mp.Event) -> None:  # type: ignore[type-arg]
    with FakeServer(latency=latency) as server:
        url.put(server.base_url)
        stop.wait()


async def _stage(base_url: str, pairs: list[BlindPair], concurrency: int, folder: Path) -> float:
    spec = JudgeSpec(model="bench", base_url=base_url, concurrency=concurrency)
    groups = [pairs[i : i + 5] for i in range(0, len(pairs), 5)]
    async with ChatClient(
        "bench", base_url=base_url, concurrency=concurrency, retry=RetryPolicy(attempts=1)
    ) as client:
        await client.chat([{"role": "user", "content": "warm up"}])  # SDK lazy imports, connection
        with Ledger(folder / "ledger.sqlite") as ledger:
            stage = JudgeStage(client, ledger, spec, Templates.load())
            start, cpu = time.perf_counter(), time.process_time()
            judged = await stage.run(groups)
            elapsed = time.perf_counter() - start
            _CPU.append(time.process_time() - cpu)
    assert sum(j.status == "ok" for j in judged.values()) == len(pairs)
    return elapsed


def measure(latency: float, concurrency: int, calls: int) -> tuple[float, float]:
    """(comparisons per second, seconds per call) for one setting, fresh ledger."""
    pairs = _pairs(5 * calls)
    urls: mp.Queue[str] = mp.Queue()
    stop = mp.Event()
    server = mp.Process(target=_serve, args=(latency, urls, stop), daemon=True)
    server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            elapsed = asyncio.run(_stage(urls.get(timeout=30), pairs, concurrency, Path(tmp)))
    finally:
        stop.set()
        server.join(timeout=10)
    return len(pairs) / elapsed, elapsed / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 16])
    parser.add_argument("--calls", type=int, default=80)
    args = parser.parse_args()
    print(f"judge stage vs scripted server, reply latency {args.latency * 1000:.0f} ms, batches of 5")
    print(f"{'C':>4} {'calls':>6} {'cmp/s':>9} {'limit 5C/lat':>13} {'ratio':>7}")
    for c in args.concurrency:
        rate, _ = measure(args.latency, c, args.calls)
        limit = 5 * c / args.latency
        print(f"{c:>4} {args.calls:>6} {rate:>9.1f} {limit:>13.1f} {rate / limit:>7.1%}")
    rate0, per_call = measure(0.0, 1, args.calls)
    cpu = _CPU[-1] / args.calls
    print(f"zero latency, C=1: {per_call * 1000:.1f} ms per call of 5 wall ({rate0:.0f} cmp/s), of which "
          f"{cpu * 1000:.1f} ms is judge's own CPU (render, SDK, ledger, parse); "
          "the rest is the scripted server")


if __name__ == "__main__":
    main()
