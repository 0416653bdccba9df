"""The ``judge`` command: its parser, its help and exit codes, and the one dispatch.

Every verb is registered the same way: a module of verbs (:mod:`judge.cli.compare` for run, stats
and plan; :mod:`judge.cli.commands`; :mod:`judge.cli.history`) adds each verb's sub-parser with
``set_defaults(handler=...)``, and :func:`main` calls ``args.handler(args)``. Those modules import
their heavy dependencies inside the handlers, so ``judge --help`` stays fast.

The user-facing help is :data:`DESCRIPTION` and :data:`EPILOG` below; the exit codes are listed
there too (the one table users read: ``judge --help``).
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading
from collections.abc import Sequence
from typing import cast

from rich.console import Console
from rich.markup import escape

from judge.cli.options import GATE_EXIT, HelpFormatter, Parser, add_common
from judge.errors import JudgeError

__all__ = ["DESCRIPTION", "EPILOG", "GATE_EXIT", "build_parser", "main"]

DESCRIPTION = """\
judge: does your fine-tune beat its base? A blind A/B comparison by an LLM judge, with
statistics that say whether the difference is real.

Start with `judge init` (a commented config), then `judge run judge.toml --dry-run`
(calls, tokens and cost; nothing sent), then `judge run judge.toml`."""

EPILOG = f"""\
exit codes:
  0    finished (every pair judged or decided by a check)
  1    unexpected error: a bug, please report it with the traceback
  2    bad config, input or option: the message names the file, line or key; nothing written
  3    the judge endpoint failed for good: results so far are written; run again to resume
  4    some judge replies were unreadable: run again to ask for those pairs again
  5    another judge process is writing the run folder (--wait queues behind it)
  {GATE_EXIT}    --fail-if-worse / --fail-unless-better: the result failed the gate
  130  interrupted: run the same command again to resume from the ledger

Every verb has --help and --json: `judge run --help`. Documentation: README.md and docs/ in
the repository; the Python API: `python -m pydoc judge` (judge.compare, judge.load_run)."""

_ORDER = ("init", "run", "demo", "runs", "view", "stats", "diff", "report", "audit", "check", "plan")
"""The verbs in the order --help lists them (the rest follow): the order a user meets them."""


_err = Console(stderr=True, highlight=False)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and tests)."""
    from judge import __version__
    from judge.cli import commands, compare, history

    parser = Parser(
        prog="judge",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"judge {__version__}")
    add_common(parser, top=True)
    sub = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser.add_subparsers(dest="command", required=True, metavar="VERB", title="verbs"),
    )
    for verbs in (compare, commands, history):
        verbs.register(sub)
    for verb in sub.choices.values():
        add_common(verb, top=False)
    rank = {name: i for i, name in enumerate(_ORDER)}
    sub._choices_actions.sort(key=lambda a: rank.get(a.dest, len(rank)))
    return parser


class _Terminated(BaseException):
    """SIGTERM, turned into an exception so that every ``finally``, lock and ``atexit`` runs."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``judge`` console script."""
    args = build_parser().parse_args(argv)
    from judge.cli.logs import configured

    if threading.current_thread() is threading.main_thread():  # kill/timeout/CI cancel: end as Ctrl-C does
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        with configured(getattr(args, "verbose", 0), getattr(args, "quiet", 0)):
            code: int = args.handler(args)
        if argv is None:  # the console script, about to exit: skip the last full garbage collections
            gc.freeze()  # (1-2 s with the openai SDK loaded; the OS takes the memory back anyway)
        return code
    except JudgeError as exc:
        from judge.reporting.terminal import clean

        _err.print(f"[bold red]error:[/] {escape(clean(str(exc)))}", soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        _err.print("interrupted: the ledger keeps every finished call; run the same command again to resume.")
        return 130
    except _Terminated:  # local servers are stopped by their atexit hooks as the process ends
        _err.print("terminated: the ledger keeps every finished call; run the same command again to resume.")
        return 143


if __name__ == "__main__":
    sys.exit(main())
