"""Helpers for the spine tests: a small real project (prompts, two outputs files, a config) on disk."""

from __future__ import annotations

import json
from pathlib import Path

FT_NAME = "zeta-lora-ft-secret"
BASE_NAME = "omega-base-secret"
FT_FILE = "ft_outputs_secret.jsonl"
BASE_FILE = "base_outputs_secret.jsonl"


def write_project(
    root: Path,
    base_url: str,
    *,
    n: int = 12,
    ft_good: set[int] | None = None,
    base_good: set[int] | None = None,
    judge_extra: str = "",
    top_extra: str = "",
) -> Path:
    """Write a prompt set, both outputs files and a config; return the config path.

    Item i's fine-tuned output carries the marker ``[good]`` when i is in ``ft_good`` (the
    scripted judge prefers the marked output), likewise for the base.
    """
    ft_good = set(range(0, 8)) if ft_good is None else ft_good
    base_good = {8, 9} if base_good is None else base_good
    with (root / "prompts.jsonl").open("w") as f:
        for i in range(n):
            cat = "arith" if i % 2 else "words"
            f.write(
                json.dumps({"id": f"item-{i:03d}", "prompt": f"What is {i} + {i}?", "category": cat}) + "\n"
            )
    for name, good in ((FT_FILE, ft_good), (BASE_FILE, base_good)):
        with (root / name).open("w") as f:
            for i in range(n):
                text = f"{i} + {i} = {2 * i}. [good]" if i in good else f"It is probably {2 * i + 1}."
                f.write(json.dumps({"id": f"item-{i:03d}", "output": text}) + "\n")
    config = root / "run.toml"
    if "concurrency" not in judge_extra:
        judge_extra = "concurrency = 4\n" + judge_extra
    if "recheck" not in judge_extra:  # the reliability samples' extra calls, off unless a test asks
        judge_extra = "recheck_batches = false\nrecheck_single = false\n" + judge_extra
    config.write_text(
        f"""name = "spine"
prompts = "prompts.jsonl"
results = "results"
seed = 7
{top_extra}
[models.finetuned]
name = "{FT_NAME}"
outputs = "{FT_FILE}"

[models.base]
name = "{BASE_NAME}"
outputs = "{BASE_FILE}"

[judge]
model = "judge-model"
base_url = "{base_url}"
max_retries = 1
timeout = 5
{judge_extra}
[stats]
bootstrap_resamples = 500
"""
    )
    return config


def request_texts(server: object) -> list[str]:
    """Every POST body the server received, as text."""
    return [json.dumps(r["json"]) for r in server.posts]  # type: ignore[attr-defined]


def comparisons_per_request(server: object) -> list[int]:
    """How many comparison blocks each judge request held."""
    from fakeserver import last_user_text, parse_comparisons

    return [len(parse_comparisons(last_user_text(r["json"]))) for r in server.posts]  # type: ignore[attr-defined]
