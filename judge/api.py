"""The Python API: what ``judge`` does, callable from a script or a notebook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judge import stats
from judge.aggregation import aggregate
from judge.aggregation.aggregate import RunFacts
from judge.config import RunConfig, StatsOptions, config_from_dict, load_config
from judge.errors import ConfigError
from judge.run.pipeline import CompareResult, DryRun, run_comparison
from judge.summary import Plan, Summary

__all__ = ["compare", "estimate", "load_run", "plan", "stats_for_file"]


def _config(config: RunConfig | str | Path | dict[str, Any]) -> RunConfig:
    if isinstance(config, (str, Path)):
        return load_config(config)
    if isinstance(config, dict):
        return config_from_dict(config, base=Path.cwd())
    return config


def estimate(config: RunConfig | str | Path | dict[str, Any]) -> DryRun:
    """What :func:`compare` would generate, send and pay, computed without sending or writing anything.

    Args:
        config: as for :func:`compare`.

    Returns:
        The estimate (``.describe()`` says it in words); only calls not already in the ledger are priced.
    """
    result = run_comparison(_config(config), dry_run=True, show_progress=False)
    assert isinstance(result, DryRun)
    return result


def compare(
    config: RunConfig | str | Path | dict[str, Any],
    *,
    show_progress: bool = False,
    replace: bool = False,
    wait: bool = False,
) -> CompareResult:
    """Run a blind comparison of a fine-tuned model against its base.

    Args:
        config: a RunConfig, a path to a TOML config, or the same settings as a dict
            (relative paths taken from the current folder).
        show_progress: draw a progress bar.
        replace: overwrite a run folder made with other verdict-changing settings.
        wait: wait for another run writing the same run folder instead of raising RunFolderBusy.

    Returns:
        A CompareResult (``.summary``, ``.to_dataframe(texts=True)``, ``.run_dir``; ``.exit_code``
        and ``.summary.run`` say whether every pair got a verdict). :func:`estimate` prices a run
        without running it.
        :func:`load_run` reads the same result back from ``.run_dir`` later.

    Example:
        >>> result = judge.compare("examples/openai_files.toml")  # doctest: +SKIP
        >>> result.summary.effect.verdict, result.to_dataframe(texts=True).head()  # doctest: +SKIP
    """
    result = run_comparison(_config(config), show_progress=show_progress, replace=replace, wait=wait)
    assert isinstance(result, CompareResult)
    return result


def load_run(path: str | Path) -> CompareResult:
    """A finished run folder read back as the :class:`CompareResult` that :func:`compare` returned.

    A several-models folder gives the same result as its run did: ``summary`` is the
    :class:`~judge.summary_several.SeveralSummary` and ``pairings`` each pairing's own result.

    Args:
        path: the run folder (``results/<name>/``).

    Raises:
        InputError: the folder holds no finished run (no summary.json) or a file in it is invalid.
        ConfigError: the folder does not exist.

    Example:
        >>> result = judge.load_run("results/procedural-files")  # doctest: +SKIP
        >>> result.to_dataframe(texts=True)[["item_id", "result", "prompt"]]  # doctest: +SKIP
    """
    from judge.collection import finished

    folder = finished(path)
    if folder.is_several():  # the pairings' results, each read back as its own run
        summary = folder.read_several()
        pairings = {p.name: load_run(folder.pairing(p.name).path) for p in summary.pairings}
        return CompareResult(summary=summary, outcomes=[], run_dir=folder.path, pairings=pairings)
    return CompareResult(summary=folder.read_summary(), outcomes=folder.read_outcomes(), run_dir=folder.path)


def stats_for_file(
    path: str | Path,
    *,
    key_path: str | Path | None = None,
    alpha: float = 0.05,
    level: float = 0.95,
    margin: float | None = None,
) -> Summary:
    """The run statistics for an existing file of pairwise verdicts.

    The second model is spoken of as the *reference* (not "its base"), under the names the file
    carries (AlpacaEval's generator_2 vs generator_1; else "model" vs "baseline").

    Args:
        path: CSV/JSONL of verdicts (winner = model/baseline/tie, or A/B/tie with a key), or an
            AlpacaEval annotations file (.jsonl or .jsonl.gz).
        key_path: the key file when winners are blind labels.
        alpha: significance level of the decision; its interval is at 1 - alpha.
        level: confidence level of the Wilson rates.
        margin: net win rate below which a difference is negligible (default StatsOptions').
    """
    from judge.aggregation.file_reliability import alpaca_judged, label_counts
    from judge.imports.importing import imported_file
    from judge.imports.verdict_files import file_models, load_verdicts, read_rows

    _share("alpha", alpha)
    _share("level", level)
    outcomes = load_verdicts(Path(path), key_path=Path(key_path) if key_path else None)
    judged, ordered = alpaca_judged(row for _, row in read_rows(Path(path)))
    facts = RunFacts(
        run_id=Path(path).name,
        models=file_models(Path(path)),
        imported=imported_file(Path(path), outcomes, position_recorded=bool(ordered)),
        comparison="reference",
        judged=judged,
        label_counts=label_counts(ordered),  # position only from rows that record the order seen
    )
    if margin is not None and not 0 < margin < 1:
        raise ConfigError(f"--margin {margin} must be a net win rate between 0 and 1 (e.g. 0.05)")
    opts = StatsOptions(alpha=alpha, level=level)
    if margin is not None:
        opts = StatsOptions(alpha=alpha, level=level, margin=margin)
    return aggregate.summarize(outcomes, facts, opts)


def _share(name: str, value: float) -> None:
    """Raise ConfigError unless ``value`` is a probability strictly between 0 and 1."""
    if not 0 < value < 1:
        raise ConfigError(f"--{name} {value:g} must be between 0 and 1 (e.g. alpha 0.05, power 0.8)")


def plan(
    win: float,
    loss: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    batch_size: int = 5,
    icc: float = 0.1,
) -> Plan:
    """Pairs needed for ``power`` at an expected win/loss split (ties = the rest).

    Verdicts judged ``batch_size`` to a call are correlated; the plan multiplies the pairs an
    independent design needs by the design effect ``1 + (batch_size - 1) * icc`` (``icc`` is
    assumed: 0.1 unless you know better; a run reports the design effect it observed).

    Returns:
        A :class:`~judge.summary.Plan`: the inputs, ``design_effect``, ``pairs`` (None only when
        win == loss) and ``text`` in words.
    """
    _share("power", power)
    _share("alpha", alpha)
    if not (0 <= win <= 1 and 0 <= loss <= 1 and win + loss <= 1):
        raise ConfigError(f"--win {win} and --loss {loss} must be shares in [0, 1] with win + loss <= 1")
    if batch_size < 1 or not 0 <= icc <= 1:
        raise ConfigError(f"--batch-size {batch_size} must be >= 1 and --icc {icc} in [0, 1]")
    from judge.reporting.narrator import plan_sentence

    design = stats.design_effect(batch_size, icc)
    pairs = stats.pairs_for_power(win, loss, power=power, alpha=alpha, design=design)
    text = plan_sentence(win, loss, power, alpha, batch_size, icc, design, pairs)
    return Plan(win=win, tie=1 - win - loss, loss=loss, power=power, alpha=alpha, batch_size=batch_size,
                icc=icc, design_effect=design, pairs=pairs, text=text)  # fmt: skip
