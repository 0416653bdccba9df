"""Stage 3: judging blind pairs in batches, exactly once each.

For each batch: render the templates in prompts/, look the request up in the ledger (a
finished call is never sent again), otherwise record it as pending, call the judge, and
record the raw reply before reading it. Ids missing from a reply, or returned twice, are
re-asked in a smaller call (half the size when a call yielded nothing); after
``max_reasks`` re-asks sent by this invocation a pair is recorded as *failed* with its
reason. A pair is never dropped and a failure is never a verdict; nor is it final: a re-run
replays the stored calls and asks again for what is still missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from judge.checks.injection import isolate_flagged
from judge.config import JudgeSpec
from judge.errors import APIError
from judge.heap import frozen
from judge.judging.render import Templates, boundary_code, call_ids, render_messages, request_for
from judge.judging.replies import parse_reply, schema_ids
from judge.records import BlindPair, Judgment, Usage
from judge.store import Ledger, LedgerThread

__all__ = ["ChatLike", "JudgeStage", "Templates", "boundary_code", "call_ids", "render_messages"]


# Failures that say the endpoint itself is unusable (auth, quota, unreachable, overloaded past the retry
# budget): no new call is sent after one. A 400 or 422 is about one request, and only fails its pairs.
_ENDPOINT_DOWN = frozenset({401, 403, 404, 429})


def endpoint_down(exc: APIError) -> bool:
    """Whether ``exc`` means the endpoint failed for good (not just this one request)."""
    code = exc.status_code
    return code is None or code in _ENDPOINT_DOWN or code >= 500


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


_GENERATION = 100  # attempt numbers of pairs asked again together start at multiples of this


def _add(a: Usage, b: Usage) -> Usage:
    return Usage(
        prompt_tokens=a.prompt_tokens + b.prompt_tokens,
        completion_tokens=a.completion_tokens + b.completion_tokens,
    )


@dataclass
class JudgeStage:
    """Judges batches of blind pairs through a client, with the ledger as memory.

    A stored reply is replayed for free, whatever it held; an unreadable or incomplete one is
    kept (for the audit) but never makes a pair final: the re-ask budget (``max_reasks``)
    counts only calls this invocation sends, so a re-run replays the earlier calls and then
    asks again, in full batches, for every pair that still has no verdict.

    Attributes:
        usage: tokens of every call whose reply this run read (from the ledger or new): the run's total.
        new_usage: tokens of the calls this invocation sent.
        failure: the first failure that showed the endpoint down; no new call is sent after it.
        api_failed: pair ids that ended without a verdict because of an API failure.
    """

    client: ChatLike
    ledger: Ledger
    spec: JudgeSpec
    templates: Templates
    on_call: Callable[[int, Usage, bool], None] | None = None  # (pairs done, usage, cached)
    raw_replies: dict[str, str] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    new_usage: Usage = field(default_factory=Usage)
    calls: int = 0
    cached_calls: int = 0
    comparisons: int = 0  # comparisons in the calls whose replies were read (re-asks included)
    failure: APIError | None = None
    api_failed: set[str] = field(default_factory=set)
    _attempts: dict[str, int] = field(default_factory=dict)
    _reasons: dict[str, str] = field(default_factory=dict)
    _last_call: dict[str, str] = field(default_factory=dict)
    _shown: dict[str, list[str]] = field(default_factory=dict)  # ledger key -> the ids the judge saw
    _book: LedgerThread | None = None  # the ledger on its own thread, while run() runs

    async def run(self, batches: list[list[BlindPair]]) -> dict[str, Judgment]:
        """Judge every batch (concurrently; the client bounds how many calls are in flight).

        A batch whose stored calls leave pairs without a verdict hands those pairs on, and they
        are asked again together, ``batch_size`` to a call: a re-run does not re-ask one by one.
        A pair whose output trips the injection screen is always judged alone, so it can steer no
        other.
        """
        # SQLite's work on a thread, and no full garbage collection of the process's objects, so
        # that nothing holds up the replies
        with frozen():
            return await self._run(batches)

    async def _run(self, batches: list[list[BlindPair]]) -> dict[str, Judgment]:
        done: dict[str, Judgment] = {}
        groups, base = _isolate(batches), 0
        async with self.ledger.on_thread() as self._book:
            try:
                while groups:
                    handed = await self._stream(groups, base, done)
                    groups, base = _isolate(_regroup(handed, self.spec.batch_size)), base + _GENERATION
            finally:
                self._book = None
        return done

    async def _stream(
        self, groups: list[list[BlindPair]], base: int, done: dict[str, Judgment]
    ) -> list[BlindPair]:
        """Judge ``groups`` through a fixed pool of workers (memory stays flat however many there are).

        Twice as many workers as calls allowed in flight keep the client's slots full while some
        workers replay stored calls. Returns the pairs handed on, in the order of their groups (so
        that re-asks are grouped the same way on every run, and so hit the ledger on a re-run).
        """
        todo = iter(enumerate(groups))
        handed: dict[int, list[BlindPair]] = {}

        async def worker() -> None:
            for index, group in todo:  # one shared iterator: each group is taken by one worker
                judged, left = await self._chain(group, base)
                done.update((j.pair_id, j) for j in judged)
                if left:
                    handed[index] = left

        await asyncio.gather(*(worker() for _ in range(min(len(groups), 2 * self.spec.concurrency))))
        return [p for index in sorted(handed) for p in handed[index]]

    @staticmethod
    def request_for(
        spec: JudgeSpec, pairs: list[BlindPair], templates: Templates, attempt: int
    ) -> tuple[str, dict[str, Any]]:
        """The ledger key and request body of one call (see :func:`judge.judging.render.request_for`)."""
        return request_for(spec, pairs, templates, attempt)

    async def _call(
        self, pairs: list[BlindPair], attempt: int, *, replay_only: bool = False
    ) -> tuple[str, str, bool] | None:
        """(ledger key, reply text, whether it came from the ledger) of one call.

        With ``replay_only`` a call the ledger does not hold is not sent: None.
        """
        key, request = self.request_for(self.spec, pairs, self.templates, attempt)
        self._shown[key] = schema_ids(request["schema"])
        book = self._book
        assert book is not None, "calls are made inside run()"
        sendable = not replay_only and self.failure is None
        # one trip to the ledger for a call to send: its stored reply, else it is recorded as pending
        stored = await (book.claim(key, "judge", request) if sendable else book.finished(key))
        if stored is not None:
            self._count(pairs, attempt, stored.usage, cached=True)
            self.raw_replies[key] = stored.reply
            return key, stored.reply, True
        if replay_only:
            return None
        self.gate()
        try:
            reply = await self.client.chat(
                request["messages"],
                json_schema=request["schema"],
                temperature=self.spec.temperature,
                max_tokens=self.spec.max_tokens,
                seed=0,
            )
        except APIError as exc:
            if self.failure is None and endpoint_down(exc):
                self.failure = exc  # before anything is awaited: no queued call may slip through the gate
            await book.fail(key, str(exc))
            raise
        await book.finish(key, reply.text, reply.usage)  # committed: only now does the reply count
        self._count(pairs, attempt, reply.usage, cached=False)
        self.raw_replies[key] = reply.text
        return key, reply.text, False

    def gate(self) -> None:
        """Raise once the endpoint has failed for good: calls queued behind that failure are not sent.

        Checked before a call is recorded, and by the client before each HTTP attempt (``before_send``).
        """
        if self.failure is not None:
            raise APIError(f"not sent: {self.failure}", status_code=self.failure.status_code)

    def _count(self, pairs: list[BlindPair], attempt: int, usage: Usage, *, cached: bool) -> None:
        n = len(pairs) if attempt == 0 else 0  # pairs newly done, for the progress bar
        self.calls += 1
        self.comparisons += len(pairs)
        self.cached_calls += int(cached)
        self.usage = _add(self.usage, usage)
        if not cached:
            self.new_usage = _add(self.new_usage, usage)
        if self.on_call:
            self.on_call(n, usage, cached)

    async def _chain(self, batch: list[BlindPair], base: int) -> tuple[list[Judgment], list[BlindPair]]:
        """One batch and its re-asks: (judgments of the pairs it settled, pairs it hands on).

        Stored calls are replayed; once one was, a call the ledger does not hold is not sent:
        its pairs are handed on, to be asked again together with other batches' leftovers.
        """
        done: dict[str, Judgment] = {}
        handed: list[BlindPair] = []
        queue, attempt, fresh, replayed = [batch], base, 0, False
        while queue and fresh <= self.spec.max_reasks:
            next_queue: list[list[BlindPair]] = []
            sent = False
            for chunk in queue:
                try:
                    got = await self._call(chunk, attempt, replay_only=replayed)
                except APIError as exc:
                    self._api_failed(chunk, exc)
                    continue  # an API failure after the client's own retries is final for this run
                if got is None:
                    handed.extend(chunk)
                    continue
                key, text, cached = got
                replayed, sent = replayed or cached, sent or not cached
                next_queue.extend(self._read(chunk, key, text, done))
            queue, attempt, fresh = next_queue, attempt + 1, fresh + int(sent)
        gone = {p.pair_id for p in handed}
        failed = [self._failure(p.pair_id) for p in batch if p.pair_id not in done and p.pair_id not in gone]
        return [*done.values(), *failed], handed

    def _read(
        self, chunk: list[BlindPair], key: str, text: str, done: dict[str, Judgment]
    ) -> list[list[BlindPair]]:
        """Record the verdicts of one reply in ``done``; the chunks to re-ask (smaller ones)."""
        for p in chunk:
            self._attempts[p.pair_id] = self._attempts.get(p.pair_id, 0) + 1
            self._last_call[p.pair_id] = key
        shown = self._shown.pop(key)  # in the order of the pairs (reply_schema keeps it)
        names = dict(zip(shown, (p.pair_id for p in chunk), strict=True))
        parsed = parse_reply(text, [p.pair_id for p in chunk], tuple(self.templates.criteria), names)
        for pid, verdict in parsed.verdicts.items():
            attempts = self._attempts[pid]
            done[pid] = Judgment(pair_id=pid, status="ok", verdict=verdict, call_id=key, attempts=attempts)
            self._reasons.pop(pid, None)
            self.api_failed.discard(pid)
        self._reasons.update(parsed.problems)
        left = [p for p in chunk if p.pair_id in parsed.problems]
        if not left:
            return []
        size = len(left) if parsed.verdicts or len(left) == 1 else (len(left) + 1) // 2
        return [left[i : i + size] for i in range(0, len(left), size)]

    def _api_failed(self, chunk: list[BlindPair], exc: APIError) -> None:
        ids = [p.pair_id for p in chunk]
        self._reasons.update(dict.fromkeys(ids, f"judge API failed: {exc}"))
        self.api_failed.update(ids)

    def _failure(self, pair_id: str) -> Judgment:
        return Judgment(
            pair_id=pair_id,
            status="failed",
            attempts=self._attempts.get(pair_id, 0),
            reason=self._reasons.get(pair_id, "not judged"),
            call_id=self._last_call.get(pair_id),
        )


def _isolate(batches: list[list[BlindPair]]) -> list[list[BlindPair]]:
    return isolate_flagged(batches, lambda p: (p.output_a, p.output_b))


def _regroup(pairs: list[BlindPair], size: int) -> list[list[BlindPair]]:
    """Handed-on pairs in calls of at most ``size``, in order, first fit; never two pairs of one
    prompt in a call (so both_orders' two rounds stay apart, as in the first batches)."""
    groups: list[list[BlindPair]] = []
    for pair in pairs:
        room = (g for g in groups if len(g) < size and all(q.prompt != pair.prompt for q in g))
        group = next(room, None)
        if group is None:
            groups.append([pair])
        else:
            group.append(pair)
    return groups
