"""The ``judge`` command: the only place that reads argv and the environment and sequences stages.

The user-facing help is :data:`DESCRIPTION` and :data:`EPILOG` below; the exit codes are listed
there too (the one table users read: ``judge --help``).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.console import Console
from rich.markup import escape

from judge.cli.options import GATE_EXIT, HelpFormatter, Parser, add_common, add_gate, gate
from judge.errors import JudgeError

if TYPE_CHECKING:
    from judge.summary import Summary

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
    p.add_argument("config", type=Path, help="the run's TOML config (`judge init` writes one)")
    p.add_argument("--batch", action="store_true", help="judge via the OpenAI Batch API (half price, <24 h)")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="estimate generation, calls, tokens and cost; send and write nothing",
    )
    p.add_argument(
        "--judge-base-url", metavar="URL", help="override [judge] base_url (OpenAI-compatible endpoint)"
    )
    p.add_argument("--judge-model", metavar="MODEL", help="override [judge] model")
    p.add_argument("--limit", type=positive_int, metavar="N", help="judge only the first N prompts")
    p.add_argument("--wait", action="store_true", help="if another run holds the run folder, wait for it")
    p.add_argument(
        "--replace",
        action="store_true",
        help="overwrite a run folder made with other verdict-changing settings",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars (logs and CI)")
    p.add_argument("--json", action="store_true", help="print summary.json instead of the table")
    add_gate(p)


def _add_stats(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "stats",
        help="recompute a run's statistics (another --alpha/--margin), or read a verdict file",
    )
    p.add_argument(
        "file",
        type=Path,
        metavar="RUN_DIR_OR_FILE",
        help="results/<run>/ (recomputed, not changed) or a verdict file (CSV/JSONL/.jsonl.gz)",
    )
    p.add_argument("--key", type=Path, help="key file when the winner column says A/B/tie")
    p.add_argument(
        "--alpha",
        type=_share,
        help="significance level; the interval is at 1 - alpha (default: the run's, else 0.05)",
    )
    p.add_argument(
        "--margin",
        type=float,
        help="net win rate below which a difference is negligible (default: the run's, else 0.05)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of the table")
    add_gate(p)


def _add_plan(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plan", help="pairs needed for a target power at an expected win/loss split")
    p.add_argument("--win", type=float, required=True, help="expected share of fine-tune wins, e.g. 0.5")
    p.add_argument("--loss", type=float, required=True, help="expected share of losses, e.g. 0.4")
    p.add_argument("--power", type=_share, default=0.8, help="target power (default 0.8)")
    p.add_argument("--alpha", type=_share, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--batch-size", type=int, default=5, help="comparisons per judge call")
    p.add_argument("--icc", type=float, default=0.1, help="assumed correlation of verdicts in one call")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and tests)."""
    from judge import __version__
    from judge.cli import commands, history

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
    for add in (_add_run, _add_stats, _add_plan):
        add(sub)
    commands.register(sub)
    history.register(sub)
    for verb in sub.choices.values():
        add_common(verb, top=False)
    rank = {name: i for i, name in enumerate(_ORDER)}
    sub._choices_actions.sort(key=lambda a: rank.get(a.dest, len(rank)))
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
        show_progress=not (args.no_progress or args.quiet),
        replace=args.replace,
        wait=args.wait,
        on_wait=lambda text: _err.print(escape(text), soft_wrap=True),
    )
    if isinstance(result, DryRun):
        if args.json:
            import dataclasses

            payload = {**dataclasses.asdict(result), "text": result.describe()}
            _out.print_json(json.dumps(payload, default=str))
            return 0
        _out.print(f"dry run (nothing sent, nothing written):\n{escape(result.describe())}", soft_wrap=True)
        return 0
    if args.json:  # stdout holds the JSON alone; the spend and any failure go to stderr
        _out.print_json(result.summary.model_dump_json())
        return gate(args, result.summary, report_ending(result.summary, _err, _err), _err)
    print_summary(result.summary, _out)
    _out.print(f"\nrun folder: {result.run_dir}")
    return gate(args, result.summary, report_ending(result.summary, _out, _err), _err)


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
    from judge.reporting.console import print_summary

    if args.file.is_dir():  # a run folder: its outcomes again, with the options given
        from judge.collection import restat

        summary = restat(args.file, alpha=args.alpha, margin=args.margin)
    else:
        from judge.api import stats_for_file

        alpha = 0.05 if args.alpha is None else args.alpha
        summary = stats_for_file(args.file, key_path=args.key, alpha=alpha, margin=args.margin)
    if args.json:
        _out.print_json(summary.model_dump_json())
    else:
        print_summary(summary, _out)
    return gate(args, summary, 0, _err)


def _cmd_plan(args: argparse.Namespace) -> int:
    from judge.api import plan

    result = plan(
        args.win, args.loss, power=args.power, alpha=args.alpha, batch_size=args.batch_size, icc=args.icc
    )
    if args.json:
        _out.print_json(result.model_dump_json())
    else:
        _out.print(result.text, markup=False, soft_wrap=True)
    return 0


_COMMANDS = {"run": _cmd_run, "stats": _cmd_stats, "plan": _cmd_plan}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``judge`` console script."""
    args = build_parser().parse_args(argv)
    handler = _COMMANDS.get(args.command) or args.handler
    from judge.cli.logs import configured

    try:
        with configured(getattr(args, "verbose", 0), getattr(args, "quiet", 0)):
            code: int = handler(args)
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


if __name__ == "__main__":
    sys.exit(main())
