"""The run's SQLite ledger.

The ledger (``ledger.sqlite``, WAL, synchronous=NORMAL: every commit survives a killed process;
only an OS crash can lose the last few) records every request *before* it is
sent and every raw reply *as it arrives*, keyed by a content hash of the request. A re-run
of the same config finds finished calls there and never sends (or pays for) them again; a
request left ``pending`` by a killed run is simply sent again. Generated outputs are cached
in the same file by (model spec, parameters, prompt).

The other files of the run folder are written, atomically, by :mod:`judge.runfolder`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import queue
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judge.records import Usage

__all__ = ["Ledger", "LedgerThread", "StoredReply", "content_key"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'error')),
    reply TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created REAL NOT NULL,
    finished REAL
);
CREATE TABLE IF NOT EXISTS generations (
    key TEXT PRIMARY KEY,
    output TEXT NOT NULL,
    created REAL NOT NULL
);
"""


def content_key(payload: Any) -> str:
    """A stable sha256 of a JSON-able payload (keys sorted, no whitespace)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredReply:
    """A finished call as the ledger holds it."""

    key: str
    reply: str
    usage: Usage


class Ledger:
    """Append-mostly record of judge and generation calls for one run folder."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # one connection, shared with a LedgerThread while one runs: every use holds _lock
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across kill -9, one fsync per checkpoint
        self._db.executescript(_SCHEMA)

    @classmethod
    @contextlib.contextmanager
    def snapshot(cls, path: str | Path) -> Iterator[Ledger]:
        """A private copy of the ledger at ``path`` (empty when there is none), for a ``with`` block.

        The run folder is not touched: SQLite writes ``-wal``/``-shm`` files beside a WAL
        database even when it is opened read-only, so a dry run reads a copy in a temp folder.
        """
        path = Path(path)
        with tempfile.TemporaryDirectory(prefix="judge-ledger-") as tmp:
            for suffix in ("", "-wal"):
                source = path.with_name(path.name + suffix)
                if source.is_file():
                    shutil.copyfile(source, Path(tmp) / f"ledger.sqlite{suffix}")
            try:
                ledger = cls(Path(tmp) / "ledger.sqlite")
            except sqlite3.DatabaseError:  # an unreadable ledger: price everything as unpaid
                (Path(tmp) / "ledger.sqlite").unlink()
                Path(tmp, "ledger.sqlite-wal").unlink(missing_ok=True)
                ledger = cls(Path(tmp) / "ledger.sqlite")
            with ledger:
                yield ledger

    def close(self) -> None:
        """Close the database (checkpointing the WAL)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def finished(self, key: str) -> StoredReply | None:
        """The stored reply for ``key`` if that call finished, else None."""
        rows = self._query(
            "SELECT reply, prompt_tokens, completion_tokens FROM calls WHERE key = ? AND status = 'done'",
            (key,),
        )
        if not rows:
            return None
        reply, prompt, completion = rows[0]
        return StoredReply(key, reply, Usage(prompt_tokens=prompt, completion_tokens=completion))

    def begin(self, key: str, kind: str, request: dict[str, Any]) -> None:
        """Record a request as pending, before it is sent."""
        self._query(
            "INSERT INTO calls (key, kind, request, status, created) VALUES (?, ?, ?, 'pending', ?) "
            "ON CONFLICT(key) DO UPDATE SET status = 'pending', error = NULL",
            (key, kind, json.dumps(request, ensure_ascii=False), time.time()),
        )

    def finish(self, key: str, reply: str, usage: Usage) -> None:
        """Record the raw reply of a call, as soon as it arrives."""
        self._query(
            "UPDATE calls SET status = 'done', reply = ?, prompt_tokens = ?, completion_tokens = ?, "
            "finished = ? WHERE key = ?",
            (reply, usage.prompt_tokens, usage.completion_tokens, time.time(), key),
        )

    def fail(self, key: str, error: str) -> None:
        """Record that a call failed for good (it will be tried again by a re-run)."""
        self._query(
            "UPDATE calls SET status = 'error', error = ?, finished = ? WHERE key = ?",
            (error, time.time(), key),
        )

    def counts(self, kind: str | None = None) -> dict[str, int]:
        """Number of calls per status (optionally of one kind)."""
        query = (
            "SELECT status, COUNT(*) FROM calls" + (" WHERE kind = ?" if kind else "") + " GROUP BY status"
        )
        return {str(status): int(n) for status, n in self._query(query, (kind,) if kind else ())}

    def get(self, key: str) -> str | None:
        """Cached generation for ``key`` (the generation cache protocol)."""
        rows = self._query("SELECT output FROM generations WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def put(self, key: str, output: str) -> None:
        """Store one generated output."""
        self._query(
            "INSERT OR REPLACE INTO generations (key, output, created) VALUES (?, ?, ?)",
            (key, output, time.time()),
        )

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Run one statement (its own transaction, unless a LedgerThread batch holds one); its rows."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _together(self, ops: list[Callable[[], Any]]) -> list[tuple[Any, BaseException | None]]:
        """Run ``ops`` (calls of this ledger's methods) in one transaction: (result, error) of each.

        Should one of them fail, nothing of the batch is kept and each is run again on its own,
        so every op gets its own result or error, as if it had been called alone.
        """
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                results = [op() for op in ops]
                self._db.execute("COMMIT")
            except Exception:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
            else:
                return [(result, None) for result in results]
        return [_alone(op) for op in ops]

    @contextlib.asynccontextmanager
    async def on_thread(self) -> AsyncIterator[LedgerThread]:
        """The ledger served by a thread of its own for an ``async with`` block (see LedgerThread)."""
        book = LedgerThread(self, asyncio.get_running_loop())
        try:
            yield book
        finally:
            await book.stop()


def _alone(op: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    try:
        return op(), None
    except Exception as exc:
        return None, exc


_Op = tuple[Callable[[], Any], "asyncio.Future[Any]"]


class LedgerThread:
    """A ledger's calls awaited from an event loop, run by one thread of their own.

    SQLite's work (and the fsync of a WAL checkpoint) then never holds up the loop that sends
    requests and reads replies. Each awaited call returns once its transaction is committed, so a
    reply recorded with :meth:`finish` is as safe (kill -9 loses nothing committed) as through
    :meth:`Ledger.finish` before the caller goes on. Calls queued while the thread is busy are
    committed together, in one transaction, in the order they were made. Use
    :meth:`Ledger.on_thread`; the ledger's own methods stay usable meanwhile (one lock guards it).
    """

    def __init__(self, ledger: Ledger, loop: asyncio.AbstractEventLoop) -> None:
        self._ledger, self._loop = ledger, loop
        self._queue: queue.SimpleQueue[list[_Op] | None] = queue.SimpleQueue()
        self._pending: list[_Op] = []  # made in this turn of the loop: handed over together
        self._thread = threading.Thread(target=self._serve, name="judge-ledger", daemon=True)
        self._thread.start()

    async def finished(self, key: str) -> StoredReply | None:
        """:meth:`Ledger.finished`."""
        result: StoredReply | None = await self._submit(lambda: self._ledger.finished(key))
        return result

    async def claim(self, key: str, kind: str, request: dict[str, Any]) -> StoredReply | None:
        """The stored reply of ``key`` if that call finished, else None with the request recorded as
        pending (:meth:`Ledger.finished`, then :meth:`Ledger.begin`, in one transaction)."""

        def claim() -> StoredReply | None:
            stored = self._ledger.finished(key)
            if stored is None:
                self._ledger.begin(key, kind, request)
            return stored

        result: StoredReply | None = await self._submit(claim)
        return result

    async def begin(self, key: str, kind: str, request: dict[str, Any]) -> None:
        """:meth:`Ledger.begin`: the request is recorded as pending when this returns."""
        await self._submit(lambda: self._ledger.begin(key, kind, request))

    async def finish(self, key: str, reply: str, usage: Usage) -> None:
        """:meth:`Ledger.finish`: the reply is committed when this returns."""
        await self._submit(lambda: self._ledger.finish(key, reply, usage))

    async def fail(self, key: str, error: str) -> None:
        """:meth:`Ledger.fail`."""
        await self._submit(lambda: self._ledger.fail(key, error))

    async def stop(self) -> None:
        """Let the thread commit what is queued, then end it."""
        self._hand_over()
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)

    async def _submit(self, op: Callable[[], Any]) -> Any:
        if not self._thread.is_alive():
            raise RuntimeError("the ledger thread has stopped")
        done: asyncio.Future[Any] = self._loop.create_future()
        self._pending.append((op, done))
        if len(self._pending) == 1:  # one wake-up of the thread per turn of the loop, not per call
            self._loop.call_soon(self._hand_over)
        return await done

    def _hand_over(self) -> None:
        if self._pending:
            self._queue.put(self._pending)
            self._pending = []

    def _serve(self) -> None:
        while (first := self._queue.get()) is not None:
            ops, last = list(first), False
            while not last:  # everything queued meanwhile goes in the same transaction
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                last = more is None
                ops.extend(more or [])
            outcomes = self._ledger._together([fn for fn, _ in ops])
            self._loop.call_soon_threadsafe(
                _settle, [(done, *got) for (_, done), got in zip(ops, outcomes, strict=True)]
            )
            if last:
                return


def _settle(outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for done, result, error in outcomes:
        if done.cancelled():
            continue
        if error is None:
            done.set_result(result)
        else:
            done.set_exception(error)
