"""Several models in one run: base, adapters, checkpoints, a bigger model — judged together.

The config names any number of models, a baseline and a design (every model against the baseline,
or every pair). The stages are those of a two-model run, shared:

* each model's outputs are read or generated **once** (cached in the run's ledger) and checked once;
* every pairing is blinded with its own ids and coins (:func:`judge.judging.blind.make_pairs` keyed by
  the pairing's name), and the batches **mix the pairings** (:func:`~judge.judging.blind.mixed_batches`):
  a judge never sees a model name, and a call never shows one prompt twice;
* one judge stage (one ledger: nothing is paid twice) answers every pairing's comparisons;
* each pairing is written as a complete two-model run folder under ``pairings/<candidate>-vs-<other>/``
  (its summary, audit and report are those of any two-model run), and the run folder's own
  ``summary.json`` (:class:`~judge.summary_several.SeveralSummary`) holds what only the whole design
  can say: decisions corrected for several models, ratings with clustered intervals, ranks, the
  win-rate matrix and, for checkpoints, the best step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from judge.aggregation.reliability import judged_pairs
from judge.aggregation.several import summarize_several
from judge.checks.stage import check_each, pair_checks
from judge.config import Pairing, RunConfig
from judge.judging.blind import mixed_batches
from judge.judging.resample import Rejudged, Resampled
from judge.judging.stage import Templates
from judge.records import BlindKey, BlindPair, Generation, PromptItem, Role
from judge.run.dryrun import DryRun
from judge.run.pipeline import (
    CompareResult,
    Design,
    Finish,
    Judged,
    _snapshot,
    _usage,
    finish_folder,
    judge_facts,
)
from judge.run.prepare import Prepared, _truncated, pair_up, to_judge
from judge.run.state import (
    previously_failed,
    record_invocation,
    recovered,
    run_state,
    write_settings,
)
from judge.runfolder import RunFolder
from judge.specs import ModelSpec
from judge.store import Ledger
from judge.summary import RunNotes, Summary, UsageSummary

__all__ = ["SEVERAL", "SeveralPrepared", "blind_pairings", "prepare_several", "read_several_inputs"]

Outputs = dict[str, dict[str, Generation] | None]
"""Model key -> its outputs read from a file, or None when they are generated."""


@dataclass
class SeveralPrepared:
    """Everything decided before the judge is called, per model and per pairing."""

    items: list[PromptItem]
    gens: dict[str, dict[str, Generation]]  # model key -> item id -> checked generation
    pairings: list[tuple[Pairing, Prepared]]
    groups: list[list[BlindPair]]  # the mixed batches, in the order sent
    keys: list[BlindKey] = field(default_factory=list)  # every pairing's keys


def read_several_inputs(config: RunConfig) -> tuple[list[PromptItem], Outputs]:
    """Read and check the prompts and every model's outputs file (None: generated)."""
    from judge.generation.stage import file_outputs
    from judge.inputs import load_prompts

    every = load_prompts(config.prompts)
    files = {key: file_outputs(spec, "finetuned", every) for key, spec in config.models.items()}
    return (every[: config.limit] if config.limit else every), files


def _as(role: Role, side: dict[str, Generation]) -> dict[str, Generation]:
    # A model's outputs on one side of a pairing: the same texts and checks under that side's role.
    return {i: g if g.role == role else g.model_copy(update={"role": role}) for i, g in side.items()}


def _model_outputs(
    config: RunConfig, items: list[PromptItem], files: Outputs, ledger: Ledger, show: bool
) -> dict[str, dict[str, Generation]]:
    """Every model's outputs: read from its file, or generated (served models at the same time)."""
    out: dict[str, dict[str, Generation]] = {}
    todo: dict[str, ModelSpec] = {}
    for key, spec in config.models.items():
        given = files[key]
        if given is None:
            todo[key] = spec
        else:
            out[key] = {i.id: given[i.id] for i in items}
    if todo:
        from judge.generation.stage import generate_sides

        out |= generate_sides(todo, items, ledger, show_progress=show, role="finetuned")
    return {key: out[key] for key in config.models}


def prepare_several(
    config: RunConfig, items: list[PromptItem], files: Outputs, ledger: Ledger, show: bool
) -> SeveralPrepared:
    """Outputs once per model (read or generated, cached), checks once per model, blind pairs per
    pairing, and the mixed batches."""
    gens = check_each(config, items, _model_outputs(config, items, files, ledger, show))
    prepared, groups = blind_pairings(config, items, gens)
    keys = [k for _, prep in prepared for k in prep.keys]
    return SeveralPrepared(items, gens, prepared, groups, keys)


def blind_pairings(
    config: RunConfig, items: list[PromptItem], gens: dict[str, dict[str, Generation]], *, decide: bool = True
) -> tuple[list[tuple[Pairing, Prepared]], list[list[BlindPair]]]:
    """Each pairing's blind pairs (its own ids and coins) and the batches that mix the pairings.

    Args:
        gens: model key -> checked generations.
        decide: let the checks decide pairs (``decide_degenerate``); the dry run's stand-in outputs
            must not.
    """
    prepared: list[tuple[Pairing, Prepared]] = []
    todo: list[tuple[str, list[BlindPair], list[BlindKey]]] = []
    for pairing in config.pairings():
        sub = config.for_pairing(pairing)
        side: dict[Role, dict[str, Generation]] = {
            "finetuned": _as("finetuned", gens[pairing.candidate]),
            "base": _as("base", gens[pairing.other]),
        }
        decided, screen = pair_checks(sub, items, side) if decide else ({}, None)
        pairs, keys = pair_up(sub, items, side, pairing.name)
        todo.append((pairing.name, *to_judge(pairs, keys, decided)))
        notes = RunNotes(screen=screen, outputs_cut=_truncated(sub, side))
        prepared.append((pairing, Prepared(items, side, pairs, keys, [], decided, notes)))
    every = [p.pair_id for _, prep in prepared for p in prep.pairs]
    if len(set(every)) != len(every):
        raise RuntimeError("pair id collision; choose another seed")  # 40-bit ids: never in practice
    groups = mixed_batches(todo, seed=config.seed, size=config.judge.batch_size)
    for _, prep in prepared:  # each pairing's view of the calls: its own pairs, in the order sent
        mine = {p.pair_id for p in prep.pairs}
        prep.groups = [g for g in ([p for p in call if p.pair_id in mine] for call in groups) if g]
    return prepared, groups


