"""The batch jobs of a run, in the run's own ledger.sqlite (tables ``batch_jobs``, ``batch_items``).

A job's row is written before its input file is uploaded, its input file id as soon as the
upload returns, and its batch id as soon as the batch is created, each in its own commit (WAL,
like the ledger): a run killed at any point finds the job again. A job whose batch id is not yet
recorded is looked up on the server by its input file before anything is created, so a batch is
never submitted twice.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from judge.records import Usage

__all__ = ["BatchBook", "Job"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batch_jobs (
    job TEXT PRIMARY KEY,
    round INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('new', 'uploaded', 'submitted', 'collected')),
    input_file TEXT,
    batch_id TEXT,
    status TEXT,
    counts TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_items (
    key TEXT NOT NULL,
    job TEXT NOT NULL,
    outcome TEXT CHECK (outcome IN ('done', 'failed')),
    reason TEXT,
    PRIMARY KEY (key, job)
);
"""


@dataclass(frozen=True)
class Job:
    """One batch job as recorded.

    Attributes:
        job: content key of the requests it holds.
        round: 0 for the first batch of a run, 1 for a batch of re-asked failures.
        state: new (recorded), uploaded (input file id known), submitted (batch id known), collected.
        input_file: the uploaded input file id.
        batch_id: the batch id.
    """

    job: str
    round: int
    state: str
    input_file: str | None
    batch_id: str | None


class BatchBook:
    """Batch jobs and their items, next to the calls in a run's ledger file."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(Path(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> BatchBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open_jobs(self) -> list[Job]:
        """Jobs not yet collected, oldest first."""
        rows = self._db.execute(
            "SELECT job, round, state, input_file, batch_id FROM batch_jobs "
            "WHERE state != 'collected' ORDER BY created"
        ).fetchall()
        return [Job(*row) for row in rows]

    def add(self, job: str, round_: int, keys: list[str]) -> None:
        """Record a new job and its request keys, before anything is uploaded."""
        now = time.time()
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO batch_jobs (job, round, state, created, updated) VALUES (?, ?, 'new', ?, ?)",
                (job, round_, now, now),
            )
            self._db.executemany("INSERT INTO batch_items (key, job) VALUES (?, ?)", [(k, job) for k in keys])

    def drop(self, job: str) -> None:
        """Forget a job that never reached the server."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM batch_items WHERE job = ?", (job,))
            self._db.execute("DELETE FROM batch_jobs WHERE job = ?", (job,))

    def uploaded(self, job: str, input_file: str) -> None:
        """Record the input file id, as soon as the upload returns."""
        self._set(job, state="uploaded", input_file=input_file)

    def submitted(self, job: str, batch_id: str, status: str) -> None:
        """Record the batch id, as soon as the batch exists."""
        self._set(job, state="submitted", batch_id=batch_id, status=status)

    def polled(self, job: str, status: str, counts: dict[str, int]) -> None:
        """Record the latest status seen (for people reading the ledger)."""
        self._set(job, status=status, counts=json.dumps(counts))

    def collected(self, job: str, outcomes: dict[str, str | None]) -> None:
        """Record each item's outcome (None: done, else why it failed) and close the job."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "UPDATE batch_items SET outcome = ?, reason = ? WHERE key = ? AND job = ?",
                [("done" if why is None else "failed", why, k, job) for k, why in outcomes.items()],
            )
            self._db.execute(
                "UPDATE batch_jobs SET state = 'collected', updated = ? WHERE job = ?", (time.time(), job)
            )

    def keys(self, job: str) -> list[str]:
        """The request keys of a job."""
        return [k for (k,) in self._db.execute("SELECT key FROM batch_items WHERE job = ?", (job,))]

    def tries(self) -> dict[str, int]:
        """How many batch jobs each request key has been in."""
        return dict(self._db.execute("SELECT key, COUNT(*) FROM batch_items GROUP BY key").fetchall())

    def next_round(self) -> int:
        """The round number of the next job."""
        (top,) = self._db.execute("SELECT MAX(round) FROM batch_jobs").fetchone()
        return 0 if top is None else int(top) + 1

    def usage(self) -> Usage:
        """Tokens billed for every request answered by a batch of this run (all runs of the folder)."""
        row = self._db.execute(
            "SELECT COALESCE(SUM(c.prompt_tokens), 0), COALESCE(SUM(c.completion_tokens), 0) "
            "FROM calls c WHERE c.key IN (SELECT key FROM batch_items WHERE outcome = 'done')"
        ).fetchone()
        return Usage(prompt_tokens=row[0], completion_tokens=row[1])

    def batch_ids(self) -> list[str]:
        """Every batch id this run folder has created."""
        rows = self._db.execute("SELECT batch_id FROM batch_jobs WHERE batch_id IS NOT NULL ORDER BY created")
        return [b for (b,) in rows]

    def _set(self, job: str, **fields: str) -> None:
        names = ", ".join(f"{name} = ?" for name in fields)
        self._db.execute(
            f"UPDATE batch_jobs SET {names}, updated = ? WHERE job = ?",
            (*fields.values(), time.time(), job),
        )
