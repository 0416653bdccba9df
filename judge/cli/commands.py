"""Subcommands beyond run/stats/plan: each registers its parser and sets ``handler``.

``judge report PATH``   reports for a run folder, or for a verdict file (imported into results/)
``judge audit RUN``     the judge's rationales in the terminal, filtered, exportable
``judge check FILE``    the checks alone on an outputs file
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
from collections.abc import Mapping
from pathlib import Path

from rich.console import Console
from rich.text import Text

__all__ = ["register"]

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def _report(args: argparse.Namespace) -> int:
    from judge.cli.main import report_ending
    from judge.errors import InputError
    from judge.reporting import write_reports
    from judge.summary import Summary

    if args.path.is_dir():
        if not (args.path / "summary.json").is_file():
            raise InputError(
                args.path, None, "not a run folder (no summary.json): give results/<run>/ or a verdict file"
            )
        try:
            summary = Summary.model_validate_json((args.path / "summary.json").read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InputError(args.path / "summary.json", None, f"not a judge summary ({exc})") from None
        written = write_reports(args.path)
    else:
        from judge.imports.importing import import_verdicts

        run_dir = import_verdicts(args.path, results=args.results, key_path=args.key)
        written = [run_dir / "report.md", run_dir / "report.html"]
        summary = None
    for path in written:
        _out.print(f"wrote {path}")
    return 0 if summary is None else report_ending(summary, _out, _err)


def _audit(args: argparse.Namespace) -> int:
    from judge.reporting import export_rows, filter_rows, load_run, print_audit

    _, rows, _ = load_run(args.run)
    chosen = filter_rows(
        rows,
        category=args.category,
        result=args.result,
        confidence=args.confidence,
        inconsistent=args.inconsistent,
        check_disagrees=args.check_disagrees,
        failed=args.failed,
        search=args.search,
    )
    if args.export:
        count = export_rows(chosen, args.export)
        _out.print(f"exported {count} of {len(rows)} comparisons to {args.export}")
        return 0
    print_audit(chosen, _out, reveal=args.reveal, max_lines=None if args.full else 12)
    _out.print(f"{len(chosen)} of {len(rows)} comparisons")
    return 0


def _check(args: argparse.Namespace) -> int:
    from judge.checks import model_accuracy, run_checks
    from judge.checks.runner import correctness
    from judge.inputs import load_outputs, load_prompts, match_outputs

    items = load_prompts(args.prompts)
    outputs = load_outputs(args.outputs, "finetuned", model=args.outputs.stem)
    match_outputs(items, outputs, args.outputs)
    checks = run_checks(items, [outputs[i.id] for i in items], source=str(args.outputs))
    rows = {item_id: entry for (item_id, _), entry in checks.items()}
    if args.json:
        payload = {k: v.model_dump(mode="json") for k, v in rows.items()}
        _out.print_json(json.dumps(payload), ensure_ascii=True)
        return 0
    from judge.reporting.terminal import plain

    for item_id, entry in rows.items():
        label = entry.degeneration.label if entry.degeneration else "unscreened"
        verdict = "" if entry.correct is None else ("  correct" if entry.correct else "  wrong")
        if entry.procedural is not None and entry.procedural.status == "not_run":
            verdict = f"  {entry.procedural.reason}"
        _out.print(plain(f"{item_id}: {label}{verdict}"))  # ids are text, never markup
    right = correctness(checks)
    if right:
        acc = model_accuracy(right)
        _out.print(f"accuracy: {json.dumps(acc.get('finetuned', acc), default=str)}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from judge.cli.main import report_ending
    from judge.reporting.console import print_summary
    from judge.reporting.terminal import plain
    from judge.run.demo import DEMO_NOTE, demo_config, demo_headline
    from judge.run.pipeline import CompareResult, run_comparison

    config = demo_config(
        args.results, n=args.n, judge_base_url=args.judge_base_url, judge_model=args.judge_model
    )
    result = run_comparison(config, show_progress=not args.no_progress)
    assert isinstance(result, CompareResult)
    bias = result.summary.position_bias
    share_a = bias.share_a.estimate if bias is not None else None
    _out.print(plain(demo_headline(result.summary.extras, share_a, local=args.judge_base_url is None)))
    print_summary(result.summary, _out)
    _out.print(f"\nreport: {result.run_dir / 'report.html'}  (and report.md; `judge audit {result.run_dir}`)")
    _out.print(f"\n{DEMO_NOTE}")
    return report_ending(result.summary, _out, _err)


def _perplexity_models(args: argparse.Namespace) -> list[tuple[str, Path, Path | None]]:
    from judge.generation.bundled import bundled_adapter_path, bundled_model_path

    if args.model:
        path = bundled_model_path(args.model[8:]) if args.model.startswith("bundled:") else Path(args.model)
        pairs: list[tuple[str, Path, Path | None]] = [(args.model, path, None)]
        if args.adapter:
            pairs.append((f"{args.model} + {args.adapter.name}", path, args.adapter))
        return pairs
    base = bundled_model_path("qwen2.5-coder-0.5b")
    return [
        ("base: qwen2.5-coder-0.5b", base, None),
        ("finetuned: + shipped LoRA", base, args.adapter or bundled_adapter_path("peft")),
    ]


def _attach(run_dir: Path, name: str, payload: Mapping[str, object]) -> None:
    """Add a side result to a run's summary extras and re-render its reports."""
    from judge.reporting import write_reports
    from judge.store import write_atomic
    from judge.summary import Summary

    write_atomic(run_dir / f"{name}.json", json.dumps(payload, indent=2) + "\n")
    summary = Summary.model_validate_json((run_dir / "summary.json").read_text(encoding="utf-8"))
    summary = summary.model_copy(update={"extras": {**summary.extras, name: dict(payload)}})
    write_atomic(run_dir / "summary.json", summary.model_dump_json(indent=2) + "\n")
    write_reports(run_dir)


