"""``judge diff RUN_A RUN_B``: two finished runs side by side (e.g. LoRA v2 then v3, same base)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from judge.collection import RunDiff
    from judge.summary import Summary

__all__ = ["register"]

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``diff`` to the ``judge`` parser."""
    d = sub.add_parser("diff", help="compare two runs (e.g. LoRA v2 vs v3): the change, the flips")
    d.add_argument("run_a", type=Path, help="the earlier run folder, e.g. results/lora-v2")
    d.add_argument("run_b", type=Path, help="the later run folder, e.g. results/lora-v3")
    d.add_argument("--flips", type=int, default=20, help="list at most this many flipped items (default 20)")
    d.add_argument("--json", action="store_true", help="print the comparison as JSON")
    d.set_defaults(handler=_diff)


def _pref(s: Summary) -> str:
    p = s.preference
    if p.estimate is None:
        return "no verdicts"
    ci = "" if p.ci_low is None or p.ci_high is None else f" [{100 * p.ci_low:.0f} to {100 * p.ci_high:.0f}]"
    verdict = s.effect.verdict.replace("_", " ") if s.effect else ""
    return f"{100 * p.estimate:.1f} %{ci}, n = {s.counts.n}, {verdict}"


def _diff(args: argparse.Namespace) -> int:
    from judge.collection import diff_runs

    diff = diff_runs(args.run_a, args.run_b)
    if args.json:
        _out.print_json(json.dumps(diff.to_dict()))
        return 0
    _print(diff, args.flips)
    return 0


def _print(diff: RunDiff, limit: int) -> None:
    from judge.reporting.terminal import plain

    for name, s in (("A", diff.a), ("B", diff.b)):
        model = s.models.get("finetuned", "?")
        _out.print(plain(f"{name} {s.run_id} ({model} vs {s.models.get('base', '?')}): {_pref(s)}"))
    _out.print("preference = (wins + ties/2) / pairs, fine-tune's side; 95 % CI in brackets")
    if diff.change is not None:
        ci = ""
        if diff.ci_low is not None and diff.ci_high is not None:
            ci = (
                f" (95 % CI {100 * diff.ci_low:+.1f} to {100 * diff.ci_high:+.1f}, runs taken as independent)"
            )
        _out.print(f"change B - A: {100 * diff.change:+.1f} points{ci}")
    moved: dict[tuple[str | None, str | None], int] = {}
    for f in diff.flips:
        moved[(f.before, f.after)] = moved.get((f.before, f.after), 0) + 1
    summary = ", ".join(f"{n} {a}->{b}" for (a, b), n in sorted(moved.items(), key=lambda kv: -kv[1]))
    _out.print(
        f"{len(diff.flips)} of {diff.shared_items} shared items flipped" + (f": {summary}" if summary else "")
    )
    for f in diff.flips[:limit]:
        _out.print(plain(f"  {f.item_id} [{f.category}]: {f.before} -> {f.after}"))
    if len(diff.flips) > limit:
        _out.print(f"  ... {len(diff.flips) - limit} more (--flips N, or --json)")
    for w in diff.warnings:
        _err.print(plain(f"note: {w}"))
