"""Statistics benchmark: 1M verdicts, 10,000 cluster-bootstrap resamples (target < 2 s).

Run: ``.venv/bin/python benchmarks/bench_stats.py``. Prints one line per figure.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from judge.stats import bradley_terry, pairs_for_power, preference, sign_test


def _timed(label: str, fn: Callable[[], object], repeats: int = 3) -> float:
    best = min(_once(fn) for _ in range(repeats))
    print(f"{label:<62} {best:7.3f} s")
    return best


def _once(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    """Print the timings."""
    rng = np.random.default_rng(0)
    n = 1_000_000
    scores = rng.choice([1.0, 0.5, 0.0], size=n, p=[0.5, 0.1, 0.4])
    calls = np.arange(n) // 5  # batches of five pairs per judge call
    call_names = np.char.add("call-", calls.astype(str))
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
