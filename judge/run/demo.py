"""``judge demo``: the whole pipeline offline, on the bundled model and its shipped LoRA.

Held-out procedural problems (seed 004's idea: arithmetic, RPN, brackets, each with a known
answer) are answered by Qwen2.5-Coder-0.5B-Instruct with and without the shipped LoRA, both
served by llama.cpp on 127.0.0.1; the answers are executed in the sandbox (the truth), judged
blind in batches of five, and reported. The same 0.5B model is the judge by default: it
exercises the pipeline and is *not* a trustworthy judge — the report shows how often it agreed
with the verified truth, which is the point.
"""

from __future__ import annotations

from pathlib import Path

from judge.config import JudgeSpec, RunConfig, StatsOptions
from judge.records import Role
from judge.runfolder import write_jsonl
from judge.specs import GenerationParams, ModelSpec

__all__ = ["DEMO_NOTE", "demo_config"]

MODEL = "qwen2.5-coder-0.5b"
# The held-out evaluation set of scripts/train_lora.py (test split: disjoint from training by construction).
PROBLEM_SEED, DIFFICULTY = 1004, (2, 7)

DEMO_NOTE = (
    "This demo's judge is a 0.5B model: it exercises the pipeline end to end, offline, and is NOT a "
    "trustworthy judge. How often it picked the execution-verified answer is stated above. "
    "For real use, point the same run at a strong judge:\n"
    "  judge demo --judge-base-url https://api.openai.com/v1 --judge-model gpt-4o-mini   "
    "(key in OPENAI_API_KEY)\n"
    "or write a config for your own models: see examples/ and `judge run --help`."
)


def demo_config(
    results: Path, *, n: int = 24, judge_base_url: str | None = None, judge_model: str | None = None
) -> RunConfig:
    """The demo's run config; writes its prompt set into the run folder.

    Args:
        results: folder for run folders (the demo's is ``<results>/demo``).
        n: held-out problems to compare (20-40 keeps the demo under ~10 minutes on 2 cores).
        judge_base_url: a real judge's endpoint instead of the bundled model.
        judge_model: that judge's model name.
    """
    from judge.checks import generate_problems
    from judge.generation.bundled import bundled_adapter_path

    name = "demo" if judge_base_url is None else "demo-external-judge"
    run_dir = results / name
    prompts = run_dir / "prompts.jsonl"
    write_jsonl(prompts, generate_problems(n, seed=PROBLEM_SEED, split="test", difficulty=DIFFICULTY))
    params = GenerationParams(max_tokens=192, temperature=0.0)
    models: dict[Role, ModelSpec] = {
        "finetuned": ModelSpec(
            name=f"{MODEL} + procedural LoRA",
            bundled=MODEL,
            adapter=bundled_adapter_path("gguf"),
            params=params,
        ),
        "base": ModelSpec(name=MODEL, bundled=MODEL, params=params),
    }
    if judge_base_url is None:
        judge = JudgeSpec(
            model=MODEL,
            bundled=MODEL,
            concurrency=2,
            timeout=600,
            max_tokens=1536,
            max_retries=1,
            both_orders=True,
        )
    else:
        judge = JudgeSpec(model=judge_model or "gpt-4o-mini", base_url=judge_base_url, both_orders=True)
    return RunConfig(
        name=name,
        prompts=prompts,
        seed=2026,
        results=results,
        models=models,
        judge=judge,
        stats=StatsOptions(bootstrap_resamples=2000),
    )
