"""Rich progress bars: generation per model, and judging (pairs done, ETA, tokens and cost, retries)."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from judge.records import Usage

if TYPE_CHECKING:
    from judge.client import Prices, RetryEvent

__all__ = ["GenerationProgress", "JudgeProgress"]


class _Bar:
    """One rich bar on stderr with elapsed time and ETA, shown for a ``with`` block."""

    def __init__(self, label: str, total: int | None, *, enabled: bool) -> None:
        self._progress = Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[info]}"),
            console=Console(stderr=True),
            disable=not enabled,
        )
        self._task = self._progress.add_task(label, total=total, info="")

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()


def _plus(a: Usage, b: Usage) -> Usage:
    return Usage(
        prompt_tokens=a.prompt_tokens + b.prompt_tokens,
        completion_tokens=a.completion_tokens + b.completion_tokens,
    )


class JudgeProgress(_Bar):
    """``advance`` is the judge stage's ``on_call``, ``retry`` the client's ``on_retry``.

    Shows the whole run's tokens and cost (calls replayed from the ledger included, as in
    summary.json) and, apart, what this invocation has paid.
    """

    def __init__(self, total: int, *, enabled: bool = True, prices: Prices | None = None) -> None:
        super().__init__("judging", total, enabled=enabled)
        self.prices = prices
        self.tokens = Usage()  # the whole run
        self.new_tokens = Usage()  # sent by this invocation
        self.retries = 0

    def _money(self, usage: Usage) -> str:
        return f" ${self.prices.cost(usage):.4f}" if self.prices else ""

    def _info(self) -> str:
        retries = f" retries {self.retries}" if self.retries else ""
        run = f"run {self.tokens.total_tokens:,} tokens{self._money(self.tokens)}"
        return f"{run} (new {self.new_tokens.total_tokens:,}{self._money(self.new_tokens)}){retries}"

    def advance(self, pairs: int, usage: Usage, cached: bool) -> None:
        """One call finished (``cached``: its reply came from the ledger, costing nothing now)."""
        self.tokens = _plus(self.tokens, usage)
        if not cached:
            self.new_tokens = _plus(self.new_tokens, usage)
        self._progress.update(self._task, advance=pairs, info=self._info())

    def retry(self, event: RetryEvent) -> None:
        """The client is backing off before a retry."""
        self.retries += 1
        self._progress.update(self._task, info=self._info())


class GenerationProgress(_Bar):
    """One model's generation; call it with ``(done, total)``."""

    def __init__(self, label: str, *, enabled: bool = True) -> None:
        super().__init__(f"generating {label}", None, enabled=enabled)

    def __call__(self, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done, total=total)
