"""Sequencing the stages for one run: inputs -> generate -> blind -> judge -> aggregate -> report.

Both the CLI and :func:`judge.compare` call :func:`run_comparison`. Every input is read and
checked before anything is written; then the run folder is filled stage by stage, with the
ledger making a re-run of the same config resume where the last one stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from judge import aggregate
from judge.aggregate import RunFacts
from judge.audit import audit_rows
from judge.batch_options import batch_prices
from judge.batch_outcome import BatchOutcome, billed
from judge.blind import batches, make_pairs
from judge.client import ChatClient, Prices, RetryPolicy, resolve_endpoint
from judge.config import JudgeSpec, RunConfig
from judge.errors import ConfigError
from judge.judging import JudgeStage, Templates, render_messages
from judge.progress import JudgeProgress
from judge.records import (
    ROLES,
    BlindKey,
    BlindPair,
    Generation,
    Judgment,
    Outcome,
    PromptItem,
    Result,
    Role,
)
from judge.screen import apply_checks, truth_extras
from judge.store import Ledger, write_atomic, write_jsonl
from judge.summary import Summary, UsageSummary

__all__ = ["CompareResult", "DryRun", "run_comparison"]


@dataclass
class CompareResult:
    """What a run produced. ``summary`` is also in ``run_dir/summary.json``."""

    summary: Summary
    outcomes: list[Outcome]
    run_dir: Path

    def to_dataframe(self) -> pd.DataFrame:
        """One row per prompt: status, result (fine-tuned side), confidence, criteria, ..."""
        return aggregate.to_dataframe(self.outcomes)


@dataclass(frozen=True)
class DryRun:
    """What a run would cost, computed before any judge call."""

    pairs: int
    calls: int
    cached_calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None

    def describe(self) -> str:
        """The estimate in words."""
        cost = (
            "unknown (set price_input_per_mtok / price_output_per_mtok)"
            if self.cost_usd is None
            else f"about ${self.cost_usd:.4f}"
        )
        return (
            f"{self.pairs} pairs in {self.calls} judge calls ({self.cached_calls} already in the ledger); "
            f"about {self.prompt_tokens:,} prompt + {self.completion_tokens:,} completion tokens "
            f"(estimated at 4 characters a token); cost {cost}."
        )


def _prices(config: RunConfig) -> Prices | None:
    j = config.judge
    if j.price_input_per_mtok is None or j.price_output_per_mtok is None:
        return None
    return Prices(j.price_input_per_mtok, j.price_output_per_mtok)


def _load_side(
    config: RunConfig, role: Role, items: list[PromptItem], ledger: Ledger | None, show_progress: bool
) -> dict[str, Generation]:
    from judge.generate import outputs_for  # stage 1 (generation backends imported only when used)

    return outputs_for(config.models[role], role, items, ledger, show_progress=show_progress)


def read_inputs(config: RunConfig) -> tuple[list[PromptItem], dict[Role, dict[str, Generation]] | None]:
    """Read and check every input file; outputs are None when a side must be generated."""
    from judge.generate import file_outputs
    from judge.inputs import load_prompts

    items = load_prompts(config.prompts)
    files = {role: file_outputs(config.models[role], role, items) for role in ROLES}
    items = items[: config.limit] if config.limit else items
    if all(v is not None for v in files.values()):
        return items, {role: v for role, v in files.items() if v is not None}
    return items, None


def _snapshot(config: RunConfig, run_dir: Path) -> None:
    if config.source and config.source.exists():
        shutil.copyfile(config.source, run_dir / "config.toml")
    write_atomic(run_dir / "config.json", config.model_dump_json(indent=2))


def _estimate(
    config: RunConfig, groups: list[list[BlindPair]], ledger: Ledger, templates: Templates
) -> DryRun:
    chars = [sum(len(m["content"]) for m in render_messages(g, templates)) for g in groups]
    prompt_tokens = sum(chars) // 4
    completion = sum(len(g) for g in groups) * 200  # a rationale, five criteria and a verdict per pair
    cached = sum(
        1 for g in groups if ledger.finished(JudgeStage.request_for(config.judge, g, templates, 0)[0])
    )
    prices = _prices(config)
    prices = batch_prices(prices, config.judge.batch) if config.judge.mode == "batch" else prices
    cost = (
        None
        if prices is None
        else (prompt_tokens * prices.input_per_mtok + completion * prices.output_per_mtok) / 1e6
    )
    return DryRun(sum(len(g) for g in groups), len(groups), cached, prompt_tokens, completion, cost)


@contextlib.contextmanager
def _judge_endpoint(config: RunConfig) -> Iterator[JudgeSpec]:
    """The judge spec to call: as configured, or pointed at a bundled model served for this run."""
    if config.judge.bundled is None:
        yield config.judge
        return
    from judge.bundled import bundled_model_path
    from judge.local import LocalServer

    path = bundled_model_path(config.judge.bundled)
    with LocalServer(path, model_name=config.judge.bundled, log_dir=config.run_dir, n_ctx=8192) as server:
        yield config.judge.model_copy(update={"base_url": server.base_url, "model": server.model_name})


async def _judge(
    config: RunConfig,
    spec: JudgeSpec,
    groups: list[list[BlindPair]],
    ledger: Ledger,
    templates: Templates,
    show_progress: bool,
    client: ChatClient | None,
) -> tuple[dict[str, Judgment], JudgeStage, BatchOutcome | None]:
    j = spec
    own = client is None
    client = client or ChatClient(
        j.model,
        base_url=j.base_url,
        api_key_env=j.api_key_env,
        timeout=j.timeout,
        concurrency=j.concurrency,
        retry=RetryPolicy(attempts=j.max_retries + 1, initial=j.backoff, jitter=j.backoff),
        prices=_prices(config),
    )
    batch = None
    if j.mode == "batch":  # the Batch API answers first calls into the ledger; the stage finds them there
        from judge.batch_progress import BatchProgress
        from judge.judging_batch import prefill_ledger

        with BatchProgress(enabled=show_progress) as shown:
            batch = await prefill_ledger(
                groups, ledger, j, templates, j.batch, prices=_prices(config), on_status=shown.update
            )
    with JudgeProgress(sum(len(g) for g in groups), enabled=show_progress, prices=_prices(config)) as bar:
        stage = JudgeStage(client, ledger, j, templates, on_call=bar.advance)
        client.on_retry = bar.retry
        try:
            return await stage.run(groups), stage, batch
        finally:
            if own:
                await client.aclose()


def run_comparison(
    config: RunConfig, *, dry_run: bool = False, show_progress: bool = True, client: ChatClient | None = None
) -> CompareResult | DryRun:
    """Run (or resume) one comparison and write its run folder.

    Args:
        config: the validated run config.
        dry_run: only estimate calls, tokens and cost; send nothing and write nothing but the ledger.
        show_progress: draw a progress bar on the terminal.
        client: a judge client to use instead of one built from ``config.judge`` (tests, custom transports).

    Returns:
        A CompareResult, or a DryRun estimate.
    """
    items, files = read_inputs(config)  # every InputError is raised here, before anything is written
    if config.judge.mode == "batch" and config.judge.bundled is not None:
        raise ConfigError('[judge] mode = "batch" needs a server with the Batch API, not a bundled judge')
    if not dry_run and client is None and config.judge.bundled is None:  # a missing key, before writing
        resolve_endpoint(config.judge.base_url, None, config.judge.api_key_env)
    run_dir = config.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    with Ledger(run_dir / "ledger.sqlite") as ledger:
        gens = files or {role: _load_side(config, role, items, ledger, show_progress) for role in ROLES}
        gens, decided, check_extras = apply_checks(config, items, gens)
        pairs, keys = make_pairs(items, gens, seed=config.seed, both_orders=config.judge.both_orders)
        to_judge = [(p, k) for p, k in zip(pairs, keys, strict=True) if k.item_id not in decided]
        groups = batches(
            [p for p, _ in to_judge], [k for _, k in to_judge], seed=config.seed, size=config.judge.batch_size
        )
        templates = Templates.load(config.judge.prompts, config.judge.criteria)
        if dry_run:
            return _estimate(config, groups, ledger, templates)
        _snapshot(config, run_dir)
        write_jsonl(run_dir / "generations.jsonl", [gens[r][i.id] for i in items for r in ROLES])
        write_jsonl(run_dir / "pairs.jsonl", pairs)
        write_jsonl(run_dir / "key.jsonl", keys)
        with _judge_endpoint(config) as spec:
            judgments, stage, batch = asyncio.run(
                _judge(config, spec, groups, ledger, templates, show_progress, client)
            )
    check_extras = check_extras if batch is None else {**check_extras, "batch": batch.extras()}
    return _finish(config, items, gens, pairs, keys, judgments, stage, decided, check_extras, batch)


def _judge_where(config: RunConfig) -> str:
    if config.judge.bundled:
        return f"bundled {config.judge.bundled}, llama.cpp on 127.0.0.1"
    return config.judge.base_url or "$OPENAI_BASE_URL (or api.openai.com)"


def _finish(
    config: RunConfig,
    items: list[PromptItem],
    gens: dict[Role, dict[str, Generation]],
    pairs: list[BlindPair],
    keys: list[BlindKey],
    judgments: dict[str, Judgment],
    stage: JudgeStage,
    decided: dict[str, tuple[Result, str]],
    extras: dict[str, Any],
    batch: BatchOutcome | None = None,
) -> CompareResult:
    run_dir = config.run_dir
    write_jsonl(run_dir / "judgments.jsonl", [judgments[p.pair_id] for p in pairs if p.pair_id in judgments])
    outcomes = aggregate.build_outcomes(items, keys, judgments, decided)
    extras = {**extras, **truth_extras(outcomes, gens)}
    tokens, cost = billed(stage.usage, _prices(config), batch)
    usage = UsageSummary(
        calls=stage.calls,
        cached_calls=stage.cached_calls,
        prompt_tokens=tokens.prompt_tokens,
        completion_tokens=tokens.completion_tokens,
        cost_usd=cost,
    )
    labels = Counter(j.verdict.winner for j in judgments.values() if j.verdict)
    facts = RunFacts(
        run_id=config.name,
        models={r: config.models[r].name for r in ROLES},
        judge={"model": config.judge.model, "base_url": _judge_where(config)},
        usage=usage,
        label_counts=labels,
        extras=extras,
    )
    summary = aggregate.summarize(outcomes, facts, config.stats)
    write_jsonl(run_dir / "outcomes.jsonl", outcomes)
    by_item = {o.item_id: o for o in outcomes}
    write_jsonl(
        run_dir / "audit.jsonl", audit_rows(items, pairs, keys, judgments, stage.raw_replies, by_item, gens)
    )
    write_atomic(run_dir / "summary.json", json.dumps(summary.model_dump(mode="json"), indent=2) + "\n")
    from judge.report import write_reports

    write_reports(run_dir)
    return CompareResult(summary=summary, outcomes=outcomes, run_dir=run_dir)