def _perplexity(args: argparse.Namespace) -> int:
    from judge.checks.perplexity import READING, perplexity
    from judge.inputs import load_prompts

    items = load_prompts(args.references, limit=args.limit)
    results = [
        perplexity(path, items, adapter=adapter, name=name)
        for name, path, adapter in _perplexity_models(args)
    ]
    payload = {"reading": READING, "models": [r.model_dump(exclude={"reading"}) for r in results]}
    if args.run:
        _attach(args.run, "perplexity", payload)
    if args.json:
        _out.print_json(json.dumps(payload))
        return 0
    for r in results:
        _out.print(
            f"{r.model}: perplexity {r.perplexity:.3f} ({r.band}) over {r.tokens} tokens, "
            f"mean NLL {r.mean_nll:.4f}"
        )
    _out.print(f"\n{READING}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the extra subcommands to the ``judge`` parser."""
    from judge.cli.main import positive_int

    d = sub.add_parser("demo", help="the whole pipeline offline on the bundled model and its shipped LoRA")
    d.add_argument("--n", type=positive_int, default=24, help="held-out problems to compare (20-40)")
    d.add_argument("--results", type=Path, default=Path("results"))
    d.add_argument(
        "--judge-base-url", help="a real judge (OpenAI-compatible) instead of the bundled 0.5B model"
    )
    d.add_argument("--judge-model", help="the real judge's model name")
    d.add_argument("--no-progress", action="store_true")
    d.set_defaults(handler=_demo)

    x = sub.add_parser(
        "perplexity", help="perplexity of base and fine-tuned on reference answers (transformers)"
    )
    x.add_argument("references", type=Path, help="prompt set whose 'reference' answers are scored")
    x.add_argument(
        "--model", help="model folder, GGUF file or bundled:NAME (default: the bundled Qwen + LoRA)"
    )
    x.add_argument("--adapter", type=Path, help="PEFT adapter folder for the fine-tuned side")
    x.add_argument("--limit", type=positive_int, help="score only the first N references")
    x.add_argument("--run", type=Path, help="also write perplexity.json into this run folder")
    x.add_argument("--json", action="store_true")
    x.set_defaults(handler=_perplexity)

    p = sub.add_parser("report", help="write report.md and report.html for a run folder or a verdict file")
    p.add_argument(
        "path", type=Path, help="results/<run>/ or a verdict file (CSV/JSONL, AlpacaEval .jsonl.gz)"
    )
    p.add_argument("--results", type=Path, default=Path("results"), help="where an imported file's run goes")
    p.add_argument("--key", type=Path, help="key file when the winners are blind A/B labels")
    p.set_defaults(handler=_report)

    a = sub.add_parser("audit", help="read the judge's rationales: filter, search, export")
    a.add_argument("run", type=Path)
    a.add_argument("--category")
    a.add_argument("--result", choices=["win", "loss", "tie"], help="un-blinded, fine-tuned side")
    a.add_argument("--confidence", choices=["high", "medium", "low"])
    a.add_argument("--inconsistent", action="store_true", help="only position-inconsistent pairs")
    a.add_argument(
        "--check-disagrees", action="store_true", help="only pairs where the judge contradicts a check"
    )
    a.add_argument("--failed", action="store_true", help="only failed / unparsed pairs")
    a.add_argument("--search", help="text search in prompt, outputs and rationale")
    a.add_argument("--reveal", action="store_true", help="show which model was A and B")
    a.add_argument("--full", action="store_true", help="print whole texts and the raw reply")
    a.add_argument("--export", type=Path, help="write the filtered rows to .csv or .jsonl instead")
    a.set_defaults(handler=_audit)

    c = sub.add_parser(
        "check", help="run the checks (degeneration, execution, tool calls) on an outputs file"
    )
    c.add_argument("outputs", type=Path, help="JSONL of {id, output}")
    c.add_argument("--prompts", type=Path, required=True, help="the prompt set the outputs answer")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=_check)

    s = sub.add_parser(
        "setup-server",
        help="compile llama.cpp's llama-server for this CPU into the judge cache (offline demo)",
    )
    s.add_argument("--rebuild", action="store_true", help="build again even if this recipe's build exists")
    s.set_defaults(handler=_setup_server)

    i = sub.add_parser("init", help="write a commented run config to start from")
    i.add_argument("path", type=Path, nargs="?", default=Path("judge.toml"), help="default: judge.toml")
    i.add_argument("--force", action="store_true", help="overwrite an existing file")
    i.set_defaults(handler=_init)

    r = sub.add_parser("runs", help="list the finished runs in a results folder (and write its index.html)")
    r.add_argument("--results", type=Path, default=Path("results"), help="default: results/")
    r.add_argument("--json", action="store_true", help="one JSON object per run instead of the table")
    r.set_defaults(handler=_runs)

    v = sub.add_parser("view", help="serve the results folder on 127.0.0.1 and open its index in a browser")
    v.add_argument("--results", type=Path, default=Path("results"), help="default: results/")
    v.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    v.add_argument("--no-browser", action="store_true", help="only print the address")
    v.set_defaults(handler=_view)


