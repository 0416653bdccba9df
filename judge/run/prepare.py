"""Everything before the judge: outputs read or generated, checks, the judge's view, blind pairs, batches.

The judge sees each output cut to ``max_output_chars`` (with a note saying how much was cut); the
checks, ``generations.jsonl`` and the reports keep the full text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from judge.checks.stage import apply_checks
from judge.config import RunConfig
from judge.judging.blind import batches, make_pairs
from judge.records import ROLES, BlindKey, BlindPair, Generation, PromptItem, Result, Role
from judge.store import Ledger
from judge.summary import CutNotes, RunNotes

__all__ = ["Files", "Prepared", "blind", "for_judge", "pair_up", "prepare", "read_inputs", "to_judge"]

Files = Mapping[Role, dict[str, Generation] | None]
"""Each side's outputs read from its file, or None when the side is generated."""


@dataclass
class Prepared:
    """Everything decided before the judge is called."""

    items: list[PromptItem]
    gens: dict[Role, dict[str, Generation]]
    pairs: list[BlindPair]
    keys: list[BlindKey]
    groups: list[list[BlindPair]]
    decided: dict[str, tuple[Result, str]]
    notes: RunNotes


def read_inputs(config: RunConfig) -> tuple[list[PromptItem], Files]:
    """Read and check every input file; a side's outputs are None when they must be generated.

    An outputs file is matched against the whole prompt set, then cut to ``limit`` like the prompts.
    """
    from judge.generation.stage import file_outputs
    from judge.inputs import load_prompts

    every = load_prompts(config.prompts)
    files = {role: file_outputs(config.models[role], role, every) for role in ROLES}
    return (every[: config.limit] if config.limit else every), files


def for_judge(
    config: RunConfig, gens: dict[Role, dict[str, Generation]]
) -> dict[Role, dict[str, Generation]]:
    """The outputs as the judge sees them: each cut to ``max_output_chars``, saying so."""
    limit = config.judge.max_output_chars

    def cut(g: Generation) -> Generation:
        if len(g.output) <= limit:
            return g
        note = f"\n[... output cut here for the judge: {len(g.output) - limit:,} more characters not shown]"
        return g.model_copy(update={"output": g.output[:limit] + note})

    return {role: {i: cut(g) for i, g in side.items()} for role, side in gens.items()}


def _truncated(config: RunConfig, gens: dict[Role, dict[str, Generation]]) -> CutNotes | None:
    limit = config.judge.max_output_chars
    cut = sorted(
        f"{g.item_id} ({g.role})" for side in gens.values() for g in side.values() if len(g.output) > limit
    )
    return CutNotes(count=len(cut), outputs=", ".join(cut[:20]), limit=limit) if cut else None


def _outputs(
    config: RunConfig, items: list[PromptItem], files: Files, ledger: Ledger, show: bool
) -> dict[Role, dict[str, Generation]]:
    """Each side's outputs: read from its file, or generated (both generated sides at once where they can)."""
    gens = {role: {i.id: given[i.id] for i in items} for role in ROLES if (given := files[role]) is not None}
    todo = {role: config.models[role] for role in ROLES if files[role] is None}
    if todo:
        from judge.generation.stage import generate_sides  # stage 1 (backends imported only when used)

        gens |= generate_sides(todo, items, ledger, show_progress=show)
    return {role: gens[role] for role in ROLES}


def prepare(config: RunConfig, items: list[PromptItem], files: Files, ledger: Ledger, show: bool) -> Prepared:
    """Outputs (read or generated and cached), checks, blind pairs and judge batches."""
    gens = _outputs(config, items, files, ledger, show)
    gens, decided, screen = apply_checks(config, items, gens)
    pairs, keys, groups = blind(config, items, gens, decided)
    notes = RunNotes(screen=screen, outputs_cut=_truncated(config, gens))
    return Prepared(items, gens, pairs, keys, groups, decided, notes)


def blind(
    config: RunConfig,
    items: list[PromptItem],
    gens: dict[Role, dict[str, Generation]],
    decided: Mapping[str, object],
) -> tuple[list[BlindPair], list[BlindKey], list[list[BlindPair]]]:
    """Blind pairs of the outputs as the judge sees them, their keys, and the batches to judge."""
    pairs, keys = pair_up(config, items, gens)
    sent, sent_keys = to_judge(pairs, keys, decided)
    return pairs, keys, batches(sent, sent_keys, seed=config.seed, size=config.judge.batch_size)


def pair_up(
    config: RunConfig, items: list[PromptItem], gens: dict[Role, dict[str, Generation]], pairing: str = ""
) -> tuple[list[BlindPair], list[BlindKey]]:
    """The blind pairs of the outputs as the judge sees them and their keys (``pairing``: several
    models, the pairing's name, which keys its ids and coins apart)."""
    return make_pairs(
        items,
        for_judge(config, gens),
        seed=config.seed,
        both_orders=config.judge.both_orders,
        evidence=config.judge.evidence,
        pairing=pairing,
    )


def to_judge(
    pairs: list[BlindPair], keys: list[BlindKey], decided: Mapping[str, object]
) -> tuple[list[BlindPair], list[BlindKey]]:
    """The pairs (and keys) left for the judge: those of items no check decided."""
    todo = [(p, k) for p, k in zip(pairs, keys, strict=True) if k.item_id not in decided]
    return [p for p, _ in todo], [k for _, k in todo]
