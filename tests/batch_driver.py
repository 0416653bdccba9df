"""Run the judge stage in batch mode on a spine project, as the pipeline will (until it is wired in).

Usage: ``python tests/batch_driver.py RUN.toml POLL_SECONDS [FAILED]`` writes ``batch_run.json``
(verdict per pair id, batch outcome) into the run folder. The inputs are made exactly as
``judge.run.pipeline.run_comparison`` makes them: read, checked, blinded, batched.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Literal, cast

from judge.checks.stage import apply_checks
from judge.client import Prices
from judge.config import load_config
from judge.judging.batch import BatchRun, judge_with_batches
from judge.judging.batch_options import BatchOptions
from judge.judging.batch_progress import BatchProgress
from judge.judging.blind import batches, make_pairs
from judge.judging.stage import Templates
from judge.run.pipeline import read_inputs
from judge.store import Ledger

PRICES = Prices(2.50, 10.00)  # list prices of the test: the batch is billed at half


def run(config_path: Path, options: BatchOptions, *, progress: bool = False) -> BatchRun:
    """Judge the project's pairs with the Batch API first, then the live API for what is left."""
    config = load_config(config_path)
    items, files = read_inputs(config)
    assert files is not None, "the spine project ships both outputs files"
    gens, decided, _ = apply_checks(config, items, files)
    pairs, keys = make_pairs(items, gens, seed=config.seed, both_orders=config.judge.both_orders)
    chosen = [(p, k) for p, k in zip(pairs, keys, strict=True) if k.item_id not in decided]
    groups = batches(
        [p for p, _ in chosen], [k for _, k in chosen], seed=config.seed, size=config.judge.batch_size
    )
    templates = Templates.load(config.judge.prompts, config.judge.criteria)
    config.run_dir.mkdir(parents=True, exist_ok=True)
    with Ledger(config.run_dir / "ledger.sqlite") as ledger, BatchProgress(enabled=progress) as bar:
        judging = judge_with_batches(
            groups, ledger, config.judge, templates, options, prices=PRICES, on_status=bar.update
        )
        return asyncio.run(judging)


def main(argv: list[str]) -> None:
    failed = cast(Literal["live", "batch"], argv[3] if len(argv) > 3 else "live")
    config_path = Path(argv[1])
    done = run(config_path, BatchOptions(poll_interval=float(argv[2]), failed=failed), progress=True)
    out = {
        "verdicts": {pid: j.verdict.winner if j.verdict else j.status for pid, j in done.judgments.items()},
        "batch_ids": list(done.batch.batch_ids),
        "created": done.batch.created,
        "answered": done.batch.answered,
        "failed": done.batch.failed,
        "batch_cost": done.batch.cost,
        "batch_usage": done.batch.usage.model_dump(),
        "live_cost": PRICES.cost(done.stage.new_usage),
        "live_calls": done.stage.calls - done.stage.cached_calls,
    }
    run_dir = load_config(config_path).run_dir
    (run_dir / "batch_run.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(sys.argv)
