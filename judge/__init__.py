"""judge: does your fine-tune beat its base? Blind A/B LLM judging with honest statistics.

Public API::

    import judge
    result = judge.compare("examples/seed001.toml")
    print(result.summary.conclusion)
    df = result.to_dataframe()
"""

from __future__ import annotations

from judge.api import compare, plan, stats_for_file
from judge.config import RunConfig, load_config
from judge.errors import APIError, ConfigError, InputError, JudgeError, ParseError
from judge.records import AuditRow, BlindKey, BlindPair, Generation, Judgment, Outcome, PromptItem, Verdict
from judge.run.pipeline import CompareResult, DryRun
from judge.summary import Summary

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
    "ParseError",
    "PromptItem",
    "RunConfig",
    "Summary",
    "Verdict",
    "compare",
    "load_config",
    "plan",
    "stats_for_file",
]

__version__ = "0.1.0"
