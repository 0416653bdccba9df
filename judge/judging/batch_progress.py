"""A rich progress bar for a batch being polled: status, requests answered and failed, ETA."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from judge.progress import LiveProgress

if TYPE_CHECKING:
    from judge.client import BatchStatus

__all__ = ["BatchProgress"]


class BatchProgress(LiveProgress):
    """``update`` is :func:`judge.judging.batch.prefill_ledger`'s ``on_status``; one bar per batch id."""

    def __init__(self, *, enabled: bool = True) -> None:
        self._progress = Progress(
            TextColumn("batch {task.fields[status]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[info]}"),
            console=Console(stderr=True),
            disable=not enabled,
        )
        self._tasks: dict[str, TaskID] = {}

    def update(self, status: BatchStatus) -> None:
        """Show one polled status (the ETA comes from the pace of answered requests)."""
        if status.id not in self._tasks:
            self._tasks[status.id] = self._progress.add_task(status.id, total=None, status="", info="")
        info = f"{status.id} · {status.failed} failed" if status.failed else status.id
        self._progress.update(
            self._tasks[status.id],
            total=status.total or None,
            completed=status.completed + status.failed,
            status=status.status,
            info=info,
        )
