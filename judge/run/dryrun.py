"""``judge run --dry-run``: what a run would generate, send and cost, with nothing sent or written.

Generation is estimated from the prompts and each model's ``max_tokens``; judging by running the
real judge stage against a private copy of the ledger with a stand-in client that answers every
call it is asked to send (at an estimated 4 characters a token) instead of calling anyone. What
the ledger already holds is replayed, so only calls not yet paid for are priced.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from judge.checks.stage import apply_checks
from judge.client import ChatReply, resolve_endpoint
from judge.config import RunConfig
from judge.errors import ConfigError
from judge.generation.backends import cache_keys
from judge.judging.batch_options import batch_prices
from judge.judging.replies import rationale_chars, schema_ids
from judge.judging.resample import Resampled, extra_calls, judge_then_resample
from judge.judging.stage import JudgeStage, Templates
from judge.records import ROLES, Generation, PromptItem, Role, Usage
from judge.run.endpoint import judge_spec, prices
from judge.run.prepare import Files, blind
from judge.specs import ModelSpec
from judge.store import Ledger

__all__ = ["DryRun", "PairingEstimate", "SideEstimate", "estimate", "estimate_several"]

_CHARS_PER_TOKEN = 4
_REPLY_FORMAT_TOKENS = 13  # a compact verdict besides its rationale (benchmarks/bench_tokens.py)
_TOKENS_PER_WORD = 1.4


@dataclass(frozen=True)
class SideEstimate:
    """One side's outputs: read from a file, or generated (how many requests, how many tokens at most)."""

    role: str  # the side, or a several-models run's model key
    model: str
    source: str
    to_generate: int
    cached: int
    max_tokens: int
    prompt_tokens: int

    def describe(self) -> str:
        """The side in words."""
        if self.source.startswith("file "):
            return f"{self.role} ({self.model}): outputs from {self.source[5:]}"
        return (
            f"{self.role} ({self.model}, {self.source}): {self.to_generate} prompts to generate "
            f"({self.cached} already in the ledger), about {self.prompt_tokens:,} prompt tokens and at "
            f"most {self.to_generate * self.max_tokens:,} completion tokens (max_tokens {self.max_tokens})"
        )


@dataclass(frozen=True)
class PairingEstimate:
    """Several models: one pairing's comparisons and its share of the mixed calls and cost."""

    name: str
    comparisons: int
    calls: float
    cost_usd: float | None

    def describe(self, priced: bool) -> str:
        """The pairing in words."""
        cost = f", about ${self.cost_usd:.4f}" if priced and self.cost_usd is not None else ""
        return (
            f"pairing {self.name}: {self.comparisons} comparisons, the share of about {self.calls:.1f} "
            f"judge calls to send{cost}"
        )


@dataclass(frozen=True)
class DryRun:
    """What a run would cost, computed without calling any endpoint or writing anything."""

    pairs: int
    calls: int
    cached_calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    sides: tuple[SideEstimate, ...] = ()
    upper_bound: bool = False
    notes: tuple[str, ...] = ()
    pairings: tuple[PairingEstimate, ...] = ()  # several models: each pairing's share

    def describe(self) -> str:
        """The estimate in words."""
        cost = (
            "unknown (set price_input_per_mtok / price_output_per_mtok)"
            if self.cost_usd is None
            else f"about ${self.cost_usd:.4f}"
        )
        about = "at most" if self.upper_bound else "about"
        new = self.calls - self.cached_calls
        lines = [s.describe() for s in self.sides]
        lines += [p.describe(self.cost_usd is not None) for p in self.pairings]
        lines.append(
            f"judging: {self.pairs} pairs in {self.calls} judge calls ({self.cached_calls} already in the "
            f"ledger, {new} to send); {about} {self.prompt_tokens:,} prompt + {self.completion_tokens:,} "
            f"completion tokens to pay (estimated at {_CHARS_PER_TOKEN} characters a token); cost {cost}."
        )
        if self.upper_bound:
            lines.append("(outputs not generated yet are counted at their max_tokens)")
        return "\n".join([*lines, *self.notes])


