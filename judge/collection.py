"""Finished runs as a collection: read one back, recompute its statistics, compare two.

Everything here reads run folders through :class:`~judge.runfolder.RunFolder` and writes nothing:
``judge stats RUN_DIR`` and ``judge diff RUN_A RUN_B`` print, the folders stay as the run left them.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from judge.config import StatsOptions
from judge.errors import ConfigError
from judge.records import Judgment
from judge.runfolder import RunFolder

if TYPE_CHECKING:
    import pandas as pd

    from judge.config import RunConfig
    from judge.records import Outcome
    from judge.summary import Summary
    from judge.summary_several import SeveralSummary

__all__ = ["Flip", "RunDiff", "diff_runs", "finished", "restat", "restat_several", "texts_frame"]

_Z95 = 1.959963984540054


def finished(path: str | Path) -> RunFolder:
    """The run folder at ``path``, or an error that says what is there instead."""
    from judge.errors import InputError

    folder = RunFolder(path)
    if not folder.path.is_dir():
        raise ConfigError(f"{folder.path}: no such run folder (results/<run>/ holds one per run)")
    if not folder.is_run():
        runs = sorted(p.name for p in folder.path.iterdir() if RunFolder(p).is_run())
        hint = f"it holds the runs {', '.join(runs[:5])}" if runs else "run `judge run CONFIG` first"
        raise InputError(folder.path, None, f"not a finished run folder (no summary.json); {hint}")
    return folder


def restat(
    path: str | Path, *, alpha: float | None = None, margin: float | None = None, level: float | None = None
) -> Summary:
    """A finished run's statistics recomputed from its outcomes with another alpha, margin or level.

    The run's own settings (config.json) are the starting point; the folder is not changed.

    Raises:
        InputError: the folder holds no finished run (no summary.json) or a file is not valid.
        ConfigError: the folder does not exist, or an option is out of range.
    """
    from judge.aggregation import aggregate

    folder = finished(path)
    old = folder.read_summary()
    opts = _options(folder, alpha=alpha, margin=margin, level=level)
    labels = Counter(
        j.verdict.winner for j in folder.read_records(folder.JUDGMENTS, Judgment, required=False) if j.verdict
    )
    facts = aggregate.RunFacts(
        run_id=old.run_id,
        models=old.models,
        judge=old.judge,
        usage=old.usage,
        label_counts=labels,
        extras=old.extras,
        imported=old.imported,
        comparison=old.comparison,
    )
    summary = aggregate.summarize(folder.read_outcomes(), facts, opts)
    if old.verification is not None or old.judge_reliability is not None:
        # What execution verified and what the run measured of its judge (re-judged samples, slots,
        # rationales) need the run's judged calls, not just its outcomes, and do not depend on alpha
        # or the margin: they are kept as the run computed them, and the words follow them.
        from judge.reporting.narrator import conclusion as words
        from judge.reporting.narrator import judge_caveats

        summary = summary.model_copy(
            update={
                "verification": old.verification,
                "judge_reliability": old.judge_reliability,
                "notes": old.notes,
            }
        )
        text = " ".join(p for p in (words(summary), judge_caveats(summary)) if p)
        summary = summary.model_copy(update={"conclusion": text})
    conclusion = summary.conclusion
    if old.run is not None and not old.run.complete:
        conclusion = f"This run is not finished: {old.run.failure}. {old.run.next_step}\n\n{conclusion}"
    return summary.model_copy(update={"run": old.run, "conclusion": conclusion, "created": old.created})


def restat_several(
    path: str | Path, *, alpha: float | None = None, margin: float | None = None, level: float | None = None
) -> SeveralSummary:
    """A finished several-models run recomputed with another alpha, margin or level.

    Each pairing is recomputed from its own outcomes (:func:`restat` on ``pairings/<name>/``), then the
    whole design from those: the Holm correction across models, the ratings, ranks, matrix and curve.
    Nothing in the folder is changed.

    Raises:
        InputError: the folder holds no finished several-models run, or a file in it is not valid.
        ConfigError: the folder does not exist, or an option is out of range.
    """
    from judge.aggregation.several import summarize_several
    from judge.config import Pairing

    folder = finished(path)
    old = folder.read_several()
    config = _run_config(folder).model_copy(
        update={"stats": _options(folder, alpha=alpha, margin=margin, level=level)}
    )
    results = []
    for p in old.pairings:
        sub = folder.pairing(p.name)
        again = restat(sub.path, alpha=alpha, margin=margin, level=level)
        results.append((Pairing(p.candidate, p.other), again, sub.read_outcomes()))
    summary = summarize_several(config, results, judge=old.judge, usage=old.usage, state=old.run)
    return summary.model_copy(update={"created": old.created, "run_id": old.run_id})


def _run_config(folder: RunFolder) -> RunConfig:
    """The run's validated config (config.json), as the run saved it."""
    from pydantic import ValidationError

    from judge.config import RunConfig
    from judge.errors import InputError

    path = folder / folder.CONFIG_JSON
    if not path.is_file():
        raise InputError(path, None, "missing: a several-models run folder keeps its config here")
    try:
        return RunConfig.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(
            path, None, f"not a run config: {'.'.join(map(str, first['loc']))}: {first['msg']}"
        ) from None


