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

import contextlib
import hashlib
import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judge.records import Usage

__all__ = ["Ledger", "StoredReply", "content_key"]

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
        self._db = sqlite3.connect(self.path, isolation_level=None)
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
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def finished(self, key: str) -> StoredReply | None:
        """The stored reply for ``key`` if that call finished, else None."""
        row = self._db.execute(
            "SELECT reply, prompt_tokens, completion_tokens FROM calls WHERE key = ? AND status = 'done'",
            (key,),
        ).fetchone()
        if row is None:
            return None
        return StoredReply(key, row[0], Usage(prompt_tokens=row[1], completion_tokens=row[2]))

    def begin(self, key: str, kind: str, request: dict[str, Any]) -> None:
        """Record a request as pending, before it is sent."""
        self._db.execute(
            "INSERT INTO calls (key, kind, request, status, created) VALUES (?, ?, ?, 'pending', ?) "
            "ON CONFLICT(key) DO UPDATE SET status = 'pending', error = NULL",
            (key, kind, json.dumps(request, ensure_ascii=False), time.time()),
        )

    def finish(self, key: str, reply: str, usage: Usage) -> None:
        """Record the raw reply of a call, as soon as it arrives."""
        self._db.execute(
            "UPDATE calls SET status = 'done', reply = ?, prompt_tokens = ?, completion_tokens = ?, "
            "finished = ? WHERE key = ?",
            (reply, usage.prompt_tokens, usage.completion_tokens, time.time(), key),
        )

    def fail(self, key: str, error: str) -> None:
        """Record that a call failed for good (it will be tried again by a re-run)."""
        self._db.execute(
            "UPDATE calls SET status = 'error', error = ?, finished = ? WHERE key = ?",
            (error, time.time(), key),
        )

    def counts(self, kind: str | None = None) -> dict[str, int]:
        """Number of calls per status (optionally of one kind)."""
        query = (
            "SELECT status, COUNT(*) FROM calls" + (" WHERE kind = ?" if kind else "") + " GROUP BY status"
        )
        return dict(self._db.execute(query, (kind,) if kind else ()).fetchall())

    def get(self, key: str) -> str | None:
        """Cached generation for ``key`` (the generation cache protocol)."""
        row = self._db.execute("SELECT output FROM generations WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, key: str, output: str) -> None:
        """Store one generated output."""
        self._db.execute(
            "INSERT OR REPLACE INTO generations (key, output, created) VALUES (?, ?, ?)",
            (key, output, time.time()),
        )