def _source(spec: ModelSpec) -> str:
    if spec.outputs is not None:
        return f"file {spec.outputs}"
    if spec.kind == "openai":
        return f"{spec.model} at {spec.base_url}"
    if spec.kind == "hf":
        return f"transformers {spec.hf}" + (f" + {spec.adapter}" if spec.adapter else "")
    return f"bundled {spec.bundled} on a local llama.cpp server" + (" + LoRA" if spec.adapter else "")


def _side(
    spec: ModelSpec, role: Role, items: list[PromptItem], ledger: Ledger, label: str | None = None
) -> tuple[SideEstimate, dict[str, Generation]]:
    """A generated side: the outputs the ledger holds, and a max-length stand-in for the others."""
    found = {
        i.id: text for i, k in zip(items, cache_keys(spec, items), strict=True) if (text := ledger.get(k))
    }
    filler = "x" * (spec.params.max_tokens * _CHARS_PER_TOKEN)
    gens = {
        i.id: Generation(item_id=i.id, role=role, output=found.get(i.id, filler), model=spec.name)
        for i in items
    }
    todo = [i for i in items if i.id not in found]
    prompt_tokens = sum(len(i.prompt) + len(spec.params.system or "") for i in todo) // _CHARS_PER_TOKEN
    side = SideEstimate(
        label or role, spec.name, _source(spec), len(todo), len(found), spec.params.max_tokens, prompt_tokens
    )
    return side, gens


def _one_verdict(schema: dict[str, Any]) -> list[dict[str, Any]]:
    verdicts = schema["properties"]["v"]
    one = verdicts["prefixItems"][0] if "prefixItems" in verdicts else verdicts["items"]
    return list(one["prefixItems"])


def _criteria_count(schema: dict[str, Any]) -> int:
    return int(_one_verdict(schema)[2]["pattern"].split("{")[1].split("}")[0])


def _completion_per_pair(schema: dict[str, Any]) -> int:
    """A compact verdict with a rationale of the longest length asked for."""
    words = int(_one_verdict(schema)[1]["maxLength"]) / rationale_chars(1)
    return _REPLY_FORMAT_TOKENS + round(words * _TOKENS_PER_WORD)


class _StandIn:
    """Answers every call with valid verdicts for its ids and an estimated usage; sends nothing."""

    async def chat(
        self, messages: Sequence[Mapping[str, Any]], *, json_schema: dict[str, Any] | None = None, **_: Any
    ) -> ChatReply:
        schema = json_schema or {}
        ids = schema_ids(schema)
        verdicts = [[i, "", "=" * _criteria_count(schema), "=", "l"] for i in ids]
        chars = sum(len(str(m.get("content", ""))) for m in messages)
        usage = Usage(
            prompt_tokens=chars // _CHARS_PER_TOKEN, completion_tokens=_completion_per_pair(schema) * len(ids)
        )
        text = json.dumps({"v": verdicts})
        return ChatReply(text=text, usage=usage, model="dry-run", finish_reason="stop", latency_s=0.0,
                         response_format_used="json_schema")  # fmt: skip


def _outputs(
    config: RunConfig, items: list[PromptItem], files: Files, ledger: Ledger
) -> tuple[list[SideEstimate], dict[Role, dict[str, Generation]]]:
    sides, gens = [], {}
    for role in ROLES:
        given, spec = files[role], config.models[role]
        if given is None:
            side, gens[role] = _side(spec, role, items, ledger)
        else:
            side, gens[role] = SideEstimate(role, spec.name, _source(spec), 0, 0, 0, 0), given
        sides.append(side)
    return sides, gens


def estimate(config: RunConfig, items: list[PromptItem], files: Files, templates: Templates) -> DryRun:
    """The dry-run estimate: what the run would generate, send and pay, through the real run's code."""
    with Ledger.snapshot(config.run_dir / "ledger.sqlite") as ledger:
        sides, gens = _outputs(config, items, files, ledger)
        upper = any(s.to_generate for s in sides)
        decided: Mapping[str, object] = {}
        if not upper:  # real outputs on both sides: checks may decide some pairs without the judge
            gens, decided, _ = apply_checks(config, items, gens)
        _, _, groups = blind(config, items, gens, decided)
        stage = JudgeStage(_StandIn(), ledger, judge_spec(config), templates)
        _, again = asyncio.run(judge_then_resample(stage, groups, config.seed))
    cost = _cost(config, stage)
    return DryRun(
        pairs=sum(len(g) for g in groups),
        calls=stage.calls,
        cached_calls=stage.cached_calls,
        prompt_tokens=stage.new_usage.prompt_tokens,
        completion_tokens=stage.new_usage.completion_tokens,
        cost_usd=cost,
        sides=tuple(sides),
        upper_bound=upper,
        notes=_notes(config, stage.calls - stage.cached_calls) + _recheck_note(again),
    )


