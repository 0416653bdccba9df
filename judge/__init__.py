"""judge: does your fine-tune beat its base? Blind A/B LLM judging with honest statistics.

Public API::

    import judge
    result = judge.compare("examples/openai_files.toml")
    print(result.summary.conclusion)
    df = result.to_dataframe(texts=True)

    again = judge.load_run(result.run_dir)          # the same CompareResult, read back
    change = judge.diff_runs("results/lora-v2", "results/lora-v3")

The names below are imported on first use, so ``import judge`` (and ``judge --help``) stays fast:
pandas, scipy and the OpenAI SDK load only when something needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from judge.api import compare, estimate, load_run, plan, stats_for_file
    from judge.collection import RunDiff, diff_runs
    from judge.config import RunConfig, load_config
    from judge.errors import APIError, ConfigError, InputError, JudgeError
    from judge.records import (
        AuditRow,
        BlindKey,
        BlindPair,
        Generation,
        Judgment,
        Outcome,
        PromptItem,
        Verdict,
    )
    from judge.run.pipeline import CompareResult, DryRun
    from judge.summary import Plan, Summary

# name -> the module that defines it
_WHERE = {
    "APIError": "judge.errors",
    "AuditRow": "judge.records",
    "BlindKey": "judge.records",
    "BlindPair": "judge.records",
    "CompareResult": "judge.run.pipeline",
    "ConfigError": "judge.errors",
    "DryRun": "judge.run.pipeline",
    "Generation": "judge.records",
    "InputError": "judge.errors",
    "JudgeError": "judge.errors",
    "Judgment": "judge.records",
    "Outcome": "judge.records",
    "Plan": "judge.summary",
    "PromptItem": "judge.records",
    "RunConfig": "judge.config",
    "RunDiff": "judge.collection",
    "Summary": "judge.summary",
    "Verdict": "judge.records",
    "compare": "judge.api",
    "estimate": "judge.api",
    "diff_runs": "judge.collection",
    "load_config": "judge.config",
    "load_run": "judge.api",
    "plan": "judge.api",
    "stats_for_file": "judge.api",
}

__all__ = [
    "APIError",
    "AuditRow",
    "BlindKey",
    "BlindPair",
    "CompareResult",
    "ConfigError",
    "DryRun",
    "Generation",
    "InputError",
    "JudgeError",
    "Judgment",
    "Outcome",
    "Plan",
    "PromptItem",
    "RunConfig",
    "RunDiff",
    "Summary",
    "Verdict",
    "compare",
    "diff_runs",
    "estimate",
    "load_config",
    "load_run",
    "plan",
    "stats_for_file",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'judge' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
