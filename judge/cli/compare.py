"""The verbs that compare: ``judge run`` (a blind comparison from a config), ``judge stats`` (a
run's statistics again, or a verdict file's) and ``judge plan`` (pairs needed before a run).

Like every module of verbs here, :func:`register` adds each verb's parser and sets its
``handler``; :func:`report_ending` is the one way a finished command prints its spend and exit code.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from judge.cli.options import add_gate, gate, positive_int, share

if TYPE_CHECKING:
    from judge.summary import Summary
    from judge.summary_several import SeveralSummary

__all__ = ["register", "report_ending"]

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``run``, ``stats`` and ``plan`` to the ``judge`` parser."""
    for add in (_add_run, _add_stats, _add_plan):
        add(sub)


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
    p.set_defaults(handler=_run)


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
        type=share,
        help="significance level; the interval is at 1 - alpha (default: the run's, else 0.05)",
    )
    p.add_argument(
        "--margin",
        type=float,
        help="net win rate below which a difference is negligible (default: the run's, else 0.05)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of the table")
    add_gate(p)
    p.set_defaults(handler=_stats)


def _add_plan(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plan", help="pairs needed for a target power at an expected win/loss split")
    p.add_argument("--win", type=float, required=True, help="expected share of fine-tune wins, e.g. 0.5")
    p.add_argument("--loss", type=float, required=True, help="expected share of losses, e.g. 0.4")
    p.add_argument("--power", type=share, default=0.8, help="target power (default 0.8)")
    p.add_argument("--alpha", type=share, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--batch-size", type=int, default=5, help="comparisons per judge call")
    p.add_argument("--icc", type=float, default=0.1, help="assumed correlation of verdicts in one call")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.set_defaults(handler=_plan)


def _run(args: argparse.Namespace) -> int:
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


def report_ending(summary: Summary | SeveralSummary, out: Console, err: Console) -> int:
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


def _stats(args: argparse.Namespace) -> int:
    from judge.reporting.console import print_summary

    summary: Summary | SeveralSummary
    if args.file.is_dir():  # a run folder: its outcomes again, with the options given
        from judge.collection import finished, restat, restat_several

        if finished(args.file).is_several():  # each pairing again, then the whole design
            summary = restat_several(args.file, alpha=args.alpha, margin=args.margin)
            if not args.json:
                _err.print(f"recomputed {len(summary.pairings)} pairings and the design from their outcomes; "
                           "nothing written", markup=False, soft_wrap=True)  # fmt: skip
        else:
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


def _plan(args: argparse.Namespace) -> int:
    from judge.api import plan

    result = plan(
        args.win, args.loss, power=args.power, alpha=args.alpha, batch_size=args.batch_size, icc=args.icc
    )
    if args.json:
        _out.print_json(result.model_dump_json())
    else:
        _out.print(result.text, markup=False, soft_wrap=True)
    return 0
