"""Generation throughput: judge's transformers backend vs plain model.generate, and the local server.

All three answer the same prompts with the bundled Qwen2.5-Coder-0.5B-Instruct, greedy, the same
max_tokens. Tokens counted are the new tokens each produced (re-tokenized with the same tokenizer
so that the counts are comparable). Run::

    python benchmarks/bench_generate.py [--n 4] [--max-tokens 48] [--dtype float32]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from judge.checks.procedural import generate_problems
from judge.generation.backends import open_backend
from judge.generation.backends.hf import HFBackend, render_prompts
from judge.generation.bundled import bundled_model_path
from judge.records import PromptItem
from judge.specs import GenerationParams, ModelSpec


def _rate(label: str, tok: object, texts: list[str], seconds: float) -> None:
    n = sum(len(tok(t, add_special_tokens=False)["input_ids"]) for t in texts)  # type: ignore[operator]
    print(f"{label:<34} {n:5d} tokens  {seconds:7.1f} s  {n / seconds:7.1f} tokens/s", flush=True)


def main() -> None:
    """Run the three measurements and print one line each."""
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    args = ap.parse_args()
    items = generate_problems(args.n, seed=7, split="test", difficulty=(2, 5))
    prompts = [it.prompt for it in items]
    params = GenerationParams(max_tokens=args.max_tokens)
    path = bundled_model_path("qwen2.5-coder-0.5b")
    print(f"torch threads {torch.get_num_threads()}, dtype {args.dtype}, {args.n} prompts, batch {args.n}")
    t = time.perf_counter()
    hf = HFBackend(ModelSpec(name="hf", hf=str(path), dtype=args.dtype, batch_size=args.n, params=params))
    print(f"transformers load: {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    ours = hf.generate_texts(prompts)
    _rate("judge HFBackend (batched)", hf.tokenizer, ours, time.perf_counter() - t)
    tok, model = hf.tokenizer, hf.model
    enc = tok(render_prompts(tok, prompts, None), return_tensors="pt", padding=True, add_special_tokens=False)
    t = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(
            **enc, max_new_tokens=args.max_tokens, do_sample=False, pad_token_id=tok.pad_token_id
        )
    plain = tok.batch_decode(out[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    _rate("plain model.generate (batched)", tok, plain, time.perf_counter() - t)
    print(f"identical outputs: {sum(a == b for a, b in zip(ours, plain, strict=True))}/{len(ours)}")
    asyncio.run(_served(items, params, tok))


async def _served(items: list[PromptItem], params: GenerationParams, tok: object) -> None:
    spec = ModelSpec(name="srv", bundled="qwen2.5-coder-0.5b", batch_size=len(items), params=params)
    t = time.perf_counter()
    async with open_backend(spec) as backend:
        print(f"local server start: {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        served = await backend.generate_batch(items)
        engine = getattr(getattr(backend, "server", None), "engine", "?")
        _rate(f"local {engine} server", tok, served, time.perf_counter() - t)


if __name__ == "__main__":
    main()
