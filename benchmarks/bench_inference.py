"""The decision's type-I error and the interval's coverage on the issue's grid, by simulation.

Grid: intra-call correlation 0 / 0.1 / 0.3 / 0.6, batch sizes 1 / 5 / 10, 10 to 200 judge calls,
with and without both_orders. Layouts come from the product's blinding and batching code and the
statistics are the product's (see tests/stats/design_sim.py for the model). Three settings:

* null (0.45 / 0.10 / 0.45): rejection rate of "no difference" (type-I error; coverage = 1 - it),
  beside the exact sign test's own size with as many *independent* verdicts (the most any exact,
  non-randomised test can reach at that n: below 5 % through discreteness);
* alternative (0.50 / 0.10 / 0.40): coverage of the true net win rate;
* extreme (0.90 / 0.05 / 0.05), n >= 20 pairs: coverage.

Run: ``.venv/bin/python benchmarks/bench_inference.py [--reps 2000]`` (a few minutes on 2 cores).
Monte Carlo SE at 2,000 runs: 0.5 points for a 5 % rate.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "stats"))
from design_sim import rates  # type: ignore[import-not-found]

from judge.stats import sign_test_power

ICC = (0.0, 0.1, 0.3, 0.6)
BATCH = (1, 5, 10)
CALLS = (10, 20, 50, 100, 200)
SETTINGS = {"null": (0.45, 0.10, 0.45), "alternative": (0.50, 0.10, 0.40), "extreme": (0.90, 0.05, 0.05)}


def _size(n: int, icc: float, both: bool) -> float:
    """The exact sign test's type-I error with n independent items (combined as the design does)."""
    p_win = SETTINGS["null"][0]
    if both:  # two verdicts per item; disagreement is a tie (truth() gives the combined mean)
        same = (1 - icc**0.5) ** 2
        p_win = (1 - same) * p_win**2 + same * p_win
    return sign_test_power(n, p_win, p_win)


def main() -> None:
    """Print one line per cell and a summary per setting."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=2_000)
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS))
    args = parser.parse_args()
    start = time.perf_counter()
    for name in args.settings:
        probs = SETTINGS[name]
        values = []
        print(
            f"\n{name} {probs}: calls batch icc both_orders -> "
            + ("type-I" if name == "null" else "coverage")
        )
        for calls in CALLS:
            for batch in BATCH:
                for icc in ICC:
                    for both in (False, True):
                        if name == "extreme" and calls * batch < 20:
                            continue
                        rejected, covered = rates(
                            calls, batch, icc, both, probs, args.reps, seed=calls + batch
                        )
                        value = rejected if name == "null" else covered
                        values.append((value, calls, batch, icc, both))
                        line = f"  {calls:4d} {batch:3d} {icc:4.1f} {both!s:5}  {100 * value:5.1f} %"
                        if name == "null":
                            line += (
                                f"  (exact test, independent: {100 * _size(calls * batch, icc, both):.1f} %)"
                            )
                        print(line, flush=True)
        arr = np.array([v[0] for v in values])
        low, high = min(values), max(values)
        print(
            f"{name}: mean {100 * arr.mean():.1f} %, min {100 * low[0]:.1f} % at {low[1:]}, "
            f"max {100 * high[0]:.1f} % at {high[1:]}"
        )
        if name == "null":
            big = [v[0] for v in values if v[1] >= 50]
            print(f"null with >= 50 calls: {100 * min(big):.1f} % to {100 * max(big):.1f} %")
        else:
            big = [v[0] for v in values if v[1] * v[2] >= 50]
            print(f"{name} with >= 50 pairs: {100 * min(big):.1f} % to {100 * max(big):.1f} %")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