def _options(folder: RunFolder, **given: float | None) -> StatsOptions:
    """The run's [stats] settings with the given ones replaced (each checked as the config is)."""
    import json

    from pydantic import ValidationError

    saved: dict[str, Any] = {}
    config = folder / folder.CONFIG_JSON
    if config.is_file():
        saved = json.loads(config.read_text(encoding="utf-8")).get("stats") or {}
    settings = {**saved, **{k: v for k, v in given.items() if v is not None}}
    try:
        return StatsOptions.model_validate(settings)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"--{first['loc'][0]}: {first['msg']}") from None


def texts_frame(run_dir: str | Path, outcomes: list[Outcome]) -> pd.DataFrame:
    """The outcomes table with ``prompt``, ``reference``, ``output_finetuned`` and ``output_base``.

    Outputs come from generations.jsonl; prompts from audit.jsonl (round 0). Items a file does not
    cover (an imported verdict file has no texts) get empty cells.
    """
    from judge.aggregation.aggregate import to_dataframe

    folder = RunFolder(run_dir)
    outputs: dict[tuple[str, str], str] = {(g.item_id, g.role): g.output for g in folder.read_generations()}
    rows = {r.item_id: r for r in folder.read_audit() if r.round == 0}
    for row in rows.values():  # un-blind the audit's texts where generations.jsonl has none
        b_role = "base" if row.a_role == "finetuned" else "finetuned"
        outputs.setdefault((row.item_id, row.a_role), row.output_a)
        outputs.setdefault((row.item_id, b_role), row.output_b)
    df = to_dataframe(outcomes)
    ids = [o.item_id for o in outcomes]
    df["prompt"] = [rows[i].prompt if i in rows else None for i in ids]
    df["reference"] = [rows[i].reference if i in rows else None for i in ids]
    df["output_finetuned"] = [outputs.get((i, "finetuned")) for i in ids]
    df["output_base"] = [outputs.get((i, "base")) for i in ids]
    return df


@dataclass(frozen=True)
class Flip:
    """One item whose un-blinded result differs between the two runs (fine-tuned side)."""

    item_id: str
    category: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class RunDiff:
    """Two runs of the same prompt set compared (e.g. LoRA v2 then v3, each against the same base).

    ``change`` is the second run's preference minus the first's. Its interval treats the two runs
    as independent samples (sqrt of the summed variances), which is conservative when both judged
    the same prompts; ``flips`` lists the items whose result changed.
    """

    a: Summary
    b: Summary
    change: float | None
    ci_low: float | None
    ci_high: float | None
    shared_items: int
    flips: list[Flip] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``judge diff --json`` prints)."""
        return {
            "a": _side(self.a),
            "b": _side(self.b),
            "change": self.change,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "shared_items": self.shared_items,
            "flips": [f.__dict__ for f in self.flips],
            "warnings": self.warnings,
        }


def _side(s: Summary) -> dict[str, Any]:
    return {
        "run": s.run_id,
        "models": s.models,
        "judge": s.judge.get("model"),
        "pairs": s.counts.n,
        "preference": s.preference.model_dump(),
        "verdict": s.effect.verdict if s.effect else None,
    }


def diff_runs(run_a: str | Path, run_b: str | Path) -> RunDiff:
    """Compare two finished runs: both preferences, the change with its interval, the items that flipped.

    Args:
        run_a: the earlier run folder (e.g. results/lora-v2).
        run_b: the later one (e.g. results/lora-v3).

    Raises:
        InputError: a folder holds no finished run.
        ConfigError: a folder does not exist.
    """
    fa, fb = finished(run_a), finished(run_b)
    a, b = fa.read_summary(), fb.read_summary()
    before = {o.item_id: o for o in fa.read_outcomes()}
    after = {o.item_id: o for o in fb.read_outcomes()}
    shared = sorted(before.keys() & after.keys())
    flips = [
        Flip(i, after[i].category, before[i].result, after[i].result)
        for i in shared
        if before[i].result != after[i].result
    ]
    change, low, high = _change(a, b)
    return RunDiff(
        a, b, change, low, high, len(shared), flips, _warnings(a, b, len(before), len(after), len(shared))
    )


def _change(a: Summary, b: Summary) -> tuple[float | None, float | None, float | None]:
    pa, pb = a.preference, b.preference
    if pa.estimate is None or pb.estimate is None:
        return None, None, None
    delta = pb.estimate - pa.estimate
    if pa.se is None or pb.se is None:
        return delta, None, None
    half = _Z95 * math.sqrt(pa.se**2 + pb.se**2)
    return delta, max(-1.0, delta - half), min(1.0, delta + half)


def _warnings(a: Summary, b: Summary, n_a: int, n_b: int, shared: int) -> list[str]:
    out = []
    if a.models.get("base") != b.models.get("base"):
        out.append(
            f"the bases differ ({a.models.get('base')} vs {b.models.get('base')}): the change mixes both"
        )
    if a.judge.get("model") != b.judge.get("model"):
        out.append(f"the judges differ ({a.judge.get('model')} vs {b.judge.get('model')})")
    if shared < max(n_a, n_b):
        out.append(f"only {shared} items are in both runs ({n_a} and {n_b}); flips cover those")
    return out
