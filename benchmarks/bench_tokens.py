"""Prompt and reply tokens per comparison, counted with a real BPE on real AlpacaEval pairs.

The pairs are blinded and batched by the product (``make_pairs``, ``batches``), each call is built
by ``JudgeStage.request_for`` (``render_messages`` + ``reply_schema``) and sent as the client would
send it (``chat_body``: messages + response_format). Counted per comparison:

* item tokens: the prompt and the two outputs, as the judge reads them;
* fixed overhead, as a share of the item tokens: instructions and ids (everything in the messages
  that is not an item, with the chat format's 3 tokens per message and 3 for the reply), and the
  response_format schema (its compact JSON; how a provider injects a schema is not public, so this
  is a proxy);
* reply-format overhead: a typical reply rendered in the product's reply format (compact JSON, as
  structured output writes it) with real judge rationales (AlpacaEval's GPT-4 Turbo
  ``concise_explanation``); overhead = every token but the rationale text.

Run: ``python benchmarks/bench_tokens.py`` (needs the dev extra's ``bpe-openai``; offline).
"""

from __future__ import annotations

import argparse
import ast
import gzip
import itertools
import json
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bpe_openai  # type: ignore[import-untyped]  # ships no stubs

from judge.client import chat_body
from judge.config import JudgeSpec
from judge.judging.blind import batches, make_pairs
from judge.judging.stage import JudgeStage, Templates
from judge.records import BlindPair, Generation, PromptItem, Role

DATA = Path("/work/shared/data/alpaca_eval")
_ROLES: tuple[Role, Role] = ("base", "finetuned")


def _rows(path: Path, n: int) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for _, line in zip(range(n), f, strict=False)]


def _groups(rows: list[dict[str, Any]], size: int) -> list[list[BlindPair]]:
    items = [PromptItem(id=f"ae-{i:03d}", prompt=r["instruction"]) for i, r in enumerate(rows)]
    outputs = {
        role: {
            it.id: Generation(item_id=it.id, role=role, output=r[f"output_{k + 1}"])
            for it, r in zip(items, rows, strict=True)
        }
        for k, role in enumerate(_ROLES)
    }
    pairs, keys = make_pairs(items, outputs, seed=0)
    return batches(pairs, keys, seed=0, size=size)


def _rationales(path: Path) -> list[str]:
    """The judge's rationales (``raw_completion``: a dict, or its Python repr in older dumps)."""
    found = []
    for row in _rows(path, 10_000):
        raw = row.get("raw_completion")
        try:
            said = raw if isinstance(raw, dict) else ast.literal_eval(str(raw))
            found.append(str(said["concise_explanation"]))
        except (ValueError, SyntaxError, KeyError, TypeError):
            continue
    return found


class Counter:
    """Token counts of one call under one encoding."""

    def __init__(self, encoding: str) -> None:
        self.enc = bpe_openai.get_encoding(encoding)

    def n(self, text: str) -> int:
        """Tokens of a text."""
        return len(self.enc.encode(text))

    def messages(self, messages: list[dict[str, str]]) -> int:
        """Prompt tokens of chat messages (3 per message + role + content, 3 to prime the reply)."""
        return sum(3 + self.n(m["role"]) + self.n(m["content"]) for m in messages) + 3

    def call(self, body: dict[str, Any], group: list[BlindPair]) -> dict[str, int]:
        """Item, instruction+id and schema tokens of one request body."""
        items = sum(self.n(p.prompt) + self.n(p.output_a) + self.n(p.output_b) for p in group)
        schema = body["response_format"]["json_schema"]
        compact = self.n(json.dumps(schema, separators=(",", ":")))
        total = self.messages(body["messages"])
        spaced = self.n(json.dumps(schema))  # as the SDK puts it on the wire
        return {"items": items, "instructions": total - items, "schema": compact, "schema_spaced": spaced}


def _reply(
    group: list[BlindPair], criteria: tuple[str, ...], rationales: Iterator[str]
) -> tuple[str, list[str]]:
    verdicts = [
        {
            "id": p.pair_id,
            "rationale": next(rationales),
            "criteria": dict.fromkeys(criteria, "A"),
            "winner": "A",
            "confidence": "high",
        }
        for p in group
    ]
    text = json.dumps({"verdicts": verdicts}, separators=(",", ":"), ensure_ascii=False)
    return text, [str(v["rationale"]) for v in verdicts]


def measure(encoding: str, groups: list[list[BlindPair]], rationales: list[str]) -> dict[str, float]:
    """Per-comparison means over every call."""
    counter, spec = Counter(encoding), JudgeSpec()
    templates = Templates.load(None, spec.criteria)
    said_by_judge = itertools.cycle(rationales)
    totals = dict.fromkeys(("items", "instructions", "schema", "schema_spaced", "reply", "rationale"), 0)
    for g in groups:
        _, request = JudgeStage.request_for(spec, g, templates, 0)
        body = chat_body(
            spec.model,
            request["messages"],
            json_schema=request["schema"],
            temperature=0.0,
            max_tokens=spec.max_tokens,
            seed=0,
        )
        for k, v in counter.call(body, g).items():
            totals[k] += v
        reply, said = _reply(g, tuple(templates.criteria), said_by_judge)
        totals["reply"] += counter.n(reply)
        totals["rationale"] += sum(counter.n(r) for r in said)
    n = sum(len(g) for g in groups)
    return {k: v / n for k, v in totals.items()}


def report(encoding: str, m: dict[str, float]) -> str:
    """The figures as text."""
    items, said, schema, wire_schema = m["items"], m["instructions"], m["schema"], m["schema_spaced"]
    prompt = items + said + schema
    fixed, wire = said + schema, said + wire_schema
    return "\n".join(
        [
            f"[{encoding}] prompt tokens per comparison: {prompt:.0f}"
            f" (messages {items + said:.0f} + response_format schema {schema:.0f})",
            f"  item tokens (prompt + both outputs): {items:.0f}",
            f"  fixed overhead: {fixed:.0f} = {fixed / items:.0%} of item tokens ({fixed / prompt:.0%} of"
            f" the prompt); instructions+ids {said:.0f} = {said / items:.0%}, schema {schema:.0f}"
            f" = {schema / items:.0%}",
            f"  schema with json.dumps spacing (as on the wire): {wire_schema:.0f} tokens; fixed overhead"
            f" then {wire:.0f} = {wire / items:.0%} of item tokens",
            f"  reply per comparison: {m['reply']:.0f} tokens, rationale {m['rationale']:.0f},"
            f" format overhead {m['reply'] - m['rationale']:.0f} (everything but the rationale text)",
        ]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--data", type=Path, default=DATA / "claude-2.gpt4.jsonl.gz")
    ap.add_argument("--rationales", type=Path, default=DATA / "alpaca-7b.cot.jsonl.gz")
    ap.add_argument("--pairs", type=int, default=300)
    ap.add_argument("--batch-size", type=int, default=5)
    args = ap.parse_args()
    rows = _rows(args.data, args.pairs)
    groups = _groups(rows, args.batch_size)
    rationales = _rationales(args.rationales)
    print(
        f"{len(rows)} pairs from {args.data.name} in {len(groups)} calls of {args.batch_size};"
        f" rationales: {len(rationales)} from {args.rationales.name}; median"
        f" {statistics.median([len(r) for r in rationales]):.0f} characters"
    )
    for encoding in ("cl100k_base", "o200k_base"):
        print(report(encoding, measure(encoding, groups, rationales)))


if __name__ == "__main__":
    main()
