"""Statistics benchmark: the run's decision on 1M verdicts (< 2 s), a 2,400-pair run's whole
statistics (< 0.5 s), power plans (< 0.1 s each), and the bootstrap helpers.

Run: ``.venv/bin/python benchmarks/bench_stats.py``. Prints one line per figure.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import numpy as np

from judge.aggregation import inference
from judge.config import StatsOptions
from judge.stats import (
    ClusterCounts,
    bradley_terry,
    minimum_detectable_effect,
    net_win_summary,
    pairs_for_power,
    preference,
    sign_test,
)
from judge.summary import Counts


def _timed(label: str, fn: Callable[[], object], repeats: int = 3) -> float:
    best = min(_once(fn) for _ in range(repeats))
    print(f"{label:<62} {best:7.3f} s")
    return best


def _once(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _run_2400() -> None:
    import pandas as pd

    rng = np.random.default_rng(1)
    n = 2_400
    df = pd.DataFrame(
        {
            "status": np.where(rng.random(n) < 0.01, "failed", "judged"),
            "result": rng.choice(["win", "tie", "loss"], size=n, p=[0.34, 0.32, 0.34]),
            "cluster": [f"call{i // 5}" for i in range(n)],
            "category": rng.choice(["a", "b", "c", "d", "e"], size=n),
        }
    )
    opts = StatsOptions()
    for _, part in [("all", df), *df.groupby("category")]:
        res = inference.clustered(part, opts.alpha)
        judged = part[part.status != "failed"]
        counts = Counts(
            win=int((judged.result == "win").sum()),
            tie=int((judged.result == "tie").sum()),
            loss=int((judged.result == "loss").sum()),
        )
        inference.power(counts, res, opts)
        inference.failed_bounds(part, opts.alpha)


def _mde() -> None:
    for n in (2_400, 1_000, 1_000_000):
        minimum_detectable_effect(n, p_tie=0.3)


def main() -> None:
    """Print the timings."""
    rng = np.random.default_rng(0)
    n = 1_000_000
    scores = rng.choice([1.0, 0.5, 0.0], size=n, p=[0.5, 0.1, 0.4])
    calls = np.arange(n) // 5  # batches of five pairs per judge call
    call_names = np.char.add("call-", calls.astype(str))
    results = scores * 2 - 1
    _timed(
        "1M verdicts: clustered decision + interval + SE (int call ids)",
        lambda: net_win_summary(ClusterCounts.from_results(results, calls)),
    )
    _timed(
        "1M verdicts: clustered decision + interval + SE (string call ids)",
        lambda: net_win_summary(ClusterCounts.from_results(results, call_names)),
    )
    _timed("2,400 pairs in 5 categories: all inference (decision, power, bounds)", _run_2400)
    for win, loss in [(0.3413, 0.3360), (0.502, 0.498), (0.5, 0.4), (0.5, 0.45)]:
        _timed(f"pairs for 80 % power at {win} / {loss}", functools.partial(pairs_for_power, win, loss))
    _timed("detectable effect at n = 2,400 / 1,000 / 1M", _mde)
    _timed("1M verdicts, 10,000 resamples, percentile, clustered by call", lambda: preference(scores, calls))
    _timed(
        "1M verdicts, 10,000 resamples, BCa, clustered by call",
        lambda: preference(scores, calls, method="bca"),
    )
    _timed(
        "1M verdicts, 10,000 resamples, percentile, string call ids", lambda: preference(scores, call_names)
    )
    _timed("1M verdicts, 10,000 resamples, percentile, per pair", lambda: preference(scores))
    _timed("sign test on 1M verdicts", lambda: sign_test(int((scores == 1).sum()), int((scores == 0).sum())))
    _timed("pairs for 80 % power at 0.5 / 0.1 / 0.4", lambda: pairs_for_power(0.5, 0.4))
    systems = np.array(["base", "adapter-1", "adapter-2", "large"])
    pairs = np.array([rng.choice(4, 2, replace=False) for _ in range(20_000)])
    bt = rng.choice([1.0, 0.5, 0.0], size=20_000)
    _timed(
        "Bradley-Terry, 4 systems, 20k verdicts, 1,000 resamples",
        lambda: bradley_terry(systems[pairs[:, 0]], systems[pairs[:, 1]], bt),
        repeats=1,
    )
    print(f"pairs for 80 % power at seed 001's split (0.5 / 0.1 / 0.4): {pairs_for_power(0.5, 0.4)}")


if __name__ == "__main__":
    main()
