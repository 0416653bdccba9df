"""A several-models project on disk (prompts, one outputs file per model, a config) and a judge policy.

Each output carries a quality marker ``[q=N]``; the scripted judge prefers the higher one (equal: a
tie). Seed 002's situation: two adapters and a bigger model that all lose to their base.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path

_Q = re.compile(r"\[q=(\d+)\]")


def quality_policy(prompt: str, a: str, b: str) -> str:
    """The response with the higher ``[q=N]`` wins; equal or unmarked: a tie."""
    qa, qb = (int(m.group(1)) if (m := _Q.search(t)) else 0 for t in (a, b))
    return "A" if qa > qb else "B" if qb > qa else "tie"


def write_several(
    root: Path,
    base_url: str,
    quality: Mapping[str, Callable[[int], int]],
    *,
    n: int = 40,
    baseline: str = "base",
    design: str = "vs-baseline",
    steps: Mapping[str, int] | None = None,
    judge_extra: str = "",
) -> Path:
    """Write prompts, an outputs file per model (``quality[model](i)`` marks item i) and a config."""
    with (root / "prompts.jsonl").open("w") as f:
        for i in range(n):
            cat = "math" if i % 2 else "writing"
            f.write(json.dumps({"id": f"q{i:03d}", "prompt": f"Question {i}?", "category": cat}) + "\n")
    sections = []
    for model, q in quality.items():
        with (root / f"{model}.jsonl").open("w") as f:
            for i in range(n):
                f.write(
                    json.dumps({"id": f"q{i:03d}", "output": f"Answer {i} by a model. [q={q(i)}]"}) + "\n"
                )
        step = f"step = {steps[model]}\n" if steps and model in steps else ""
        sections.append(f'[models.{model}]\noutputs = "{model}.jsonl"\n{step}')
    config = root / "several.toml"
    config.write_text(
        f"""name = "several"
prompts = "prompts.jsonl"
results = "results"
seed = 11
baseline = "{baseline}"
design = "{design}"

{chr(10).join(sections)}
[judge]
model = "judge-model"
base_url = "{base_url}"
max_retries = 1
timeout = 5
concurrency = 4
recheck_batches = false
recheck_single = false
{judge_extra}
[stats]
bootstrap_resamples = 500
"""
    )
    return config