def _snapshot_several(config: RunConfig, templates: Templates, prep: SeveralPrepared) -> None:
    folder = RunFolder(config.run_dir)
    if config.source and config.source.exists():
        from judge.errors import redact_url

        folder.write_text(folder.CONFIG_TOML, redact_url(config.source.read_text(encoding="utf-8")))
    folder.write_text(folder.CONFIG_JSON, config.model_dump_json(indent=2))
    write_settings(config, templates)
    for pairing, sub_prep in prep.pairings:
        sub = config.for_pairing(pairing)
        sub.run_dir.mkdir(parents=True, exist_ok=True)
        _snapshot(sub, templates, sub_prep)


def _share(usage: UsageSummary, part: int, whole: int) -> UsageSummary:
    """A pairing's share of the run's usage, in proportion to its comparisons (calls are mixed)."""
    if not whole:
        return UsageSummary()
    f = part / whole

    def cost(v: float | None) -> float | None:
        return None if v is None else v * f

    return UsageSummary(
        calls=round(usage.calls * f),
        cached_calls=round(usage.cached_calls * f),
        prompt_tokens=round(usage.prompt_tokens * f),
        completion_tokens=round(usage.completion_tokens * f),
        cost_usd=cost(usage.cost_usd),
        new_calls=round(usage.new_calls * f),
        new_prompt_tokens=round(usage.new_prompt_tokens * f),
        new_completion_tokens=round(usage.new_completion_tokens * f),
        new_cost_usd=cost(usage.new_cost_usd),
        prompt_tokens_per_comparison=usage.prompt_tokens_per_comparison,
        completion_tokens_per_comparison=usage.completion_tokens_per_comparison,
    )


def _only(again: Rejudged | None, ids: set[str]) -> Rejudged | None:
    if again is None:
        return None
    mine = {k: v for k, v in again.judgments.items() if k in ids}
    return Rejudged(mine, again.calls, again.prompt_tokens, again.completion_tokens)


def _finish_several(config: RunConfig, prep: SeveralPrepared, j: Judged) -> CompareResult:
    """Write each pairing's two-model folder, then the several-models summary, report and index."""
    run_dir, judgments, stage, before, again = config.run_dir, j.judgments, j.stage, j.before, j.again
    usage = _usage(config, stage, j.batch, j.batched)
    judged = judged_pairs(prep.groups, prep.keys, judgments)
    sent = sum(len(g) for g in prep.groups)
    results: list[tuple[Pairing, CompareResult]] = []
    for pairing, sub_prep in prep.pairings:
        sub = config.for_pairing(pairing)
        ids = {p.pair_id for p in sub_prep.pairs}
        mine = {k: v for k, v in judgments.items() if k in ids}
        failed_api = stage.api_failed & ids
        state = run_state(mine, failed_api, stage.failure if failed_api else None, config.judge.api_key_env)
        end = Finish(
            usage=_share(usage, sum(len(g) for g in sub_prep.groups), sent),
            judged=[r for r in judged if r.pair_id in ids],
            state=state,
            recovered=recovered(before & ids, mine),
            started=j.started,
            raw_replies=stage.raw_replies,
            batch=j.batch,
            again=Resampled(_only(again.batches, ids), _only(again.single, ids)),
            index=False,
            comparison="baseline" if pairing.other == config.baseline_key else "model",
        )
        results.append((pairing, finish_folder(sub, sub_prep, mine, end)))
    state = run_state(judgments, stage.api_failed, stage.failure, config.judge.api_key_env)
    state = record_invocation(run_dir, state, usage, recovered(before, judgments), j.started)
    done = []
    for pairing, result in results:
        assert isinstance(result.summary, Summary)
        done.append((pairing, result.summary, result.outcomes))
    summary = summarize_several(config, done, judge=judge_facts(config), usage=usage, state=state)
    RunFolder(run_dir).write_json(RunFolder.SUMMARY, summary)
    from judge.reporting.several import write_several_reports

    write_several_reports(run_dir, summary)
    from judge.reporting.index import write_index

    write_index(run_dir.parent)
    return CompareResult(
        summary=summary, outcomes=[], run_dir=run_dir, pairings={p.name: r for p, r in results}
    )


def _failed_before(config: RunConfig, prep: SeveralPrepared) -> set[str]:
    return {p for pairing, _ in prep.pairings for p in previously_failed(config.for_pairing(pairing).run_dir)}


def _estimate(config: RunConfig, items: list[PromptItem], files: Outputs, templates: Templates) -> DryRun:
    from judge.run.dryrun import estimate_several

    return estimate_several(config, items, files, templates)


SEVERAL: Design[Outputs, SeveralPrepared] = Design(
    read=read_several_inputs,
    estimate=_estimate,
    prepare=prepare_several,
    snapshot=_snapshot_several,
    failed_before=_failed_before,
    groups=lambda prep: prep.groups,
    finish=_finish_several,
)
"""A run of several models: pairings sharing outputs, mixed calls, one ledger."""
