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

Before and after, side by side: *before* is the format of commit d4ec4ef (its templates are kept in
``benchmarks/baseline_prompts/``: XML-like tags with a 24-hex boundary code on every tag, pair ids,
an object per verdict with the criteria names spelt out); *after* is the shipped compact format
(part lines with a 12-digit code, 3-digit call-local ids, ``{"v": [[id, rationale, "AB=AA", winner,
confidence]]}``).

Run: ``python benchmarks/bench_tokens.py`` (needs the dev extra's ``bpe-openai``; offline).
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import itertools
import json
import statistics
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


BASELINE = Path(__file__).resolve().parent / "baseline_prompts"


def _before_request(group: list[BlindPair], templates: Templates) -> dict[str, Any]:
    """A call as commit d4ec4ef built it (its render_messages and reply_schema, condensed)."""
    shown = [templates.system, templates.batch.template, templates.comparison.template,
             sorted(templates.criteria.items()),
             [(p.pair_id, p.prompt, p.reference, p.output_a, p.output_b) for p in group]]  # fmt: skip
    code = hashlib.sha256(json.dumps(shown).encode("utf-8")).hexdigest()[:24]
    blocks = [templates.comparison.substitute(id=p.pair_id, boundary=code, prompt=p.prompt, reference="",
                                              output_a=p.output_a, output_b=p.output_b).strip()
              for p in group]  # fmt: skip
    user = templates.batch.substitute(
        n=len(group), boundary=code, comparisons="\n\n".join(blocks), ids=", ".join(p.pair_id for p in group),
        criteria="\n".join(f"- {k}: {v}" for k, v in templates.criteria.items()))  # fmt: skip
    label = {"type": "string", "enum": ["A", "B", "tie"]}
    crit = {"type": "object", "properties": dict.fromkeys(templates.criteria, label),
            "required": list(templates.criteria)}  # fmt: skip
    verdict = {"type": "object", "properties": {
        "id": {"type": "string", "enum": [p.pair_id for p in group]},
        "rationale": {"type": "string", "maxLength": 600}, "criteria": crit, "winner": label,
        "confidence": {"type": "string", "enum": ["high", "medium", "low"]}},
        "required": ["id", "rationale", "criteria", "winner", "confidence"]}  # fmt: skip
    n = len(group)
    schema = {"type": "object", "properties": {"verdicts": {"type": "array", "items": verdict,
              "minItems": n, "maxItems": n}}, "required": ["verdicts"]}  # fmt: skip
    messages = [{"role": "system", "content": templates.system}, {"role": "user", "content": user.strip()}]
    return {"messages": messages, "schema": schema}


def _before_reply(group: list[BlindPair], criteria: tuple[str, ...], said: list[str]) -> str:
    verdicts = [{"id": p.pair_id, "rationale": r, "criteria": dict.fromkeys(criteria, "A"), "winner": "A",
                 "confidence": "high"} for p, r in zip(group, said, strict=True)]  # fmt: skip
    return json.dumps({"verdicts": verdicts}, separators=(",", ":"), ensure_ascii=False)


def _after_reply(request: dict[str, Any], criteria: tuple[str, ...], said: list[str]) -> str:
    ids = request["schema"]["properties"]["v"]["items"]["prefixItems"][0]["enum"]
    rows = [[i, r, "A" * len(criteria), "A", "h"] for i, r in zip(ids, said, strict=True)]
    return json.dumps({"v": rows}, separators=(",", ":"), ensure_ascii=False)


def measure(
    encoding: str, groups: list[list[BlindPair]], rationales: list[str], *, before: bool
) -> dict[str, float]:
    """Per-comparison means over every call, in the format before (d4ec4ef) or after (shipped)."""
    counter, spec = Counter(encoding), JudgeSpec()
    templates = Templates.load(BASELINE if before else None, spec.criteria)
    said_by_judge = itertools.cycle(rationales)
    totals = dict.fromkeys(("items", "instructions", "schema", "schema_spaced", "reply", "rationale"), 0)
    for g in groups:
        if before:
            request = _before_request(g, templates)
        else:
            _, request = JudgeStage.request_for(spec, g, templates, 0)
        body = chat_body(
            spec.model, request["messages"], json_schema=request["schema"], temperature=0.0,
            max_tokens=spec.max_tokens, seed=0,
        )  # fmt: skip
        for k, v in counter.call(body, g).items():
            totals[k] += v
        said = [next(said_by_judge) for _ in g]
        criteria = tuple(templates.criteria)
        reply = _before_reply(g, criteria, said) if before else _after_reply(request, criteria, said)
        totals["reply"] += counter.n(reply)
        totals["rationale"] += sum(counter.n(r) for r in said)
    n = sum(len(g) for g in groups)
    return {k: v / n for k, v in totals.items()}


def _lines(m: dict[str, float]) -> list[str]:
    items, said, schema, wire_schema = m["items"], m["instructions"], m["schema"], m["schema_spaced"]
    prompt, fixed, wire = items + said + schema, said + schema, said + wire_schema
    return [
        f"prompt tokens per comparison: {prompt:.0f}",
        f"item tokens (prompt + both outputs): {items:.0f}",
        f"fixed overhead: {fixed:.1f} = {fixed / items:.1%} of item tokens",
        f"  instructions+ids {said:.0f} = {said / items:.0%}, schema {schema:.0f} = {schema / items:.0%}",
        f"  schema as on the wire (spaced): {wire_schema:.0f}; overhead then {wire / items:.0%}",
        f"reply per comparison: {m['reply']:.0f} tokens (rationale {m['rationale']:.0f})",
        f"reply-format overhead: {m['reply'] - m['rationale']:.1f} tokens per comparison",
    ]


def report(encoding: str, before: dict[str, float], after: dict[str, float]) -> str:
    """The figures before and after, side by side."""
    rows = zip(_lines(before), _lines(after), strict=True)
    head = f"[{encoding}]  {'before (d4ec4ef)':<62} after (shipped)"
    return "\n".join([head, *(f"  {b:<64} {a}" for b, a in rows)])


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
        before = measure(encoding, groups, rationales, before=True)
        after = measure(encoding, groups, rationales, before=False)
        print(report(encoding, before, after))


if __name__ == "__main__":
    main()
