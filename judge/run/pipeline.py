"""Sequencing the stages for one run: inputs -> generate -> blind -> judge -> aggregate -> report.

Both the CLI and :func:`judge.compare` call :func:`run_comparison`. Every input is read and
checked before anything is written; then the run folder is locked (one writer at a time) and
filled stage by stage, with the ledger making a re-run of the same config resume where the last
one stopped and ask again for every pair that has no verdict yet.
"""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import pandas as pd

from judge.aggregation import aggregate
from judge.aggregation.aggregate import RunFacts
from judge.aggregation.audit_rows import audit_rows
from judge.aggregation.reliability import JudgedPair, judged_pairs
from judge.checks.stage import verification
from judge.client import ChatClient, resolve_endpoint
from judge.config import RunConfig
from judge.errors import ConfigError, InputError, redact_url
from judge.heap import frozen
from judge.judging.batch_options import batch_prices
from judge.judging.batch_outcome import BatchOutcome
from judge.judging.resample import Resampled, judge_then_resample
from judge.judging.stage import JudgeStage, Templates
from judge.lock import RunLock
from judge.progress import JudgeProgress
from judge.records import ROLES, BlindPair, Judgment, Outcome, PromptItem, Usage
from judge.run.dryrun import DryRun, estimate
from judge.run.endpoint import LazyJudge, judge_spec, prices
from judge.run.prepare import Files, Prepared, prepare, read_inputs
from judge.run.state import (
    guard_settings,
    now_iso,
    previously_failed,
    record_invocation,
    recovered,
    run_state,
    write_settings,
)
from judge.runfolder import RunFolder
from judge.store import Ledger
from judge.summary import RunState, Summary, UsageSummary
from judge.summary_several import SeveralSummary

__all__ = ["CompareResult", "Design", "DryRun", "Judged", "run_comparison", "run_design"]


