"""Batch mode: the judge stage's first calls answered by the OpenAI Batch API, at the batch price.

Batch mode pre-fills the ledger. Every first-attempt request is computed exactly as
:meth:`JudgeStage.request_for` computes it (same ledger key); those already finished are skipped,
the rest are recorded as pending, written as JSONL (``custom_id`` = ledger key, body = what the
live client would send), uploaded and run as one batch, polled until it ends, and each answered
line is stored with ``Ledger.finish`` exactly as a live reply would be. Then the ordinary
:class:`JudgeStage` runs: batched calls are found finished, and parsing, exactly-once rules and
re-asks happen as always. Failed, expired or missing items are marked failed in the ledger, so the
stage asks them live (or, with ``failed = "batch"``, one more batch is tried first).

Every step is in the ledger before the next one starts (see :mod:`judge.judging.batch_book`): a run
killed while polling polls the same batch when run again, and never submits it twice.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from judge.client import BatchClient, BatchLine, BatchStatus, ChatClient, Prices, RetryPolicy, chat_body
from judge.config import JudgeSpec
from judge.judging.batch_book import BatchBook, Job
from judge.judging.batch_options import BatchOptions, batch_prices
from judge.judging.batch_outcome import BatchOutcome
from judge.judging.stage import ChatLike, JudgeStage, Templates
from judge.records import BlindPair, Judgment, Usage
from judge.store import Ledger, content_key

__all__ = ["BatchRun", "judge_with_batches", "prefill_ledger"]

Request = tuple[str, dict[str, Any]]


@dataclass
class _Tally:
    batch_ids: list[str] = field(default_factory=list)
    created: int = 0
    answered: int = 0
    failed: int = 0
    usage: Usage = field(default_factory=Usage)

    def add(self, usage: Usage) -> None:
        self.usage = Usage(
            prompt_tokens=self.usage.prompt_tokens + usage.prompt_tokens,
            completion_tokens=self.usage.completion_tokens + usage.completion_tokens,
        )


class _Prefill:
    def __init__(
        self,
        client: BatchClient,
        ledger: Ledger,
        spec: JudgeSpec,
        templates: Templates,
        options: BatchOptions,
        on_status: Callable[[BatchStatus], None] | None,
    ) -> None:
        self.client, self.ledger, self.spec, self.templates = client, ledger, spec, templates
        self.options, self.on_status = options, on_status
        self.tally = _Tally()

    async def run(self, book: BatchBook, groups: list[list[BlindPair]]) -> None:
        await asyncio.gather(*(self._resume(book, job) for job in book.open_jobs()))
        rounds = 2 if self.options.failed == "batch" else 1
        while todo := self._todo(groups, book.tries(), rounds):
            size = self.options.max_requests
            started = [await self._submit(book, todo[i : i + size]) for i in range(0, len(todo), size)]
            await asyncio.gather(*(self._finish(book, job, status) for job, status in started))

    def _todo(self, groups: list[list[BlindPair]], tries: dict[str, int], rounds: int) -> list[Request]:
        todo: dict[str, dict[str, Any]] = {}
        for group in groups:
            key, request = JudgeStage.request_for(self.spec, group, self.templates, 0)
            if key not in todo and tries.get(key, 0) < rounds and self.ledger.finished(key) is None:
                todo[key] = request
        return list(todo.items())

    def _jsonl(self, todo: list[Request]) -> bytes:
        lines = []
        for key, request in todo:
            body = chat_body(
                self.spec.model,
                request["messages"],
                json_schema=request["schema"],
                temperature=self.spec.temperature,
                max_tokens=self.spec.max_tokens,
                seed=0,  # as JudgeStage sends it
            )
            line = {"custom_id": key, "method": "POST", "url": "/v1/chat/completions", "body": body}
            lines.append(json.dumps(line, ensure_ascii=False))
        return ("\n".join(lines) + "\n").encode("utf-8")

    async def _submit(self, book: BatchBook, todo: list[Request]) -> tuple[str, BatchStatus]:
        keys = [key for key, _ in todo]
        round_ = book.next_round()
        job = content_key({"round": round_, "keys": keys})
        book.add(job, round_, keys)
        for key, request in todo:
            self.ledger.begin(key, "judge", request)  # every request is recorded before it is sent
        file_id = await self.client.upload(self._jsonl(todo), name=f"judge-{job[:12]}.jsonl")
        book.uploaded(job, file_id)
        status = await self.client.create(
            file_id, window=self.options.completion_window, metadata={"judge_job": job[:64]}
        )
        book.submitted(job, status.id, status.status)
        self.tally.created += 1
        return job, status

    async def _resume(self, book: BatchBook, job: Job) -> None:
        if job.state == "new" or job.input_file is None:
            book.drop(job.job)  # nothing of it reached a batch: it is simply submitted afresh
            return
        if job.state == "uploaded" or job.batch_id is None:
            found = await self.client.find(job.input_file)
            status = found or await self.client.create(job.input_file, window=self.options.completion_window)
            self.tally.created += int(found is None)
            book.submitted(job.job, status.id, status.status)
        else:
            status = await self.client.retrieve(job.batch_id)
        await self._finish(book, job.job, status)

    async def _finish(self, book: BatchBook, job: str, status: BatchStatus) -> None:
        self.tally.batch_ids.append(status.id)
        while not status.terminal:
            self._show(book, job, status)
            await asyncio.sleep(self.options.poll_interval)
            status = await self.client.retrieve(status.id)
        self._show(book, job, status)
        lines: list[BatchLine] = []
        for file_id in (status.output_file_id, status.error_file_id):
            lines += await self.client.lines(file_id) if file_id else []
        book.collected(job, self._store(book.keys(job), lines, status))

    def _show(self, book: BatchBook, job: str, status: BatchStatus) -> None:
        counts = {"total": status.total, "completed": status.completed, "failed": status.failed}
        book.polled(job, status.status, counts)
        if self.on_status is not None:
            self.on_status(status)

    def _store(self, keys: list[str], lines: list[BatchLine], status: BatchStatus) -> dict[str, str | None]:
        """Each answered line into the ledger as a live reply would be; the rest marked failed."""
        why_batch = "; ".join(status.errors) or "no line in the output or error file"
        outcomes: dict[str, str | None] = dict.fromkeys(
            keys, f"batch {status.id} {status.status}: {why_batch}"
        )
        for line in lines:
            if line.custom_id not in outcomes or outcomes[line.custom_id] is None:
                continue  # not ours, or answered twice: the first answer stands
            outcomes[line.custom_id] = line.error
            if line.text is not None and self.ledger.finished(line.custom_id) is None:
                self.ledger.finish(line.custom_id, line.text, line.usage)
                self.tally.add(line.usage)
        for key, why in outcomes.items():
            if why is not None and self.ledger.finished(key) is None:
                self.ledger.fail(key, why)
        self.tally.answered += sum(why is None for why in outcomes.values())
        self.tally.failed += sum(why is not None for why in outcomes.values())
        return outcomes


async def prefill_ledger(
    groups: list[list[BlindPair]],
    ledger: Ledger,
    spec: JudgeSpec,
    templates: Templates,
    options: BatchOptions,
    *,
    client: BatchClient | None = None,
    prices: Prices | None = None,
    on_status: Callable[[BatchStatus], None] | None = None,
) -> BatchOutcome:
    """Answer the first call of every batch of pairs through the Batch API, into the ledger.

    Args:
        groups: the blind pairs in judge batches, as the judge stage will get them.
        ledger: the run's ledger (batch jobs are recorded in the same file).
        spec: the judge spec (model, temperature, max_tokens, endpoint).
        templates: the judge prompt templates.
        options: batch settings.
        client: a batch client to use instead of one built from ``spec``.
        prices: list prices, scaled by ``options.price_factor`` for the outcome's cost.
        on_status: called with each status seen while polling (a progress display).

    Returns:
        What was batched, answered and failed, with the batch usage and price.

    Raises:
        APIError: a batch call failed for good (everything done so far stays in the ledger).
    """
    own = client is None
    client = client or BatchClient(
        base_url=spec.base_url,
        api_key_env=spec.api_key_env,
        retry=RetryPolicy(attempts=spec.max_retries + 1, initial=spec.backoff, jitter=spec.backoff),
    )
    prefill = _Prefill(client, ledger, spec, templates, options, on_status)
    try:
        with BatchBook(ledger.path) as book:
            await prefill.run(book, groups)
    finally:
        if own:
            await client.aclose()
    t = prefill.tally
    return BatchOutcome(
        tuple(t.batch_ids),
        t.created,
        t.answered,
        t.failed,
        t.usage,
        batch_prices(prices, options),
        options.price_factor,
    )


@dataclass(frozen=True)
class BatchRun:
    """A judge stage run in batch mode: the verdicts, the stage (live follow-ups) and the batches."""

    judgments: dict[str, Judgment]
    stage: JudgeStage
    batch: BatchOutcome


async def judge_with_batches(
    groups: list[list[BlindPair]],
    ledger: Ledger,
    spec: JudgeSpec,
    templates: Templates,
    options: BatchOptions,
    *,
    chat: ChatLike | None = None,
    batch_client: BatchClient | None = None,
    prices: Prices | None = None,
    on_status: Callable[[BatchStatus], None] | None = None,
) -> BatchRun:
    """The judge stage in batch mode: :func:`prefill_ledger`, then the ordinary :class:`JudgeStage`.

    Args:
        groups: the blind pairs in judge batches.
        ledger: the run's ledger.
        spec: the judge spec.
        templates: the judge prompt templates.
        options: batch settings.
        chat: the live client for re-asks and failed items (default: one built from ``spec``).
        batch_client: the batch client (default: one built from ``spec``).
        prices: list prices (live calls are billed at these, batched ones at the batch price).
        on_status: called with each batch status seen while polling.

    Returns:
        The judgments, the stage that produced them and the batch outcome.
    """
    outcome = await prefill_ledger(
        groups, ledger, spec, templates, options, client=batch_client, prices=prices, on_status=on_status
    )
    live = chat or ChatClient.for_judge(spec, prices)
    stage = JudgeStage(live, ledger, spec, templates)
    try:
        judgments = await stage.run(groups)
    finally:
        if chat is None and isinstance(live, ChatClient):
            await live.aclose()
    return BatchRun(judgments, stage, outcome)
