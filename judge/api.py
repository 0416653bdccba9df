"""The Python API: what ``judge`` does, callable from a script or a notebook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judge import aggregate, stats
from judge.aggregate import RunFacts
from judge.config import RunConfig, StatsOptions, config_from_dict, load_config
from judge.errors import ConfigError
from judge.pipeline import CompareResult, DryRun, run_comparison
from judge.summary import Summary

__all__ = ["compare", "plan", "stats_for_file"]


def compare(
    config: RunConfig | str | Path | dict[str, Any],
    *,
    dry_run: bool = False,
    show_progress: bool = False,
    replace: bool = False,
    wait: bool = False,
) -> CompareResult | DryRun:
    """Run a blind comparison of a fine-tuned model against its base.

    Args:
        config: a RunConfig, a path to a TOML config, or the same settings as a dict
            (relative paths taken from the current folder).
        dry_run: only estimate generation, calls, tokens and cost; send and write nothing.
        show_progress: draw a progress bar.
        replace: overwrite a run folder made with other verdict-changing settings.
        wait: wait for another run writing the same run folder instead of raising RunFolderBusy.

    Returns:
        A CompareResult (``.summary``, ``.to_dataframe()``, ``.run_dir``; ``.exit_code`` and
        ``.summary.run`` say whether every pair got a verdict), or a DryRun.

    Example:
        >>> result = judge.compare("examples/seed001.toml")            # doctest: +SKIP
        >>> result.summary.sign_test.pvalue, result.to_dataframe().head()  # doctest: +SKIP
    """
    if isinstance(config, (str, Path)):
        config = load_config(config)
    elif isinstance(config, dict):
        config = config_from_dict(config, base=Path.cwd())
    return run_comparison(config, dry_run=dry_run, show_progress=show_progress, replace=replace, wait=wait)


def stats_for_file(
    path: str | Path, *, key_path: str | Path | None = None, alpha: float = 0.05, level: float = 0.95
) -> Summary:
    """The run statistics for an existing file of pairwise verdicts.

    Args:
        path: CSV/JSONL of verdicts (winner = model/baseline/tie, or A/B/tie with a key), or an
            AlpacaEval annotations file (.jsonl or .jsonl.gz).
        key_path: the key file when winners are blind labels.
        alpha: significance level of the sign test.
        level: confidence level of the intervals.
    """
    from judge.verdict_files import load_verdicts

    _share("alpha", alpha)
    _share("level", level)
    outcomes = load_verdicts(Path(path), key_path=Path(key_path) if key_path else None)
    facts = RunFacts(
        run_id=Path(path).name,
        models={"finetuned": "model", "base": "baseline"},
        extras=_external_extras(Path(path)),
    )
    return aggregate.summarize(outcomes, facts, StatsOptions(alpha=alpha, level=level))


def _share(name: str, value: float) -> None:
    """Raise ConfigError unless ``value`` is a probability strictly between 0 and 1."""
    if not 0 < value < 1:
        raise ConfigError(f"--{name} {value:g} must be between 0 and 1 (e.g. alpha 0.05, power 0.8)")


def _external_extras(path: Path) -> dict[str, Any]:
    """AlpacaEval's own preference and SE for its annotation files, shown beside ours."""
    from judge import verdict_files

    if not verdict_files.is_alpaca_eval(path):
        return {}
    return {"alpaca_eval": verdict_files.alpaca_eval_preference(path)}


def plan(win: float, loss: float, *, power: float = 0.8, alpha: float = 0.05) -> dict[str, Any]:
    """Pairs needed for ``power`` at an expected win/loss split (ties = the rest).

    Returns:
        A dict with the inputs, ``pairs`` (None when win == loss) and ``text`` in words.
    """
    _share("power", power)
    _share("alpha", alpha)
    if not (0 <= win <= 1 and 0 <= loss <= 1 and win + loss <= 1):
        raise ConfigError(f"--win {win} and --loss {loss} must be shares in [0, 1] with win + loss <= 1")
    pairs = stats.pairs_for_power(win, loss, power=power, alpha=alpha)
    tie = 1 - win - loss
    split = f"win {win:.0%} / tie {tie:.0%} / loss {loss:.0%}"
    if pairs is None:
        text = f"At {split} there is no effect to detect: no number of pairs gives {power:.0%} power."
    else:
        text = (
            f"At {split}, about {pairs} pairs give {power:.0%} power to detect the difference with a "
            f"two-sided sign test at alpha = {alpha} (exact binomial computation)."
        )
    return {
        "win": win,
        "tie": tie,
        "loss": loss,
        "power": power,
        "alpha": alpha,
        "pairs": pairs,
        "text": text,
    }
