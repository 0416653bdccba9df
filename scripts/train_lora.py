"""Train the LoRA adapter shipped in judge/assets/lora (seed 004's idea, on CPU in minutes).

1. Generate procedural problems of the ``train`` split (judge.checks.procedural).
2. Let the bundled base model (Qwen2.5-Coder-0.5B-Instruct, served by llama.cpp exactly as the
   demo runs it) answer each ``--samples`` times; keep only answers whose code the sandbox runs
   to the known answer.
3. Fine-tune a LoRA on those verified answers with transformers + peft on the dequantized GGUF
   (loss on the answer tokens only).
4. Save the PEFT adapter and convert it to a GGUF LoRA for llama.cpp (convert_lora_to_gguf.py
   from the llama-cpp-python sdist).
5. Measure execution-verified accuracy on held-out ``test``-split problems (disjoint from the
   training split by construction) before and after (base vs base + GGUF LoRA, greedy), and
   write train_record.json beside the adapter.

Usage::

    python scripts/train_lora.py --out judge/assets/lora            # the shipped run
    python scripts/train_lora.py --out /tmp/lora --train 16 --eval 6  # a quick try
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from judge.checks.procedural import check_answers, generate_problems
from judge.generation.backends import generate
from judge.generation.backends.hf import load_model, render_prompts
from judge.generation.bundled import bundled_model_path
from judge.records import PromptItem
from judge.specs import GenerationParams, ModelSpec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lora_gguf import convert_to_gguf

BASE = "qwen2.5-coder-0.5b"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (defaults are the shipped run)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("judge/assets/lora"))
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--train", type=int, default=32, help="training-split problems to answer")
    ap.add_argument("--samples", type=int, default=1, help="answers per problem (1 greedy + sampled)")
    ap.add_argument("--eval", type=int, default=20, help="held-out test-split problems")
    ap.add_argument("--difficulty", type=int, nargs=2, default=(2, 7))
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=160)
    ap.add_argument(
        "--dtype", default="float32", help="training dtype (bfloat16 is slow without AVX512-BF16)"
    )
    return ap.parse_args(argv)


def answers(items: list[PromptItem], max_tokens: int, temperature: float, seed: int,
            adapter: Path | None = None) -> list[str]:  # fmt: skip
    """Answers of the bundled model (+ GGUF LoRA) served by llama.cpp, as the demo generates them."""
    params = GenerationParams(max_tokens=max_tokens, temperature=temperature, seed=seed)
    spec = ModelSpec(name="train", bundled=BASE, adapter=adapter, batch_size=8, params=params)
    gens = asyncio.run(
        generate(spec, items, role="base", progress=lambda d, t: print(f"  {d}/{t}", flush=True))
    )
    return [g.output for g in gens]


def accuracy(items: list[PromptItem], max_tokens: int, adapter: Path | None = None) -> list[bool]:
    """Execution-verified correctness of greedy answers, per item."""
    outs = answers(items, max_tokens, 0.0, 0, adapter)
    return [r.correct is True for r in check_answers(list(zip(items, outs, strict=True)))]


def verified_examples(items: list[PromptItem], args: argparse.Namespace) -> list[dict[str, str]]:
    """Base-model answers (1 greedy + sampled) that the sandbox verified, deduplicated."""
    keep: dict[tuple[str, str], dict[str, str]] = {}
    for s in range(args.samples):
        outs = answers(items, args.max_tokens, 0.0 if s == 0 else 0.8, args.seed + s)
        for it, out, res in zip(items, outs, check_answers(list(zip(items, outs, strict=True))), strict=True):
            if res.correct is True:
                keep[(it.id, out)] = {"id": it.id, "prompt": it.prompt, "output": out}
    return list(keep.values())


def encode(tok: Any, ex: dict[str, str]) -> tuple[list[int], list[int]]:
    """Token ids and labels (prompt masked with -100) for one example."""
    prompt = render_prompts(tok, [ex["prompt"]], None)[0]
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    a_ids = tok(ex["output"] + tok.eos_token, add_special_tokens=False)["input_ids"]
    return p_ids + a_ids, [-100] * len(p_ids) + a_ids


def train(model: Any, tok: Any, examples: list[dict[str, str]], args: argparse.Namespace) -> list[float]:
    """LoRA fine-tuning with AdamW; returns the loss of each step."""
    import torch

    rng = random.Random(args.seed)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    model.train()
    losses = []
    for epoch in range(args.epochs):
        order = examples[:]
        rng.shuffle(order)
        for start in range(0, len(order), args.batch):
            loss = _step(model, tok, order[start : start + args.batch], opt)
            losses.append(loss)
            print(f"  epoch {epoch} step {len(losses)} loss {loss:.4f}", flush=True)
    model.eval()
    return losses


def _step(model: Any, tok: Any, batch: list[dict[str, str]], opt: Any) -> float:
    import torch

    pairs = [encode(tok, ex) for ex in batch]
    width = max(len(ids) for ids, _ in pairs)
    ids = torch.tensor([i + [tok.pad_token_id] * (width - len(i)) for i, _ in pairs])
    labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in pairs])
    mask = torch.tensor([[1] * len(i) + [0] * (width - len(i)) for i, _ in pairs])
    loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    loss.backward()
    opt.step()
    opt.zero_grad()
    return float(loss.item())


def main(argv: list[str] | None = None) -> None:
    """Run the whole recipe and write the adapter folder."""
    import torch
    from peft import LoraConfig, get_peft_model

    args = parse_args(argv)
    torch.manual_seed(args.seed)
    t0 = time.time()
    diff = tuple(args.difficulty)
    train_items = generate_problems(args.train, seed=args.seed, split="train", difficulty=diff)
    test_items = generate_problems(args.eval, seed=args.seed + 1000, split="test", difficulty=diff)
    assert not {i.id for i in train_items} & {i.id for i in test_items}
    print("held-out accuracy before ...", flush=True)
    before_ok = accuracy(test_items, args.max_tokens)
    examples = verified_examples(train_items, args)
    print(f"before {sum(before_ok)}/{len(before_ok)}; kept {len(examples)} verified answers", flush=True)
    model, tok = load_model(bundled_model_path(BASE), dtype=args.dtype)
    cfg = LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.0, task_type="CAUSAL_LM",
                     target_modules=["q_proj", "v_proj"])  # fmt: skip
    peft_model = get_peft_model(model, cfg)
    losses = train(peft_model, tok, examples, args)
    write_outputs(peft_model, tok, args, examples)
    after_ok = accuracy(test_items, args.max_tokens, args.out / "adapter.gguf")
    record = {
        "before": sum(before_ok) / len(before_ok), "after": sum(after_ok) / len(after_ok),
        "before_ok": before_ok, "after_ok": after_ok, "losses": losses,
        "test_ids": [i.id for i in test_items], "train_ids": [i.id for i in train_items],
        "seconds": round(time.time() - t0, 1),
    }  # fmt: skip
    write_record(args, examples, record)


def write_outputs(model: Any, tok: Any, args: argparse.Namespace, examples: list[dict[str, str]]) -> None:
    """Save the PEFT folder (fp16), the training data and the GGUF LoRA."""
    out: Path = args.out
    model.save_pretrained(str(out / "peft"))
    (out / "train_data.jsonl").write_text("".join(json.dumps(e) + "\n" for e in examples))
    convert_to_gguf(model, tok, out / "peft", out / "adapter.gguf")


def write_record(args: argparse.Namespace, examples: list[dict[str, str]], record: dict[str, Any]) -> None:
    """Write train_record.json: data, seed, steps and held-out accuracy before/after."""
    params = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    record = {"base": BASE, "params": params, "examples": len(examples), **record}
    (args.out / "train_record.json").write_text(json.dumps(record, indent=1))
    print(json.dumps({k: record.get(k) for k in ("before", "after", "examples", "seconds")}))


if __name__ == "__main__":
    main()
