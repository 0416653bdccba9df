"""Perplexity on a reference set with transformers (seeds 000 and 001).

``perplexity = exp(mean token NLL)`` over the reference tokens of every sample (the prompt, when
given, is context only and not scored). Computed with a forward pass in transformers, never with
a llama.cpp server's echo logprobs (far too slow). The fine-tuned side is the same base with its
PEFT adapter.

How to read it (carried into reports by :data:`READING`): seed 000's bands — 1-3 excellent
(memorised), 3-10 good, 10-30 fair, 30+ poor — describe how surprised a model is by *one*
reference text. Seed 001's warning: where many answers are valid (reasoning, code, open
questions), a model that answers correctly in other words still scores a high perplexity, so a
lower perplexity is not a better model; judge and execution results decide that.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from judge.records import PromptItem

__all__ = ["READING", "PerplexityResult", "SamplePerplexity", "band", "perplexity", "score_samples"]

READING = (
    "Perplexity = exp(mean token negative log-likelihood) of the reference answers. Bands (seed 000): "
    "1-3 excellent, 3-10 good, 10-30 fair, 30+ poor. Caution (seed 001): where many answers are valid, "
    "a correct answer worded differently from the reference still scores badly; perplexity measures "
    "agreement with one text, not quality. Read it beside the judge and execution results."
)

_BANDS = ((3.0, "excellent"), (10.0, "good"), (30.0, "fair"))


def band(ppl: float) -> str:
    """Seed 000's band for a perplexity value."""
    return next((name for limit, name in _BANDS if ppl < limit), "poor")


class SamplePerplexity(BaseModel):
    """One sample's score."""

    model_config = ConfigDict(frozen=True)

    id: str
    tokens: int = Field(description="Reference tokens scored.")
    mean_nll: float = Field(description="Mean negative log-likelihood per scored token (nats).")
    perplexity: float


class PerplexityResult(BaseModel):
    """A model's perplexity over a reference set (token-weighted over all samples)."""

    model_config = ConfigDict(frozen=True)

    model: str
    tokens: int
    mean_nll: float
    perplexity: float
    band: str
    samples: list[SamplePerplexity]
    reading: str = READING


def score_samples(
    model: Any, tok: Any, items: Sequence[PromptItem], *, max_length: int = 1024
) -> list[SamplePerplexity]:
    """Per-sample NLL of ``item.reference`` given ``item.prompt`` (or of the prompt alone).

    Items without a reference score their prompt text as the reference (plain-text sets).
    """
    import torch

    out = []
    for item in items:
        context, target = (item.prompt, item.reference) if item.reference else ("", item.prompt)
        ctx_ids = tok(context, add_special_tokens=True)["input_ids"] if context else []
        tgt_ids = tok(target, add_special_tokens=not ctx_ids)["input_ids"]
        ids = (ctx_ids + tgt_ids)[-max_length:]
        scored = min(len(tgt_ids), len(ids) - 1)  # the first token has no prediction
        labels = [-100] * (len(ids) - scored) + ids[len(ids) - scored :]
        with torch.inference_mode():
            loss = model(input_ids=torch.tensor([ids]), labels=torch.tensor([labels])).loss
        nll = float(loss.float())
        out.append(SamplePerplexity(id=item.id, tokens=scored, mean_nll=nll, perplexity=math.exp(nll)))
    return out


def perplexity(
    source: str | Path,
    items: Sequence[PromptItem],
    *,
    adapter: Path | None = None,
    name: str | None = None,
    dtype: str = "float32",
) -> PerplexityResult:
    """Perplexity of a model (folder or GGUF, optionally + PEFT adapter) on reference items.

    Args:
        source: the model, as for the ``hf`` backend (a bundled GGUF path works too).
        items: samples; ``reference`` is scored given ``prompt``, else the prompt itself.
        adapter: PEFT adapter folder for the fine-tuned side.
        name: display name (default: the source's name).
        dtype: float32 by default: bfloat16's 8-bit mantissa visibly moves an exp() of a mean.

    Returns:
        Token-weighted overall result with per-sample values and the seeds' reading.
    """
    from judge.generation.backends.hf import load_model

    model, tok = load_model(source, adapter=adapter, dtype=dtype)
    samples = score_samples(model, tok, items)
    tokens = sum(s.tokens for s in samples)
    mean = sum(s.mean_nll * s.tokens for s in samples) / tokens if tokens else float("nan")
    ppl = math.exp(mean) if tokens else float("nan")
    label = name or Path(source).name + (f" + {Path(adapter).name}" if adapter else "")
    return PerplexityResult(
        model=label, tokens=tokens, mean_nll=mean, perplexity=ppl, band=band(ppl), samples=samples
    )