@dataclass
class CompareResult:
    """What a run produced. ``summary`` is also in ``run_dir/summary.json``.

    A two-model run's ``summary`` is a :class:`~judge.summary.Summary`; a several-models run's is a
    :class:`~judge.summary_several.SeveralSummary`, and ``pairings`` holds each pairing's own
    two-model result (name ``<candidate>-vs-<other>`` -> CompareResult).
    """

    summary: Summary | SeveralSummary
    outcomes: list[Outcome]
    run_dir: Path
    pairings: dict[str, CompareResult] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when every pair has a verdict, 3 when the judge endpoint failed, 4 on unreadable replies."""
        return self.summary.run.exit_code if self.summary.run else 0

    def to_dataframe(self, *, texts: bool = False) -> pd.DataFrame:
        """One row per prompt (several models: per prompt and pairing): status, result (from the
        fine-tuned side, or the pairing's candidate), confidence, criteria, ...

        Args:
            texts: also ``prompt``, ``reference``, ``output_finetuned`` and ``output_base``
                (read from the run folder's generations.jsonl and audit.jsonl).
        """
        if self.pairings:
            frames = []
            for name, result in self.pairings.items():
                frame = result.to_dataframe(texts=texts)
                summary = result.summary
                assert isinstance(summary, Summary)
                frame.insert(0, "pairing", name)
                frame.insert(1, "candidate", summary.models.get("finetuned", ""))
                frame.insert(2, "other", summary.models.get("base", ""))
                frames.append(frame)
            return pd.concat(frames, ignore_index=True)
        if texts:
            from judge.collection import texts_frame

            return texts_frame(self.run_dir, self.outcomes)
        return aggregate.to_dataframe(self.outcomes)


def _snapshot(config: RunConfig, templates: Templates, prep: Prepared) -> None:
    folder = RunFolder(config.run_dir)
    if config.source and config.source.exists():  # a key inside a base_url is not copied along
        folder.write_text(folder.CONFIG_TOML, redact_url(config.source.read_text(encoding="utf-8")))
    folder.write_text(folder.CONFIG_JSON, config.model_dump_json(indent=2))
    write_settings(config, templates)
    folder.write_records(folder.GENERATIONS, [prep.gens[r][i.id] for i in prep.items for r in ROLES])
    folder.write_records(folder.PAIRS, prep.pairs)
    folder.write_records(folder.KEY, prep.keys)


def _make_folder(config: RunConfig) -> Path | None:
    """Create the run folder; the topmost folder this made (None: it existed), to undo on a bad input.

    Raises:
        ConfigError: ``results`` (or a folder above it) is a file, or the folder cannot be created.
    """
    where, run_dir = config.source or "config", config.run_dir
    missing = [p for p in (run_dir, *run_dir.parents) if not p.exists()]
    above = run_dir.parents[len(missing) - 1] if missing else run_dir
    if not above.is_dir():
        raise ConfigError(f"{where}: [results] {above} is a file, not a folder; point results at a folder")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{where}: [results] cannot create {run_dir} ({exc.strerror})") from None
    return missing[-1] if missing else None


def _both(first: Callable[..., None], then: Callable[..., None]) -> Callable[..., None]:
    def call(*event: Any) -> None:
        first(*event)
        then(*event)

    return call


async def _judge(
    config: RunConfig,
    groups: list[list[BlindPair]],
    ledger: Ledger,
    templates: Templates,
    show_progress: bool,
    client: ChatClient | None,
) -> tuple[dict[str, Judgment], JudgeStage, BatchOutcome | None, Resampled]:
    batch = None
    if config.judge.mode == "batch":  # the Batch API answers first calls into the ledger
        from judge.judging.batch import prefill_ledger
        from judge.judging.batch_progress import BatchProgress

        spec = judge_spec(config)
        with BatchProgress(enabled=show_progress) as shown:
            batch = await prefill_ledger(
                groups, ledger, spec, templates, spec.batch, prices=prices(config), on_status=shown.update
            )
    with JudgeProgress(sum(len(g) for g in groups), enabled=show_progress, prices=prices(config)) as bar:
        judge: ChatClient | LazyJudge = client if client is not None else LazyJudge(config)
        stage = JudgeStage(judge, ledger, judge_spec(config), templates, on_call=bar.advance)
        own_retry, own_gate = judge.on_retry, judge.before_send  # an injected client's hooks keep working
        judge.on_retry = bar.retry if own_retry is None else _both(own_retry, bar.retry)
        judge.before_send = stage.gate if own_gate is None else _both(own_gate, stage.gate)
        try:
            judgments, again = await judge_then_resample(stage, groups, config.seed)
            return judgments, stage, batch, again
        finally:
            judge.on_retry, judge.before_send = own_retry, own_gate
            if client is None:  # a client handed in stays open for its owner
                await judge.aclose()


In = TypeVar("In")  # what a design reads besides the prompts (outputs files)
Prep = TypeVar("Prep")  # what a design prepares before the judge


@dataclass
class Judged:
    """What the judge stage leaves for writing the run folder."""

    judgments: dict[str, Judgment]
    stage: JudgeStage
    before: set[str]  # pairs an earlier invocation left failed
    started: str
    batch: BatchOutcome | None
    batched: Usage | None  # every call of the folder a batch answered (batch mode)
    again: Resampled


@dataclass(frozen=True)
class Design(Generic[In, Prep]):
    """What a kind of run supplies to :func:`run_design`: a two-model run, or several models."""

    read: Callable[[RunConfig], tuple[list[PromptItem], In]]
    estimate: Callable[[RunConfig, list[PromptItem], In, Templates], DryRun]
    prepare: Callable[[RunConfig, list[PromptItem], In, Ledger, bool], Prep]
    snapshot: Callable[[RunConfig, Templates, Prep], None]
    failed_before: Callable[[RunConfig, Prep], set[str]]
    groups: Callable[[Prep], list[list[BlindPair]]]
    finish: Callable[[RunConfig, Prep, Judged], CompareResult]


def run_comparison(
    config: RunConfig,
    *,
    dry_run: bool = False,
    show_progress: bool = True,
    client: ChatClient | None = None,
    replace: bool = False,
    wait: bool = False,
    on_wait: Callable[[str], None] | None = None,
) -> CompareResult | DryRun:
    """Run (or resume) one comparison (two models, or several) and write its run folder.

    Args:
        config: the validated run config.
        dry_run: only estimate generation, calls, tokens and cost; send nothing and write nothing.
        show_progress: draw a progress bar on the terminal.
        client: a judge client to use instead of one built from ``config.judge`` (tests, custom transports).
        replace: overwrite a run folder made with other verdict-changing settings.
        wait: wait for another run holding the run folder instead of failing.
        on_wait: told who holds the folder before waiting.

    Returns:
        A CompareResult (its ``exit_code`` says whether every pair got a verdict), or a DryRun.

    Raises:
        ConfigError, InputError: nothing was written.
        RunFolderBusy: another run holds the folder.
    """
    design: Design[Any, Any] = TWO_MODELS
    if config.several:
        from judge.run.several import SEVERAL

        design = SEVERAL
    return run_design(
        config,
        design,
        dry_run=dry_run,
        show_progress=show_progress,
        client=client,
        replace=replace,
        wait=wait,
        on_wait=on_wait,
    )


def run_design(
    config: RunConfig,
    design: Design[In, Prep],
    *,
    dry_run: bool,
    show_progress: bool,
    client: ChatClient | None,
    replace: bool,
    wait: bool,
    on_wait: Callable[[str], None] | None,
) -> CompareResult | DryRun:
    """The one sequence every run follows: read and check every input before anything is written,
    then lock the folder, guard its settings, prepare (a bad input leaves no half-made folder),
    snapshot, judge through the ledger, and finish with the heap frozen."""
    started = now_iso()
    items, inputs = design.read(config)  # every InputError is raised here, before anything is written
    templates = Templates.load(config.judge.prompts, config.judge.criteria)
    if config.judge.mode == "batch" and config.judge.bundled is not None:
        raise ConfigError('[judge] mode = "batch" needs a server with the Batch API, not a bundled judge')
    if dry_run:
        return design.estimate(config, items, inputs, templates)
    if client is None and config.judge.bundled is None:  # a missing key, before writing
        resolve_endpoint(config.judge.base_url, None, config.judge.api_key_env)
    run_dir, created = config.run_dir, _make_folder(config)
    with RunLock(run_dir, wait=wait, on_wait=on_wait):
        guard_settings(config, templates, replace=replace)
        with Ledger(run_dir / RunFolder.LEDGER) as ledger:
            try:
                prep = design.prepare(config, items, inputs, ledger, show_progress)
            except (ConfigError, InputError):
                if created is not None:  # leave no half-made run folder behind a bad input
                    ledger.close()
                    shutil.rmtree(created, ignore_errors=True)
                raise
            design.snapshot(config, templates, prep)
            before = design.failed_before(config, prep)
            judgments, stage, batch, again = asyncio.run(
                _judge(config, design.groups(prep), ledger, templates, show_progress, client)
            )
            batched = _batched_usage(ledger) if config.judge.mode == "batch" else None
        with frozen():  # no full garbage collections of the SDK's objects in the statistics and reports
            return design.finish(
                config, prep, Judged(judgments, stage, before, started, batch, batched, again)
            )


def _judge_where(config: RunConfig) -> str:
    if config.judge.bundled:
        return f"bundled {config.judge.bundled}, llama.cpp on 127.0.0.1"
    return redact_url(config.judge.base_url or "$OPENAI_BASE_URL (or api.openai.com)")


def _batched_usage(ledger: Ledger) -> Usage:
    from judge.judging.batch_book import BatchBook

    with BatchBook(ledger.path) as book:
        return book.usage()


def _usage(
    config: RunConfig, stage: JudgeStage, batch: BatchOutcome | None = None, batched: Usage | None = None
) -> UsageSummary:
    """Whole-run and this invocation's tokens and cost; calls the Batch API answered at its price.

    ``batched`` is every call of the run folder answered by a batch (its tokens are part of the
    stage's whole-run usage, where they show as cached); ``batch`` is what this invocation collected.
    """
    price, batched = prices(config), batched or Usage()
    batch_price = batch_prices(price, config.judge.batch)
    whole, now = stage.usage, stage.new_usage
    live = Usage(prompt_tokens=whole.prompt_tokens - batched.prompt_tokens,
                 completion_tokens=whole.completion_tokens - batched.completion_tokens)  # fmt: skip
    collected = batch.usage if batch is not None else Usage()
    new = Usage(prompt_tokens=now.prompt_tokens + collected.prompt_tokens,
                completion_tokens=now.completion_tokens + collected.completion_tokens)  # fmt: skip
    total_cost = new_cost = None
    if price is not None and batch_price is not None:
        total_cost = price.cost(live) + batch_price.cost(batched)
        new_cost = price.cost(stage.new_usage) + batch_price.cost(collected)
    return UsageSummary(
        calls=stage.calls,
        cached_calls=stage.cached_calls,
        prompt_tokens=stage.usage.prompt_tokens,
        completion_tokens=stage.usage.completion_tokens,
        cost_usd=total_cost,
        new_calls=stage.calls - stage.cached_calls + (batch.answered if batch is not None else 0),
        new_prompt_tokens=new.prompt_tokens,
        new_completion_tokens=new.completion_tokens,
        new_cost_usd=new_cost,
        **_per_comparison(stage),
    )


def _per_comparison(stage: JudgeStage) -> dict[str, float]:
    """Tokens per comparison sent, for the summary (none when nothing was sent)."""
    n = stage.comparisons
    if not n:
        return {}
    return {
        "prompt_tokens_per_comparison": round(stage.usage.prompt_tokens / n, 1),
        "completion_tokens_per_comparison": round(stage.usage.completion_tokens / n, 1),
    }


def _finish(config: RunConfig, prep: Prepared, j: Judged) -> CompareResult:
    state = run_state(j.judgments, j.stage.api_failed, j.stage.failure, config.judge.api_key_env)
    return finish_folder(
        config,
        prep,
        j.judgments,
        Finish(
            usage=_usage(config, j.stage, j.batch, j.batched),
            judged=judged_pairs(prep.groups, prep.keys, j.judgments),
            state=state,
            recovered=recovered(j.before, j.judgments),
            started=j.started,
            raw_replies=j.stage.raw_replies,
            batch=j.batch,
            again=j.again,
        ),
    )


@dataclass
class Finish:
    """What the judge stage leaves for writing one two-model run folder."""

    usage: UsageSummary
    judged: list[JudgedPair]
    state: RunState
    recovered: int
    started: str
    raw_replies: dict[str, str]
    batch: BatchOutcome | None = None
    again: Resampled = field(default_factory=Resampled)
    index: bool = True  # write results/index.html (a several-models run writes it once, at the end)
    comparison: Literal["base", "baseline", "model"] = "base"  # how the report names the base side


def finish_folder(
    config: RunConfig, prep: Prepared, judgments: dict[str, Judgment], end: Finish
) -> CompareResult:
    """Un-blind, aggregate and write one two-model run folder (outcomes, audit, summary, reports).

    ``judgments`` holds this folder's pairs only; a several-models run calls this once per pairing.
    """
    run_dir = config.run_dir
    folder = RunFolder(run_dir)
    judged = [judgments[p.pair_id] for p in prep.pairs if p.pair_id in judgments]
    folder.write_records(folder.JUDGMENTS, judged)
    outcomes = aggregate.build_outcomes(prep.items, prep.keys, judgments, prep.decided)
    notes = prep.notes
    if end.batch is not None:
        notes = notes.model_copy(update={"batch": end.batch.notes()})
    facts = RunFacts(
        run_id=config.name,
        models={r: config.models[r].name for r in ROLES},
        judge=judge_facts(config),
        usage=end.usage,
        label_counts=Counter(j.verdict.winner for j in judgments.values() if j.verdict),
        verification=verification(outcomes, prep.gens, getattr(config.judge, "evidence", False)),
        judged=end.judged,
        keys=prep.keys,
        rejudged_batches=end.again.batches,
        rejudged_single=end.again.single,
        comparison=end.comparison,
    )
    summary = aggregate.summarize(outcomes, facts, config.stats)
    state = record_invocation(run_dir, end.state, end.usage, end.recovered, end.started)
    conclusion = summary.conclusion
    if not state.complete:
        conclusion = f"This run is not finished: {state.failure}. {state.next_step}\n\n{conclusion}"
    has_notes = any(v is not None for v in (notes.screen, notes.outputs_cut, notes.batch))
    summary = summary.model_copy(
        update={"run": state, "conclusion": conclusion, "notes": notes if has_notes else None}
    )
    folder.write_records(folder.OUTCOMES, outcomes)
    by_item = {o.item_id: o for o in outcomes}
    rows = audit_rows(prep.items, prep.pairs, prep.keys, judgments, end.raw_replies, by_item, prep.gens)
    folder.write_records(folder.AUDIT, rows)
    folder.write_summary(summary)
    from judge.reporting import write_reports

    write_reports(run_dir, summary, rows)
    if end.index:
        from judge.reporting.index import write_index

        write_index(run_dir.parent)  # results/index.html lists every run, this one included
    return CompareResult(summary=summary, outcomes=outcomes, run_dir=run_dir)


def judge_facts(config: RunConfig) -> dict[str, str]:
    """The judge as the summary names it (its URL without credentials)."""
    return {
        "model": config.judge.model,
        "base_url": _judge_where(config),
        "evidence": "shown" if config.judge.evidence else "not shown",
    }


TWO_MODELS: Design[Files, Prepared] = Design(
    read=read_inputs,
    estimate=estimate,
    prepare=prepare,
    snapshot=_snapshot,
    failed_before=lambda config, _: previously_failed(config.run_dir),
    groups=lambda prep: prep.groups,
    finish=_finish,
)
"""A run of [models.finetuned] against [models.base]."""
