"""Logging for the ``judge`` command: ``-v``/``-q`` set the level of the ``judge`` loggers.

=========  =========  ==============================================================
flag       level      what reaches stderr
=========  =========  ==============================================================
``-q``     ERROR      errors only (the final message of a failed run still prints)
(none)     WARNING    retries (the first of each kind, then one line per ten), server events
``-v``     INFO       every retry, format fallbacks, stage notes
``-vv``    DEBUG      everything, including the local server's own lines
=========  =========  ==============================================================

Library use (``import judge``) configures nothing: the loggers propagate to whatever the
application set up, as the logging HOWTO asks of libraries.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

__all__ = ["configured", "level_for"]

_EVERY = 10  # at WARNING, one line for every ten repeats of the same kind of message


def level_for(verbose: int, quiet: int) -> int:
    """The logging level for ``-v`` counted ``verbose`` times and ``-q`` counted ``quiet`` times."""
    if quiet:
        return logging.ERROR
    return {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)


class _Collapse(logging.Filter):
    """Let the first record of each (logger, template) through, then one in ``_EVERY`` with a count.

    An endpoint that is down makes the client log a retry per attempt per call: fifty lines that
    say the same thing. Below INFO verbosity the user sees the first and a running count.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[tuple[str, object], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.msg)
        count = self.seen.get(key, 0) + 1
        self.seen[key] = count
        if count == 1:
            return True
        if count % _EVERY == 0:
            record.msg = f"{record.msg} ({count} like this so far; -v shows each)"
            return True
        return False


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler that writes to whatever ``sys.stderr`` is now (a live progress bar swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


@contextlib.contextmanager
def configured(verbose: int = 0, quiet: int = 0) -> Iterator[logging.Handler]:
    """Send the ``judge`` loggers to stderr at the level the flags ask for, for one command.

    The logger's level and handlers are put back afterwards, so that ``main()`` called from
    Python (a notebook, a test) leaves the application's logging as it found it.
    """
    logger = logging.getLogger("judge")
    level = logger.level
    handler = _Stderr(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    wanted = level_for(verbose, quiet)
    if wanted >= logging.WARNING:
        handler.addFilter(_Collapse())
    logger.addHandler(handler)
    logger.setLevel(wanted)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