def _setup_server(args: argparse.Namespace) -> int:
    from judge.generation.server import build_llama_server

    binary = build_llama_server(rebuild=args.rebuild)
    _out.print(f"llama-server ready: {binary}", markup=False)
    return 0


def _runs(args: argparse.Namespace) -> int:
    from rich.table import Table

    from judge.reporting.index import list_runs, write_index

    rows = list_runs(args.results)
    if args.results.is_dir():
        write_index(args.results)
    if args.json:
        payload = [
            {"run": r.folder.name, "path": str(r.folder.path), "created": r.summary.created,
             "models": r.summary.models, "judge": r.summary.judge.get("model"), "pairs": r.summary.counts.n,
             "preference": r.summary.preference.model_dump(), "cost_usd": r.summary.usage.cost_usd}
            for r in rows
        ]  # fmt: skip
        _out.print_json(json.dumps(payload))
        return 0
    if not rows:
        _out.print(f"no finished run in {args.results}", markup=False)
        return 0
    table = Table("run", "date", "models", "judge", "pairs", "preference", "cost")
    for r in rows:
        date = r.summary.created[:16].replace("T", " ")
        cells = (r.folder.name, date, r.models, r.judge, str(r.summary.counts.n), r.preference, r.cost)
        table.add_row(*(Text(x) for x in cells))
    _out.print(table)
    _out.print(f"index: {args.results / 'index.html'}", markup=False)
    return 0


def _view(args: argparse.Namespace) -> int:
    import functools
    import webbrowser

    from judge.errors import ConfigError
    from judge.reporting.index import write_index

    if not args.results.is_dir():
        raise ConfigError(f"{args.results}: no results folder here (pass --results DIR)")
    write_index(args.results)
    handler = functools.partial(_QuietHandler, directory=str(args.results))
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as httpd:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/index.html"
        _out.print(f"serving {args.results} at {url}  (Ctrl-C to stop)", markup=False, soft_wrap=True)
        _out.file.flush()
        if not args.no_browser:
            webbrowser.open(url)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a user stops it
            httpd.serve_forever()
    return 0


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files of the results folder only; no request log on the terminal."""

    def log_message(self, format: str, *args: object) -> None:
        del format, args


def _init(args: argparse.Namespace) -> int:
    from importlib.resources import files

    from judge.errors import ConfigError

    if args.path.exists() and not args.force:
        raise ConfigError(f"{args.path} already exists; choose another path or pass --force to overwrite it")
    text = (files("judge") / "assets" / "init" / "config.toml").read_text(encoding="utf-8")
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_text(text.replace("THIS_FILE", str(args.path)), encoding="utf-8")
    _out.print(f"wrote {args.path}: edit the paths and model names, then `judge run {args.path} --dry-run`",
               markup=False, soft_wrap=True)  # fmt: skip
    return 0
