"""The verbs beyond run/stats/plan: :func:`register` adds each parser and sets its ``handler``.

``judge report PATH``   reports for a run folder, or for a verdict file (imported into results/)
``judge audit RUN``     the judge's rationales in the terminal, filtered, exportable
``judge check FILE``    the checks alone on an outputs file
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from judge.runfolder import RunFolder
    from judge.summary import Summary
    from judge.summary_several import SeveralSummary

__all__ = ["register"]

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def _report(args: argparse.Namespace) -> int:
    from judge.cli.compare import report_ending
    from judge.errors import InputError
    from judge.reporting import write_reports
    from judge.runfolder import RunFolder

    summary: Summary | SeveralSummary | None
    if args.path.is_dir():
        folder = RunFolder(args.path)
        if not folder.is_run():
            raise InputError(
                args.path, None, "not a run folder (no summary.json): give results/<run>/ or a verdict file"
            )
        summary = folder.read_any_summary()  # several models: the run's report and each pairing's
        written = write_reports(args.path)
    else:
        from judge.imports.importing import import_verdicts

        run_dir = import_verdicts(args.path, results=args.results, key_path=args.key)
        written = [run_dir / RunFolder.REPORT_MD, run_dir / RunFolder.REPORT_HTML]
        summary = None
    if args.json:
        _out.print_json(json.dumps({"written": [str(p) for p in written]}))
        return 0 if summary is None else report_ending(summary, _err, _err)
    for path in written:
        _out.print(f"wrote {path}")
    return 0 if summary is None else report_ending(summary, _out, _err)


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    names = ("category", "result", "confidence", "inconsistent", "check_disagrees", "rationale_disagrees",
             "failed", "search")  # fmt: skip
    return {name: getattr(args, name) for name in names}


def _audit_several(args: argparse.Namespace, folder: RunFolder) -> int:
    from judge.reporting import export_rows, print_audit
    from judge.reporting.audit_models import filter_groups, pairing_rows

    groups = pairing_rows(folder, folder.read_several(), args.model)
    chosen = filter_groups(groups, **_filters(args))
    rows = [r for g in chosen for r in g.rows]
    total = sum(len(g.rows) for g in groups)
    if args.json:
        payload = [{"pairing": g.name, **r.model_dump(mode="json")} for g in chosen for r in g.rows]
        _out.print_json(json.dumps(payload), ensure_ascii=True)
        return 0
    if args.export:
        count = export_rows(rows, args.export)
        _out.print(f"exported {count} of {total} comparisons to {args.export}", markup=False)
        return 0
    for g in chosen:
        of = next(len(x.rows) for x in groups if x.name == g.name)
        _out.print(f"\npairing {g.name}: {len(g.rows)} of {of} comparisons", markup=False, style="bold")
        print_audit(g.rows, _out, reveal=args.reveal, max_lines=None if args.full else 12, names=g.names)
    which = f" involving {args.model}" if args.model else ""
    _out.print(f"{len(rows)} of {total} comparisons{which}, in {len(chosen)} pairing(s)", markup=False)
    return 0


def _audit(args: argparse.Namespace) -> int:
    from judge.collection import finished
    from judge.reporting import export_rows, filter_rows, load_run, print_audit

    folder = finished(args.run)
    if folder.is_several():
        return _audit_several(args, folder)
    _, rows, _ = load_run(folder.path)
    if args.model is not None:
        from judge.errors import ConfigError

        raise ConfigError(f"--model {args.model}: {args.run} is a two-model run; --model picks the "
                          "pairings of a several-models run")  # fmt: skip
    chosen = filter_rows(rows, **_filters(args))
    if args.json:
        _out.print_json(json.dumps([r.model_dump(mode="json") for r in chosen]), ensure_ascii=True)
        return 0
    if args.export:
        count = export_rows(chosen, args.export)
        _out.print(f"exported {count} of {len(rows)} comparisons to {args.export}")
        return 0
    print_audit(chosen, _out, reveal=args.reveal, max_lines=None if args.full else 12)
    unit = "comparisons"
    if any(r.round == 1 for r in rows):  # both orders: a pair is two comparisons, each with its own verdict
        pairs = len({r.item_id for r in chosen})
        unit = (f"comparisons (each order of a pair is one; these are {pairs} pairs, and the summary's "
                "counts are per pair: a pair whose two orders disagree is a tie)")  # fmt: skip
    _out.print(f"{len(chosen)} of {len(rows)} {unit}", markup=False, soft_wrap=True)
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
    from judge.cli.compare import report_ending
    from judge.reporting.console import print_summary
    from judge.reporting.narrator import demo_headline
    from judge.reporting.terminal import plain
    from judge.run.demo import DEMO_NOTE, demo_config
    from judge.run.pipeline import CompareResult, run_comparison
    from judge.summary import Summary

    config = demo_config(
        args.results, n=args.n, judge_base_url=args.judge_base_url, judge_model=args.judge_model
    )
    result = run_comparison(config, show_progress=not (args.no_progress or args.quiet))
    assert isinstance(result, CompareResult) and isinstance(result.summary, Summary)  # the demo: two models
    if args.json:
        _out.print_json(result.summary.model_dump_json())
        return report_ending(result.summary, _err, _err)
    _out.print(plain(demo_headline(result.summary, local=args.judge_base_url is None)))
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
    from judge.runfolder import RunFolder

    folder = RunFolder(run_dir)
    summary = folder.read_summary()
    folder.write_json(f"{name}.json", dict(payload))
    folder.write_summary(summary.model_copy(update={"extras": {**summary.extras, name: dict(payload)}}))
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
    from judge.reporting.narrator import perplexity_line

    for r in results:
        _out.print(perplexity_line(r))
    _out.print(f"\n{READING}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the extra subcommands to the ``judge`` parser."""
    from judge.cli.options import positive_int

    d = sub.add_parser("demo", help="the whole pipeline offline: bundled model vs its shipped LoRA")
    d.add_argument(
        "--n",
        type=positive_int,
        default=20,
        help="held-out problems to compare (default 20: about 3 minutes)",
    )
    d.add_argument(
        "--results", type=Path, default=Path("results"), help="where the run folder goes (default results/)"
    )
    d.add_argument(
        "--judge-base-url", help="a real judge (OpenAI-compatible) instead of the bundled 0.5B model"
    )
    d.add_argument("--judge-model", help="the real judge's model name")
    d.add_argument("--no-progress", action="store_true", help="no progress bars (logs and CI)")
    d.add_argument("--json", action="store_true", help="print summary.json instead of the table")
    d.set_defaults(handler=_demo)

    x = sub.add_parser("perplexity", help="perplexity of base and fine-tune on reference answers (torch)")
    x.add_argument("references", type=Path, help="prompt set whose 'reference' answers are scored")
    x.add_argument(
        "--model", help="model folder, GGUF file or bundled:NAME (default: the bundled Qwen + LoRA)"
    )
    x.add_argument("--adapter", type=Path, help="PEFT adapter folder for the fine-tuned side")
    x.add_argument("--limit", type=positive_int, help="score only the first N references")
    x.add_argument("--run", type=Path, help="also write perplexity.json into this run folder")
    x.add_argument("--json", action="store_true", help="print the perplexities as JSON")
    x.set_defaults(handler=_perplexity)

    p = sub.add_parser("report", help="write report.md/.html for a run folder or a verdict file")
    p.add_argument(
        "path", type=Path, help="results/<run>/ or a verdict file (CSV/JSONL, AlpacaEval .jsonl.gz)"
    )
    p.add_argument("--results", type=Path, default=Path("results"), help="where an imported file's run goes")
    p.add_argument("--key", type=Path, help="key file when the winners are blind A/B labels")
    p.add_argument("--json", action="store_true", help="print the written files as JSON")
    p.set_defaults(handler=_report)

    a = sub.add_parser("audit", help="read the judge's rationales: filter, search, export")
    a.add_argument("run", type=Path, help="the run folder, results/<run>/")
    a.add_argument("--category", help="only this prompt category")
    a.add_argument("--result", choices=["win", "loss", "tie"], help="un-blinded, fine-tuned side")
    a.add_argument(
        "--confidence",
        choices=["high", "medium", "low"],
        help="only verdicts the judge gave at this confidence",
    )
    a.add_argument("--inconsistent", action="store_true", help="only position-inconsistent pairs")
    a.add_argument(
        "--check-disagrees", action="store_true", help="only pairs where the judge contradicts a check"
    )
    a.add_argument(
        "--rationale-disagrees", action="store_true", help="only verdicts that contradict their own criteria"
    )
    a.add_argument("--failed", action="store_true", help="only failed / unparsed pairs")
    a.add_argument("--search", help="text search in prompt, outputs and rationale")
    a.add_argument(
        "--model",
        metavar="NAME",
        help="several models: every pairing with this model (--result then from its side)",
    )
    a.add_argument("--reveal", action="store_true", help="show which model was A and B")
    a.add_argument("--full", action="store_true", help="print whole texts and the raw reply")
    a.add_argument("--export", type=Path, help="write the filtered rows to .csv or .jsonl instead")
    a.add_argument("--json", action="store_true", help="print the filtered rows as a JSON list")
    a.set_defaults(handler=_audit)

    c = sub.add_parser("check", help="the checks alone (degeneration, execution, tool calls) on outputs")
    c.add_argument("outputs", type=Path, help="JSONL of {id, output}")
    c.add_argument("--prompts", type=Path, required=True, help="the prompt set the outputs answer")
    c.add_argument("--json", action="store_true", help="print each item's checks as JSON")
    c.set_defaults(handler=_check)

    s = sub.add_parser(
        "setup-server",
        help="build llama.cpp's llama-server for this CPU (offline demo)",
    )
    s.add_argument("--rebuild", action="store_true", help="build again even if this recipe's build exists")
    s.add_argument("--json", action="store_true", help='print {"binary": PATH} when done')
    s.set_defaults(handler=_setup_server)

    i = sub.add_parser("init", help="write a commented run config to start from")
    i.add_argument("path", type=Path, nargs="?", default=Path("judge.toml"), help="default: judge.toml")
    i.add_argument("--force", action="store_true", help="overwrite an existing file")
    i.add_argument("--json", action="store_true", help='print {"wrote": PATH}')
    i.set_defaults(handler=_init)


def _setup_server(args: argparse.Namespace) -> int:
    from judge.generation.server import build_llama_server

    binary = build_llama_server(rebuild=args.rebuild)
    if args.json:
        _out.print_json(json.dumps({"binary": str(binary)}))
        return 0
    _out.print(f"llama-server ready: {binary}", markup=False)
    return 0


def _init(args: argparse.Namespace) -> int:
    from importlib.resources import files

    from judge.errors import ConfigError

    if args.path.exists() and not args.force:
        raise ConfigError(f"{args.path} already exists; choose another path or pass --force to overwrite it")
    text = (files("judge") / "assets" / "init" / "config.toml").read_text(encoding="utf-8")
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_text(text.replace("THIS_FILE", str(args.path)), encoding="utf-8")
    if args.json:
        _out.print_json(json.dumps({"wrote": str(args.path)}))
        return 0
    _out.print(f"wrote {args.path}: edit the paths and model names, then `judge run {args.path} --dry-run`",
               markup=False, soft_wrap=True)  # fmt: skip
    return 0
