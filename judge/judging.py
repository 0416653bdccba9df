"""Stage 3: judging blind pairs in batches, exactly once each.

For each batch: render the templates in prompts/, look the request up in the ledger (a
finished call is never sent again), otherwise record it as pending, call the judge, and
record the raw reply before reading it. Ids missing from a reply, or returned twice, are
re-asked in a smaller call (half the size when a call yielded nothing); after
``max_reasks`` re-asks a pair is recorded as *failed* with its reason. A pair is never
dropped and a failure is never a verdict.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any, Protocol

from judge.checks.injection import isolate_flagged
from judge.config import JudgeSpec, prompts_dir
from judge.errors import APIError, ConfigError
from judge.records import BlindPair, Judgment, Usage
from judge.replies import parse_reply, reply_schema
from judge.store import Ledger, content_key

__all__ = ["ChatLike", "JudgeStage", "Templates", "boundary_code", "render_messages"]


class _Reply(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def usage(self) -> Usage: ...


class ChatLike(Protocol):
    """What the judge stage needs of a client (judge.client.ChatClient has it)."""

    async def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        json_schema: dict[str, Any] | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> _Reply: ...


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
    """The code that marks this call's boundaries: a hash of everything the call shows the judge.

    No output can contain it: each output is part of what is hashed, so writing the code into an
    output would need a SHA-256 fixed point, and the other pairs in the call (opaque ids, other
    outputs, random order) are unknown to whoever wrote it. Derived rather than random so that
    the same call renders the same messages again, which keeps the ledger key stable for resume.
    """
    shown = [templates.system, templates.batch.template, templates.comparison.template,
             sorted(templates.criteria.items()),
             [(p.pair_id, p.prompt, p.reference, p.output_a, p.output_b) for p in pairs]]  # fmt: skip
    return hashlib.sha256(json.dumps(shown).encode("utf-8")).hexdigest()[:24]


def render_messages(pairs: list[BlindPair], templates: Templates) -> list[dict[str, str]]:
    """The chat messages for one batch: nothing but prompts, outputs, opaque ids and the rubric.

    Every block and part is tagged with :func:`boundary_code`, so an output cannot close its own
    block or forge another comparison: tags without the code are just text inside a response.
    """
    code = boundary_code(pairs, templates)
    blocks = [
        templates.comparison.substitute(
            id=p.pair_id,
            boundary=code,
            prompt=p.prompt,
            reference=f"<reference {code}>\n{p.reference}\n</reference {code}>\n" if p.reference else "",
            output_a=p.output_a,
            output_b=p.output_b,
        ).strip()
        for p in pairs
    ]
    user = templates.batch.substitute(
        n=len(pairs),
        boundary=code,
        criteria="\n".join(f"- {k}: {v}" for k, v in templates.criteria.items()),
        comparisons="\n\n".join(blocks),
        ids=", ".join(p.pair_id for p in pairs),
    )
    return [{"role": "system", "content": templates.system}, {"role": "user", "content": user.strip()}]


@dataclass
class JudgeStage:
    """Judges batches of blind pairs through a client, with the ledger as memory."""

    client: ChatLike
    ledger: Ledger
    spec: JudgeSpec
    templates: Templates
    on_call: Callable[[int, Usage, bool], None] | None = None  # (pairs done, usage, cached)
    raw_replies: dict[str, str] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    calls: int = 0
    cached_calls: int = 0

    async def run(self, batches: list[list[BlindPair]]) -> dict[str, Judgment]:
        """Judge every batch (concurrently; the client bounds how many calls are in flight).

        A pair whose output trips the injection screen is judged alone, so it can steer no other.
        """
        batches = isolate_flagged(batches, lambda p: (p.output_a, p.output_b))
        results = await asyncio.gather(*(self._batch(batch) for batch in batches))
        return {j.pair_id: j for part in results for j in part}

    @staticmethod
    def request_for(
        spec: JudgeSpec, pairs: list[BlindPair], templates: Templates, attempt: int
    ) -> tuple[str, dict[str, Any]]:
        """The ledger key and request body of one call (the key also covers the attempt number)."""
        ids = [p.pair_id for p in pairs]
        request = {
            "model": spec.model,
            "messages": render_messages(pairs, templates),
            "temperature": spec.temperature,
            "schema": reply_schema(ids, tuple(templates.criteria)),
        }
        return content_key({**request, "attempt": attempt}), request

    async def _call(self, pairs: list[BlindPair], attempt: int) -> tuple[str, str]:
        key, request = self.request_for(self.spec, pairs, self.templates, attempt)
        messages = request["messages"]
        stored = self.ledger.finished(key)
        if stored is not None:
            self._count(len(pairs) if attempt == 0 else 0, stored.usage, cached=True)
            self.raw_replies[key] = stored.reply
            return key, stored.reply
        self.ledger.begin(key, "judge", request)
        try:
            reply = await self.client.chat(
                messages,
                json_schema=request["schema"],
                temperature=self.spec.temperature,
                max_tokens=self.spec.max_tokens,
                seed=0,
            )
        except APIError as exc:
            self.ledger.fail(key, str(exc))
            raise
        self.ledger.finish(key, reply.text, reply.usage)
        self._count(len(pairs) if attempt == 0 else 0, reply.usage, cached=False)
        self.raw_replies[key] = reply.text
        return key, reply.text

    def _count(self, n: int, usage: Usage, *, cached: bool) -> None:
        self.calls += 1
        self.cached_calls += int(cached)
        if not cached:
            self.usage = Usage(
                prompt_tokens=self.usage.prompt_tokens + usage.prompt_tokens,
                completion_tokens=self.usage.completion_tokens + usage.completion_tokens,
            )
        if self.on_call:
            self.on_call(n, usage, cached)

    async def _batch(self, batch: list[BlindPair]) -> list[Judgment]:
        done: dict[str, Judgment] = {}
        reasons: dict[str, str] = {}
        attempts: dict[str, int] = dict.fromkeys((p.pair_id for p in batch), 0)
        last_call: dict[str, str] = {}
        queue: list[list[BlindPair]] = [batch]
        attempt = 0
        while queue and attempt <= self.spec.max_reasks:
            next_queue: list[list[BlindPair]] = []
            for chunk in queue:
                try:
                    key, text = await self._call(chunk, attempt)
                except APIError as exc:
                    reasons.update(dict.fromkeys((p.pair_id for p in chunk), f"judge API failed: {exc}"))
                    continue  # an API failure after the client's own retries is final for this run
                for p in chunk:
                    attempts[p.pair_id] += 1
                    last_call[p.pair_id] = key
                parsed = parse_reply(text, [p.pair_id for p in chunk], tuple(self.templates.criteria))
                for pid, verdict in parsed.verdicts.items():
                    done[pid] = Judgment(
                        pair_id=pid, status="ok", verdict=verdict, call_id=key, attempts=attempts[pid]
                    )
                reasons.update(parsed.problems)
                left = [p for p in chunk if p.pair_id in parsed.problems]
                if not left:
                    continue
                size = len(left) if parsed.verdicts or len(left) == 1 else (len(left) + 1) // 2
                next_queue.extend(left[i : i + size] for i in range(0, len(left), size))
            queue, attempt = next_queue, attempt + 1
        failed = [
            Judgment(
                pair_id=p.pair_id,
                status="failed",
                attempts=attempts[p.pair_id],
                reason=reasons.get(p.pair_id, "not judged"),
                call_id=last_call.get(p.pair_id),
            )
            for p in batch
            if p.pair_id not in done
        ]
        return [done[p.pair_id] for p in batch if p.pair_id in done] + failed