def _cost(config: RunConfig, stage: JudgeStage) -> float | None:
    """What the calls not yet paid would cost (first calls at the Batch API's price in batch mode)."""
    price = prices(config)
    if config.judge.mode == "batch":
        price = batch_prices(price, config.judge.batch)
    return None if price is None else price.cost(stage.new_usage)


def _recheck_note(again: Resampled) -> tuple[str, ...]:
    """The reliability samples' share of the calls (already in the totals above)."""
    extra = extra_calls(again)
    if not extra:
        return ()
    text = (
        f"of these, {extra} judge calls re-judge samples to measure the judge (self-consistency, "
        "batched vs single); [judge] recheck_batches / recheck_single = false turns them off."
    )
    return (text,)


def _notes(config: RunConfig, to_send: int) -> tuple[str, ...]:
    """What would stop the real run before it spends anything (checked, not acted on)."""
    if not to_send or config.judge.bundled is not None:
        return ()
    try:
        resolve_endpoint(config.judge.base_url, None, config.judge.api_key_env)
    except ConfigError as exc:
        return (f"note: the real run would stop here: {exc}",)
    return ()


_MANY_PAIRINGS = 10


def estimate_several(
    config: RunConfig,
    items: list[PromptItem],
    files: Mapping[str, dict[str, Generation] | None],
    templates: Templates,
) -> DryRun:
    """The dry run of a several-models run: each model once, the mixed calls, and each pairing's share."""
    from judge.checks.stage import check_each
    from judge.run.several import blind_pairings

    with Ledger.snapshot(config.run_dir / "ledger.sqlite") as ledger:
        sides, gens = [], {}
        for key, spec in config.models.items():
            given = files[key]
            if given is None:
                side, gens[key] = _side(spec, "finetuned", items, ledger, label=key)
            else:
                side, gens[key] = SideEstimate(key, spec.name, _source(spec), 0, 0, 0, 0), given
            sides.append(side)
        upper = any(s.to_generate for s in sides)
        if not upper:  # real outputs everywhere: checks may decide some pairs without the judge
            gens = check_each(config, items, gens)
        prepared, groups = blind_pairings(config, items, gens, decide=not upper)
        stage = JudgeStage(_StandIn(), ledger, judge_spec(config), templates)
        _, again = asyncio.run(judge_then_resample(stage, groups, config.seed))
    cost = _cost(config, stage)
    sent, to_send = sum(len(g) for g in groups), stage.calls - stage.cached_calls
    shares = []
    for pairing, prep in prepared:  # each pairing's own pairs in the calls
        n = sum(len(g) for g in prep.groups)
        f = n / sent if sent else 0.0
        shares.append(PairingEstimate(pairing.name, n, to_send * f, None if cost is None else cost * f))
    notes = _notes(config, to_send) + _recheck_note(again)
    pairings, k = len(config.pairings()), len(config.models)
    if config.design == "all-pairs" and pairings >= _MANY_PAIRINGS:
        notes += (
            f"warning: all-pairs with {k} models makes {pairings} pairings, {pairings / (k - 1):.1f} times "
            'the calls of design = "vs-baseline"; the ratings need only a connected design',
        )
    return DryRun(
        pairs=sent,
        calls=stage.calls,
        cached_calls=stage.cached_calls,
        prompt_tokens=stage.new_usage.prompt_tokens,
        completion_tokens=stage.new_usage.completion_tokens,
        cost_usd=cost,
        sides=tuple(sides),
        upper_bound=upper,
        notes=notes,
        pairings=tuple(shares),
    )
