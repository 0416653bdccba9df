"""Rich progress bars: generation per model, and judging (pairs done, ETA, tokens and cost, retries)."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TaskID, TextColumn
from rich.text import Text

from judge.records import Usage

if TYPE_CHECKING:
    from judge.client import Prices, RetryEvent

__all__ = ["GenerationProgress", "JudgeProgress", "LiveProgress", "fit", "short_count"]

_WIDE = 110  # below this many columns the bars drop what a user can do without (the new/run split)


def fit(text: str, width: int) -> str:
    """``text`` cut in the middle to ``width`` characters: both ends of a model name stay readable.

    A label ``what (model name)`` keeps ``what`` whole and cuts the name inside the brackets.
    """
    if len(text) <= width:
        return text
    what, bracket, name = text.partition(" (")
    if bracket and name.endswith(")") and len(what) + 6 <= width:
        return f"{what} ({fit(name[:-1], width - len(what) - 3)})"
    head = (width - 1) // 2
    return f"{text[:head]}…{text[len(text) - (width - 1 - head) :]}"


def short_count(n: int) -> str:
    """12,345 -> "12.3k", 1,470,234 -> "1.47M": token counts that fit a narrow bar."""
    if n < 10_000:
        return f"{n:,}"
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.2f}M"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-:--"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _Times(ProgressColumn):
    """Elapsed and remaining time in one short column: ``1:23 eta 2:00``."""

    def render(self, task: Task) -> Text:
        return Text(f"{_clock(task.elapsed)} eta {_clock(task.time_remaining)}", style="progress.remaining")


class LiveProgress:
    """A rich ``Progress`` shown for the length of a ``with`` block (subclasses build ``_progress``)."""

    _progress: Progress

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()


class _Bar(LiveProgress):
    """One rich bar on stderr with elapsed time and ETA, shown for a ``with`` block.

    Laid out to stay on one line at 80 columns: the label is cut in the middle to what is left
    after the bar, the count, the times and ``reserve`` characters of extra information.
    """

    def __init__(
        self,
        label: str,
        total: int | None,
        *,
        enabled: bool,
        reserve: int = 0,
        console: Console | None = None,
    ) -> None:
        console = console or Console(stderr=True)
        self.width = console.width
        narrow = self.width < _WIDE
        bar = 12 if narrow else 30
        self._room = max(12, self.width - bar - 11 - 15 - reserve - 5)  # count, times, info, gaps
        self._progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=bar),
            MofNCompleteColumn(),
            _Times(),
            TextColumn("{task.fields[info]}"),
            console=console,
            disable=not enabled,
        )
        self._task = self._add(label, total)

    def _add(self, label: str, total: int | None) -> TaskID:
        return self._progress.add_task(fit(label, self._room), total=total, info="")


def _plus(a: Usage, b: Usage) -> Usage:
    return Usage(
        prompt_tokens=a.prompt_tokens + b.prompt_tokens,
        completion_tokens=a.completion_tokens + b.completion_tokens,
    )


class JudgeProgress(_Bar):
    """``advance`` is the judge stage's ``on_call``, ``retry`` the client's ``on_retry``.

    Drawn on stderr unless given another ``console``.

    Shows the whole run's tokens and cost (calls replayed from the ledger included, as in
    summary.json) and, apart, what this invocation has paid.
    """

    def __init__(
        self,
        total: int,
        *,
        enabled: bool = True,
        prices: Prices | None = None,
        console: Console | None = None,
    ) -> None:
        super().__init__("judging", total, enabled=enabled, reserve=30, console=console)
        self.prices = prices
        self.tokens = Usage()  # the whole run
        self.new_tokens = Usage()  # sent by this invocation
        self.retries = 0

    def _money(self, usage: Usage) -> str:
        return f" ${self.prices.cost(usage):.4f}" if self.prices else ""

    def _info(self) -> str:
        retries = f" retries {self.retries}" if self.retries else ""
        if self.width < _WIDE:  # the whole run's tokens and cost; the final summary has the split
            return f"{short_count(self.tokens.total_tokens)} tok{self._money(self.tokens)}{retries}"
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
    """Generation: one line per model; call it (the first model's line) with ``(done, total)``.

    Models generated at the same time each get a line: :meth:`line` adds one.
    """

    def __init__(self, label: str, *, enabled: bool = True) -> None:
        super().__init__(f"generating {label}", None, enabled=enabled)

    def __call__(self, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done, total=total)

    def line(self, label: str) -> Callable[[int, int], None]:
        """Another model's line below the first; call what it returns with ``(done, total)``."""
        task = self._add(f"generating {label}", None)
        return lambda done, total: self._progress.update(task, completed=done, total=total)
