"""Rendering one judge call: templates, the call's boundary code and ids, the messages, the reply schema.

The layout (``prompts/``): every part of a comparison starts with a line ``[<code> X]`` where the
code is 12 digits of a hash of everything the call shows (:func:`boundary_code`) and X is the
comparison's call-local id (then its prompt), ``A``, ``B``, ``reference`` or ``checks`` (the
verified facts of ``[judge] evidence``); ``[<code> end]`` closes the call. A line without the code
is response text, whatever it says.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlparse

from judge.config import JudgeSpec, prompts_dir
from judge.errors import ConfigError
from judge.judging.replies import reply_schema
from judge.records import BlindPair
from judge.store import content_key

__all__ = ["Templates", "boundary_code", "call_ids", "render_messages", "request_for"]


@dataclass(frozen=True)
class Templates:
    """The judge prompt templates (text files; ``$name`` placeholders)."""

    system: str
    batch: Template
    comparison: Template
    criteria: dict[str, str]

    @classmethod
    def load(cls, folder: Path | None = None, names: tuple[str, ...] | None = None) -> Templates:
        """Read templates from ``folder`` (default: the shipped prompts/)."""
        folder = folder or prompts_dir()
        try:
            text = {
                n: (folder / f"{n}.md").read_text(encoding="utf-8")
                for n in ("judge_system", "batch", "comparison", "criteria")
            }
        except FileNotFoundError as exc:
            raise ConfigError(f"judge prompt template missing: {exc.filename}") from None
        known = dict(
            (name.strip(), desc.strip())
            for name, _, desc in (line.partition(":") for line in text["criteria"].splitlines())
            if name.strip() and not name.startswith("#")
        )
        chosen = {n: known.get(n, n.replace("_", " ")) for n in (names or tuple(known))}
        return cls(
            text["judge_system"].strip(), Template(text["batch"]), Template(text["comparison"]), chosen
        )


def boundary_code(pairs: list[BlindPair], templates: Templates) -> str:
    """The code that marks this call's boundaries: 12 digits of a hash of everything the call shows.

    No output can contain it: each output is part of what is hashed, so writing the code into an
    output would need a SHA-256 fixed point, and the other pairs in the call (opaque ids, other
    outputs, random order) are unknown to whoever wrote it. Derived rather than random so that
    the same call renders the same messages again, which keeps the ledger key stable for resume.
    Decimal, because a tokenizer reads three digits as one token: 40 bits in 4 tokens.
    """
    shown = [templates.system, templates.batch.template, templates.comparison.template,
             sorted(templates.criteria.items()),
             [(p.pair_id, p.prompt, p.reference, p.output_a, p.output_b, p.evidence_a, p.evidence_b)
              for p in pairs]]  # fmt: skip
    digest = hashlib.sha256(json.dumps(shown).encode("utf-8")).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**12:012d}"


def call_ids(pairs: list[BlindPair], code: str) -> dict[str, str]:
    """Pair id -> the 3-digit id the judge sees in this call (one token; distinct within the call).

    Derived from the boundary code, so an output cannot know the ids of its own call in advance
    (a forged verdict list cannot name them), and the same call shows the same ids again.
    """
    shown: dict[str, str] = {}
    for p in pairs:
        salt = 0
        while True:
            mac = hashlib.sha256(f"{code}\x00{p.pair_id}\x00{salt}".encode()).digest()
            short = str(100 + int.from_bytes(mac[:4], "big") % 900)
            if short not in shown.values():
                break
            salt += 1
        shown[p.pair_id] = short
    return shown


def _evidence(p: BlindPair, code: str) -> str:
    if p.evidence_a is None and p.evidence_b is None:
        return ""
    a, b = p.evidence_a or "nothing verified", p.evidence_b or "nothing verified"
    return f"[{code} checks]\nA: {a}\nB: {b}"


def _rationale(words: int) -> str:
    return f"at most {words} words, concrete differences" if words else '""'


def _parts(pairs: list[BlindPair], code: str) -> str:
    parts = []
    if any(p.reference for p in pairs):
        parts.append(f"[{code} reference] a reference answer")
    if any(p.evidence_a is not None or p.evidence_b is not None for p in pairs):
        parts.append(f"[{code} checks] facts verified by running each response (trust them)")
    return "".join(f", {part}" for part in parts)


def render_messages(
    pairs: list[BlindPair], templates: Templates, rationale_words: int = 25, *, code: str | None = None
) -> list[dict[str, str]]:
    """The chat messages for one batch: nothing but prompts, outputs, opaque ids and the rubric.

    Every part starts with a line tagged with :func:`boundary_code`, so an output cannot end its
    own part or forge another comparison: lines without the code are just text inside a response.
    The evidence lines (``[judge] evidence``) are ours, written per blind label, inside the block.
    ``code``: the call's :func:`boundary_code`, when the caller has it already.
    """
    code = code or boundary_code(pairs, templates)
    names = call_ids(pairs, code)
    blocks = [
        templates.comparison.substitute(
            id=names[p.pair_id],
            boundary=code,
            prompt=p.prompt,
            reference=f"[{code} reference]\n{p.reference}\n" if p.reference else "",
            output_a=p.output_a,
            output_b=p.output_b,
            evidence=_evidence(p, code),
        ).strip()
        for p in pairs
    ]
    user = templates.batch.substitute(
        n=len(pairs),
        boundary=code,
        criteria="; ".join(f"{k} ({v})" if v else k for k, v in templates.criteria.items()),
        comparisons="\n".join(blocks),
        ids=", ".join(names[p.pair_id] for p in pairs),
        rationale=_rationale(rationale_words),
        parts=_parts(pairs, code),
    )
    return [{"role": "system", "content": templates.system}, {"role": "user", "content": user.strip()}]


def _loopback(spec: JudgeSpec) -> bool:
    """A judge on this machine (bundled, or a server on 127.0.0.1): its server turns the schema into a
    grammar that costs no prompt tokens, so it gets the one that fixes the order of ids (small local
    models otherwise repeat the first id)."""
    host = (urlparse(spec.base_url).hostname or "").lower() if spec.base_url else ""
    return spec.bundled is not None or host in ("127.0.0.1", "localhost", "::1")


def request_for(
    spec: JudgeSpec, pairs: list[BlindPair], templates: Templates, attempt: int
) -> tuple[str, dict[str, Any]]:
    """The ledger key and request body of one call.

    The key covers everything that can change the reply — model, messages, temperature, schema and
    ``max_tokens`` (a reply cut at a smaller limit must not be reused for a larger one) — and the
    attempt number.
    """
    code = boundary_code(pairs, templates)
    names = call_ids(pairs, code)
    request = {
        "model": spec.model,
        "messages": render_messages(pairs, templates, spec.rationale_words, code=code),
        "temperature": spec.temperature,
        "schema": reply_schema(
            [names[p.pair_id] for p in pairs],
            tuple(templates.criteria),
            spec.rationale_words,
            ordered=_loopback(spec),
        ),
    }
    return content_key({**request, "max_tokens": spec.max_tokens, "attempt": attempt}), request
