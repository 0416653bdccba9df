"""``judge demo``: the whole pipeline offline, on the bundled model and its shipped LoRA.

Held-out procedural problems (seed 004's idea: arithmetic, RPN, brackets, each with a known
answer) are answered by Qwen2.5-Coder-0.5B-Instruct with and without the shipped LoRA, both
served by llama.cpp on 127.0.0.1; the answers are executed in the sandbox (the truth), judged
blind in batches of five, and reported. The same 0.5B model is the judge by default, judging
*with evidence* (``[judge] evidence = true``): beside each response it is shown what execution
verified (the program's output against the expected answer), blind as ever, and it writes a
rationale of at most 8 words in the compact reply format, so that it answers in seconds a call on
two cores. Judge vs truth says that the judge saw the evidence; :func:`judge.reporting.narrator.demo_headline`
is the demo's first line, and says so when the judge still cannot judge.
"""

from __future__ import annotations

from pathlib import Path

from judge.config import JudgeSpec, RunConfig, StatsOptions
from judge.runfolder import write_jsonl
from judge.specs import GenerationParams, ModelSpec

__all__ = ["DEMO_NOTE", "demo_config"]

MODEL = "qwen2.5-coder-0.5b"
# The held-out evaluation set of scripts/train_lora.py (test split: disjoint from training by construction).
PROBLEM_SEED, DIFFICULTY = 1004, (2, 7)

DEMO_NOTE = (
    "This demo's judge is a 0.5B model shown the checks' evidence (what each program printed against "
    "the expected answer): it exercises the pipeline end to end, offline, and is NOT a trustworthy "
    "judge on its own. How often it picked the execution-verified answer is stated above. "
    "For real use, point the same run at a strong judge:\n"
    "  judge demo --judge-base-url https://api.openai.com/v1 --judge-model gpt-4o-mini   "
    "(key in OPENAI_API_KEY)\n"
    "or write a config for your own models: see examples/ and `judge run --help`."
)


def demo_config(
    results: Path, *, n: int = 20, judge_base_url: str | None = None, judge_model: str | None = None
) -> RunConfig:
    """The demo's run config; writes its prompt set into the run folder.

    Args:
        results: folder for run folders (the demo's is ``<results>/demo``).
        n: held-out problems to compare. 20 (four judge calls) keeps a cold demo under three
            minutes on 2 idle cores; 24 took 190 s there (generation 105 s, judging 80 s).
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
    models: dict[str, ModelSpec] = {
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
            concurrency=1,  # the local server's one slot: calls batched together would not repeat
            timeout=600,
            max_tokens=400,  # five compact verdicts with 8-word rationales take about 150
            max_retries=1,
            both_orders=False,  # one call per five pairs: the demo answers in minutes on 2 cores
            evidence=True,
            rationale_words=8,
            # the reliability samples (20 pairs re-judged in new batches, 20 one per call) would triple
            # the 0.5B judge's time on 2 cores; its position and judge-vs-truth figures already say
            # what it is. A real judge (--judge-base-url) gets them.
            recheck_batches=False,
            recheck_single=False,
        )
    else:
        judge = JudgeSpec(
            model=judge_model or "gpt-4o-mini", base_url=judge_base_url, both_orders=True, evidence=True
        )
    return RunConfig(
        name=name,
        prompts=prompts,
        seed=2026,
        results=results,
        models=models,
        judge=judge,
        stats=StatsOptions(bootstrap_resamples=2000),
    )
