"""The ``judge`` command: the only place that reads argv and the environment and sequences stages.

Exit codes: 0 ok, 1 unexpected error, 2 bad config or input (nothing written), 3 API failure,
130 interrupted (re-run the same command to resume from the ledger).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from judge.errors import JudgeError

__all__ = ["main"]

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="run (or resume) a blind comparison from a TOML config")
    p.add_argument("config", type=Path)
    p.add_argument("--dry-run", action="store_true", help="print calls, tokens and cost; send nothing")
    p.add_argument("--batch", action="store_true", help="judge via the OpenAI Batch API (half price, <24 h)")
    p.add_argument("--judge-base-url", help="override [judge] base_url (OpenAI-compatible endpoint)")
    p.add_argument("--judge-model", help="override [judge] model")
    p.add_argument("--limit", type=int, help="judge only the first N prompts")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--json", action="store_true", help="print summary.json instead of the table")


def _add_stats(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "stats", help="statistics for an existing file of pairwise verdicts (CSV/JSONL, AlpacaEval)"
    )
    p.add_argument("file", type=Path)
    p.add_argument("--key", type=Path, help="key file when the winner column says A/B/tie")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _add_plan(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plan", help="pairs needed for a target power at an expected win/tie/loss split")
    p.add_argument("--win", type=float, required=True, help="expected share of fine-tune wins, e.g. 0.5")
    p.add_argument("--loss", type=float, required=True, help="expected share of losses, e.g. 0.4")
    p.add_argument("--power", type=float, default=0.8)
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--json", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and tests)."""
    parser = argparse.ArgumentParser(prog="judge", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_run, _add_stats, _add_plan):
        add(sub)
    from judge import commands

    commands.register(sub)
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    from judge.config import load_config
    from judge.pipeline import DryRun, run_comparison
    from judge.render import print_summary

    config = load_config(args.config)
    overrides = {k: v for k, v in (("base_url", args.judge_base_url), ("model", args.judge_model)) if v}
    overrides |= {"mode": "batch"} if args.batch else {}
    if overrides:
        config = config.model_copy(update={"judge": config.judge.model_copy(update=overrides)})
    if args.limit:
        config = config.model_copy(update={"limit": args.limit})
    result = run_comparison(config, dry_run=args.dry_run, show_progress=not args.no_progress)
    if isinstance(result, DryRun):
        _out.print(f"dry run: {result.describe()}")
        return 0
    if args.json:
        _out.print_json(result.summary.model_dump_json())
    else:
        print_summary(result.summary, _out)
        _out.print(f"\nrun folder: {result.run_dir}")
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    from judge.api import stats_for_file
    from judge.render import print_summary

    summary = stats_for_file(args.file, key_path=args.key, alpha=args.alpha)
    if args.json:
        _out.print_json(summary.model_dump_json())
    else:
        print_summary(summary, _out)
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    from judge.api import plan

    result = plan(args.win, args.loss, power=args.power, alpha=args.alpha)
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
        _err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        _err.print("interrupted: the ledger keeps every finished call; run the same command again to resume.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
