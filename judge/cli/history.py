"""Runs as a collection: ``judge runs`` (the table and results/index.html), ``judge view`` (served on
127.0.0.1), ``judge diff RUN_A RUN_B`` (two runs side by side, e.g. LoRA v2 then v3 against one base)."""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    import http.server

    from judge.collection import RunDiff

__all__ = ["register"]

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``runs``, ``view`` and ``diff`` to the ``judge`` parser."""
    d = sub.add_parser("diff", help="compare two runs (e.g. LoRA v2 vs v3): the change, the flips")
    d.add_argument("run_a", type=Path, help="the earlier run folder, e.g. results/lora-v2")
    d.add_argument("run_b", type=Path, help="the later run folder, e.g. results/lora-v3")
    d.add_argument("--flips", type=int, default=20, help="list at most this many flipped items (default 20)")
    d.add_argument("--json", action="store_true", help="print the comparison as JSON")
    d.set_defaults(handler=_diff)

    r = sub.add_parser("runs", help="list the finished runs (and write results/index.html)")
    r.add_argument("--results", type=Path, default=Path("results"), help="default: results/")
    r.add_argument("--json", action="store_true", help="one JSON object per run instead of the table")
    r.set_defaults(handler=_runs)

    v = sub.add_parser("view", help="serve results/ on 127.0.0.1 and open it in a browser")
    v.add_argument("--results", type=Path, default=Path("results"), help="default: results/")
    v.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    v.add_argument("--no-browser", action="store_true", help="only print the address")
    v.add_argument("--json", action="store_true", help='print {"url": ..., "results": ...} first (one line)')
    v.set_defaults(handler=_view)


def _diff(args: argparse.Namespace) -> int:
    from judge.collection import diff_runs

    diff = diff_runs(args.run_a, args.run_b)
    if args.json:
        _out.print_json(json.dumps(diff.to_dict()))
        return 0
    _print(diff, args.flips)
    return 0


def _print(diff: RunDiff, limit: int) -> None:
    from judge.reporting.narrator import change_sentence, preference_brief
    from judge.reporting.terminal import plain

    for name, s in (("A", diff.a), ("B", diff.b)):
        models = f"{s.models.get('finetuned', '?')} vs {s.models.get('base', '?')}"
        _out.print(plain(f"{name} {s.run_id} ({models}): {preference_brief(s)}"))
    _out.print("preference = (wins + ties/2) / pairs, fine-tune's side")
    if diff.change is not None:
        _out.print(change_sentence(diff.change, diff.ci_low, diff.ci_high))
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


def _runs(args: argparse.Namespace) -> int:
    from rich.table import Table

    from judge.reporting.index import list_runs, write_index

    rows = list_runs(args.results)
    if args.results.is_dir():
        write_index(args.results)
    if args.json:
        _out.print_json(json.dumps([r.to_dict() for r in rows]))
        return 0
    if not rows:
        _out.print(f"no finished run in {args.results}", markup=False)
        return 0
    table = Table("run", "date", "models", "judge", "pairs", "preference", "cost")
    for r in rows:
        date = r.summary.created[:16].replace("T", " ")
        cells = (r.folder.name, date, r.models, r.judge, str(r.pairs), r.preference, r.cost)
        table.add_row(*(Text(x) for x in cells))
    _out.print(table)
    _out.print(f"index: {args.results / 'index.html'}", markup=False)
    return 0


def _view(args: argparse.Namespace) -> int:
    import functools
    import http.server
    import webbrowser

    from judge.errors import ConfigError
    from judge.reporting.index import write_index

    if not args.results.is_dir():
        raise ConfigError(f"{args.results}: no results folder here (pass --results DIR)")
    write_index(args.results)
    handler = functools.partial(_quiet_handler(), directory=str(args.results))
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as httpd:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/index.html"
        if args.json:
            _out.print(json.dumps({"url": url, "results": str(args.results)}), markup=False, soft_wrap=True)
        else:
            _out.print(f"serving {args.results} at {url}  (Ctrl-C to stop)", markup=False, soft_wrap=True)
        _out.file.flush()
        if not args.no_browser:
            webbrowser.open(url)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a user stops it
            httpd.serve_forever()
    return 0


def _quiet_handler() -> type[http.server.SimpleHTTPRequestHandler]:
    """A handler serving files of the results folder only, with no request log on the terminal."""
    import http.server

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            del format, args

    return Quiet
