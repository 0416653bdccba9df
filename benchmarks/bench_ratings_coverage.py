"""Coverage of the Bradley-Terry difference intervals under the clustered several-models design.

The data come from ``tests/stats/test_ratings_design.py`` (the design of issue 14: groups of 5
items, one call per round mixing pairings, a group = one cluster; random effects per model output
and per call and model, both with standard deviation ``sd`` on the logit scale; "/2x": both
orders, each call repeated with A/B swapped). For each cell of design x K models x n items x sd:

* ``cover``: share of pairwise differences whose marginal 95 % interval covers the true one, for
  ``cr1-t`` (the product: cluster-robust CR1 covariance, t with G - 1 df), ``cr1-z`` (same,
  normal quantile), ``naive`` (the same fit without cluster labels) and ``boot`` (cluster
  bootstrap covariance, only with ``--bootstrap``);
* ``simcov``: share of runs in which every simultaneous interval covers (the product, cr1-t);
* ``fwer``: under equal models, share of runs with any "clearly better" (the product; nominal 5 %);
  ``fwer-naive``: the same without cluster labels;
* ``win``: share of win-rate cells whose interval (Wilson on the cluster-effective count) covers
  the expected preference;
* ``deff``: mean ratio of the clustered to the naive variance of the differences;
* ``width``: mean width of the product's marginal interval; ``ms``: time per fit (clustered,
  default 20,000 draws would add ~2 ms; here 5,000), ``ms-boot``: the same with the bootstrap.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_ratings_coverage.py [--quick] [--bootstrap]``.
A line per cell; the Monte Carlo error of a 95 % coverage over R runs is about sqrt(.05*.95/R).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import special
from scipy import stats as sps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from judge.stats import bradley_terry
from tests.stats.test_ratings_design import draw, expected_score, layout, pairings, target

TIE = 0.4


def _spread(k: int) -> np.ndarray:
    """True ratings: the baseline 0, the others spread over [-0.6, 0.6]."""
    return np.concatenate([[0.0], np.linspace(-0.6, 0.6, k - 1)])


def _cell(
    design: str, k: int, n: int, sd: float, both: bool, reps: int, bootstrap: bool, seed: int
) -> dict[str, float]:
    lay = layout(k, design, n, both_orders=both, seed=seed)
    first, second = lay.names()
    iu = np.triu_indices(k, 1)
    effects = {"output_sd": sd, "call_sd": sd, "tie_threshold": TIE}
    out: dict[str, list[float]] = {}
    pairs = np.array(pairings(k, design))
    for theta, tag in ((_spread(k), "alt"), (np.zeros(k), "null")):
        true = target(theta, design, **effects)
        true_diff = (true[:, None] - true[None, :])[iu]
        true_rate = expected_score(theta[pairs[:, 0]] - theta[pairs[:, 1]], **effects)
        scores = draw(lay, theta, reps=reps, rng=np.random.default_rng(seed + 1), **effects)
        for row in scores:
            start = time.perf_counter()
            fit = bradley_terry(first, second, row, clusters=lay.group, n_draws=5_000)
            elapsed = time.perf_counter() - start
            naive = bradley_terry(first, second, row, n_draws=5_000)
            d, dn = fit.differences, naive.differences
            est, se, se_n = d.estimate[iu], d.standard_error[iu], dn.standard_error[iu]
            z = float(special.ndtri(0.975))
            t = float(sps.t.ppf(0.975, fit.df))
            if tag == "null":
                out.setdefault("fwer", []).append(float(d.clearly_better.any()))
                out.setdefault("fwer-naive", []).append(float(dn.clearly_better.any()))
                continue
            out.setdefault("ms", []).append(1000 * elapsed)
            out.setdefault("cr1-t", []).append(float(np.mean(np.abs(est - true_diff) <= t * se)))
            out.setdefault("cr1-z", []).append(float(np.mean(np.abs(est - true_diff) <= z * se)))
            out.setdefault("naive", []).append(float(np.mean(np.abs(est - true_diff) <= z * se_n)))
            low, high = fit.win_low[pairs[:, 0], pairs[:, 1]], fit.win_high[pairs[:, 0], pairs[:, 1]]
            out.setdefault("win", []).append(float(np.mean((low <= true_rate) & (true_rate <= high))))
            out.setdefault("simcov", []).append(float(np.all(np.abs(est - true_diff) <= d.sim_critical * se)))
            out.setdefault("deff", []).append(float(np.mean(se**2 / se_n**2)))
            out.setdefault("width", []).append(float(np.mean(2 * t * se)))
            if bootstrap:
                start = time.perf_counter()
                boot = bradley_terry(
                    first, second, row, clusters=lay.group, method="bootstrap", n_resamples=400, n_draws=5_000
                )
                out.setdefault("ms-boot", []).append(1000 * (time.perf_counter() - start))
                se_b = boot.differences.standard_error[iu]
                out.setdefault("boot", []).append(float(np.mean(np.abs(est - true_diff) <= t * se_b)))
    return {key: float(np.mean(v)) for key, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few cells, 100 runs each")
    parser.add_argument("--bootstrap", action="store_true", help="also the cluster bootstrap (slow)")
    parser.add_argument("--reps", type=int, default=None, help="runs per cell")
    args = parser.parse_args()
    if args.quick:
        grid = [
            (d, 4, n, sd, False)
            for d in ("vs-baseline", "all-pairs")
            for n in (100, 200)
            for sd in (0.0, 2.0)
        ]
        reps = args.reps or 100
    else:
        grid = [
            (d, k, n, sd, False)
            for d in ("vs-baseline", "all-pairs")
            for k in (3, 4, 6)
            for n in (100, 200, 500)
            for sd in (0.0, 1.0, 2.0)
        ]
        grid += [(d, 4, n, 2.0, True) for d in ("vs-baseline", "all-pairs") for n in (100, 200)]
        reps = args.reps or 200
    cols = [
        "cr1-t",
        "cr1-z",
        "naive",
        *(["boot"] if args.bootstrap else []),
        "simcov",
        "fwer",
        "fwer-naive",
        "win",
    ]
    times = ["ms", *(["ms-boot"] if args.bootstrap else [])]
    print(f"{reps} runs per cell; coverage and error rates in %, nominal 95 / 5")
    print(
        f"{'design':<15}{'K':>3}{'n':>5}{'sd':>5}"
        + "".join(f"{c:>11}" for c in [*cols, "deff", "width", *times])
    )
    rows = []
    for i, (design, k, n, sd, both) in enumerate(grid):
        res = _cell(design, k, n, sd, both, reps, args.bootstrap, seed=1000 + i)
        rows.append(res)
        print(
            f"{design + ('/2x' if both else ''):<15}{k:>3}{n:>5}{sd:>5.1f}" + _figures(res, cols, times),
            flush=True,
        )
    mean = {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}
    print(f"{'mean of cells':<28}" + _figures(mean, cols, times))
    print(f"{'min of cells':<28}" + "".join(f"{100 * min(r[c] for r in rows):>11.1f}" for c in cols))
    print(f"{'max of cells':<28}" + "".join(f"{100 * max(r[c] for r in rows):>11.1f}" for c in cols))


def _figures(res: dict[str, float], cols: list[str], times: list[str]) -> str:
    return (
        "".join(f"{100 * res[c]:>11.1f}" for c in cols)
        + f"{res['deff']:>11.2f}{res['width']:>11.2f}"
        + "".join(f"{res[t]:>11.1f}" for t in times)
    )


if __name__ == "__main__":
    main()
