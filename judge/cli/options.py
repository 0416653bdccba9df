"""Parser plumbing (did-you-mean, help layout), the options every verb shares (``-v``/``-q``)
and the CI gate (``--fail-if-worse``/``--fail-unless-better``).

The gate reads ``summary.effect.verdict``, the net win rate's interval against the margin:

=======================  ==========================================================================
flag                     exits with :data:`GATE_EXIT` when
=======================  ==========================================================================
--fail-if-worse          the verdict is ``worse``: significantly worse, beyond the margin
--fail-unless-better     the verdict is anything but ``better`` (significantly better, beyond the
                         margin): equivalent, inconclusive, negligible or no data all fail
=======================  ==========================================================================

A run that did not finish keeps its own code (3, 4, 5): the gate needs a finished run to read.
A several-models run applies the gate to every model against the baseline (each pairing's own
verdict): one model worse fails ``--fail-if-worse``, one model not better fails ``--fail-unless-better``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from rich.console import Console

    from judge.summary import Summary
    from judge.summary_several import SeveralSummary

__all__ = ["GATE_EXIT", "HelpFormatter", "Parser", "add_common", "add_gate", "gate", "positive_int", "share"]

GATE_EXIT = 6
"""Exit code of a result that fails ``--fail-if-worse`` or ``--fail-unless-better``."""


class Parser(argparse.ArgumentParser):
    """argparse with "did you mean" for a misspelt verb or choice."""

    def error(self, message: str) -> NoReturn:
        import difflib
        import re

        found = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if found:
            choices = re.findall(r"'([^']*)'", found.group(2)) or found.group(2).split(", ")
            close = difflib.get_close_matches(found.group(1), choices, n=1, cutoff=0.6)
            if close:
                message = f"{message}; did you mean {close[0]!r}?"
        super().error(message)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The top-level help: descriptions kept as written, verbs aligned in one column."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=20, width=100)


def add_common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``-v``/``-q``, accepted before the verb (``top``) and after it."""
    default: object = 0 if top else argparse.SUPPRESS  # after the verb: keep what came before it
    group = parser.add_argument_group("output")
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default,
        help="more log lines on stderr: -v every retry (INFO), -vv everything (DEBUG)",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=default,
        help="only errors on stderr (no retry warnings, no progress bars)",
    )


def add_gate(parser: argparse.ArgumentParser) -> None:
    """The CI gate's two flags."""
    group = parser.add_argument_group("CI gate (exit code 6 when the result fails it)")
    group.add_argument(
        "--fail-if-worse",
        action="store_true",
        help="exit 6 if the fine-tune is significantly worse than its base beyond the margin",
    )
    group.add_argument(
        "--fail-unless-better",
        action="store_true",
        help="exit 6 unless the fine-tune is significantly better than its base beyond the margin",
    )


def failed_gate(summary: Summary, *, if_worse: bool, unless_better: bool) -> str | None:
    """Why the result fails the gate asked for, or None when it passes."""
    verdict = summary.effect.verdict if summary.effect else "no_data"
    words = verdict.replace("_", " ")
    if if_worse and verdict == "worse":
        return f"--fail-if-worse: the fine-tune is worse than its base ({words})"
    if unless_better and verdict != "better":
        return f"--fail-unless-better: the result is {words}, not better"
    return None


def gate(args: argparse.Namespace, summary: Summary | SeveralSummary, code: int, err: Console) -> int:
    """``code`` when it already says the run failed or no gate fails; else :data:`GATE_EXIT`."""
    if code != 0:
        return code
    asked = {"if_worse": getattr(args, "fail_if_worse", False),
             "unless_better": getattr(args, "fail_unless_better", False)}  # fmt: skip
    from judge.summary_several import SeveralSummary

    if isinstance(summary, SeveralSummary):  # every model against the baseline
        found = [(p.candidate, failed_gate(p.summary, **asked)) for p in summary.pairings if p.vs_baseline]
        why = next((f"{key}: {w}" for key, w in found if w), None)
    else:
        why = failed_gate(summary, **asked)
    if why is None:
        return code
    from rich.markup import escape

    err.print(f"[bold red]gate failed:[/] {escape(why)} (exit {GATE_EXIT})", soft_wrap=True)
    return GATE_EXIT


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def share(text: str) -> float:
    """argparse type: a probability strictly between 0 and 1 (alpha, power)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{value:g} must be between 0 and 1, e.g. 0.05 or 0.8")
    return value
