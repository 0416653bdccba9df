"""The ``judge`` command: the only place that reads argv and the environment and sequences stages.

Exit codes (``run``, ``demo``, ``report``, ``check``; ``stats`` and ``plan`` use 0 and 2):

    0    every pair judged (or decided by a check)
    1    unexpected error (a bug: please report it with the traceback)
    2    bad config, input or option; the message names the file, line or key; nothing is written
    3    the judge endpoint failed for good (auth, quota, unreachable, retries spent): results are
         written for what was judged, the message says how many pairs are left; run the same
         command again to resume (nothing finished is paid twice)
    4    some pairs failed on unreadable judge replies (kept for the audit); run the same command
         again to ask for them again
    5    the run folder is being written by another judge process (``--wait`` queues behind it)
    130  interrupted; run the same command again to resume from the ledger
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from judge.errors import JudgeError

if TYPE_CHECKING:
    from judge.summary import Summary

__all__ = ["main"]

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def _share(text: str) -> float:
    """argparse type: a probability strictly between 0 and 1 (alpha, power)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{value:g} must be between 0 and 1, e.g. 0.05 or 0.8")
    return value


def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="run (or resume) a blind comparison from a TOML config")
    p.add_argument("config", type=Path)
    p.add_argument("--batch", action="store_true", help="judge via the OpenAI Batch API (half price, <24 h)")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="estimate generation, calls, tokens and cost; send and write nothing",
    )
    p.add_argument("--judge-base-url", help="override [judge] base_url (OpenAI-compatible endpoint)")
    p.add_argument("--judge-model", help="override [judge] model")
    p.add_argument("--limit", type=positive_int, help="judge only the first N prompts")
    p.add_argument("--wait", action="store_true", help="if another run holds the run folder, wait for it")
    p.add_argument(
        "--replace",
        action="store_true",
        help="overwrite a run folder made with other verdict-changing settings",
    )
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--json", action="store_true", help="print summary.json instead of the table")


def _add_stats(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "stats", help="statistics for an existing file of pairwise verdicts (CSV/JSONL, AlpacaEval)"
    )
    p.add_argument("file", type=Path)
    p.add_argument("--key", type=Path, help="key file when the winner column says A/B/tie")
    p.add_argument("--alpha", type=_share, default=0.05)
    p.add_argument("--margin", type=float, help="net win rate below which a difference is negligible (0.05)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _add_plan(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plan", help="pairs needed for a target power at an expected win/tie/loss split")
    p.add_argument("--win", type=float, required=True, help="expected share of fine-tune wins, e.g. 0.5")
    p.add_argument("--loss", type=float, required=True, help="expected share of losses, e.g. 0.4")
    p.add_argument("--power", type=_share, default=0.8)
    p.add_argument("--alpha", type=_share, default=0.05)
    p.add_argument("--batch-size", type=int, default=5, help="comparisons per judge call")
    p.add_argument("--icc", type=float, default=0.1, help="assumed correlation of verdicts in one call")
    p.add_argument("--json", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and tests)."""
    parser = argparse.ArgumentParser(prog="judge", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_run, _add_stats, _add_plan):
        add(sub)
    from judge.cli import commands

    commands.register(sub)
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    from judge.config import load_config
    from judge.reporting.console import print_summary
    from judge.run.pipeline import DryRun, run_comparison

    config = load_config(args.config)
    overrides = {k: v for k, v in (("base_url", args.judge_base_url), ("model", args.judge_model)) if v}
    overrides |= {"mode": "batch"} if args.batch else {}
    if overrides:
        config = config.model_copy(update={"judge": config.judge.model_copy(update=overrides)})
    if args.limit:
        config = config.model_copy(update={"limit": args.limit})
    result = run_comparison(
        config,
        dry_run=args.dry_run,
        show_progress=not args.no_progress,
        replace=args.replace,
        wait=args.wait,
        on_wait=lambda text: _err.print(escape(text), soft_wrap=True),
    )
    if isinstance(result, DryRun):
        _out.print(f"dry run (nothing sent, nothing written):\n{escape(result.describe())}", soft_wrap=True)
        return 0
    if args.json:  # stdout holds the JSON alone; the spend and any failure go to stderr
        _out.print_json(result.summary.model_dump_json())
        return report_ending(result.summary, _err, _err)
    print_summary(result.summary, _out)
    _out.print(f"\nrun folder: {result.run_dir}")
    return report_ending(result.summary, _out, _err)


def report_ending(summary: Summary, out: Console, err: Console) -> int:
    """Print the run's spend and, when it is not finished, its cause and what to do; the exit code."""
    u = summary.usage
    if u.calls:
        cost = "" if u.cost_usd is None else f", ${u.cost_usd:.4f}"
        new_cost = "" if u.new_cost_usd is None else f", ${u.new_cost_usd:.4f}"
        tokens, new_tokens = (
            u.prompt_tokens + u.completion_tokens,
            u.new_prompt_tokens + u.new_completion_tokens,
        )
        out.print(
            f"judge spend, whole run: {u.calls} calls, {tokens:,} tokens{cost}; "
            f"this invocation: {u.new_calls} new calls, {new_tokens:,} tokens{new_cost}",
            soft_wrap=True,
        )
    state = summary.run
    if state is None:
        return 0
    recovered = state.invocations[-1].recovered_pairs if state.invocations else 0
    if recovered:
        out.print(f"this invocation recovered {recovered} pairs that had failed before")
    if state.complete:
        return 0
    kind = "error" if state.exit_code == 3 else "warning"
    err.print(
        f"[bold red]{kind}:[/] {escape(state.failure or '')}. {escape(state.next_step or '')}", soft_wrap=True
    )
    return state.exit_code


def _cmd_stats(args: argparse.Namespace) -> int:
    from judge.api import stats_for_file
    from judge.reporting.console import print_summary

    summary = stats_for_file(args.file, key_path=args.key, alpha=args.alpha, margin=args.margin)
    if args.json:
        _out.print_json(summary.model_dump_json())
    else:
        print_summary(summary, _out)
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    from judge.api import plan

    result = plan(
        args.win, args.loss, power=args.power, alpha=args.alpha, batch_size=args.batch_size, icc=args.icc
    )
    if args.json:
        _out.print_json(json.dumps(result))
    else:
        _out.print(result["text"])
    return 0


_COMMANDS = {"run": _cmd_run, "stats": _cmd_stats, "plan": _cmd_plan}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``judge`` console script."""
    args = build_parser().parse_args(argv)
    handler = _COMMANDS.get(args.command) or args.handler
    try:
        code: int = handler(args)
        return code
    except JudgeError as exc:
        from judge.reporting.terminal import clean

        _err.print(f"[bold red]error:[/] {escape(clean(str(exc)))}", soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        _err.print("interrupted: the ledger keeps every finished call; run the same command again to resume.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
