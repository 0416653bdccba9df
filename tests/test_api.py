"""The public surface is exactly what we mean to export, and compare() works from Python."""

from __future__ import annotations

from pathlib import Path

from fakeserver import FakeServer
from spine import write_project

import judge

EXPECTED = {
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
    "RunDiff",
    "Summary",
    "Verdict",
    "compare",
    "diff_runs",
    "load_config",
    "load_run",
    "plan",
    "stats_for_file",
}


def test_exports_are_exactly_the_intended_names() -> None:
    assert set(judge.__all__) == EXPECTED
    assert judge.__all__ == sorted(judge.__all__)
    assert all(hasattr(judge, name) for name in judge.__all__)


def test_compare_returns_summary_and_dataframe(tmp_path: Path, fake_server: FakeServer) -> None:
    result = judge.compare(write_project(tmp_path, fake_server.base_url))
    assert isinstance(result, judge.CompareResult)
    df = result.to_dataframe()
    assert (df.result == "win").sum() == result.summary.counts.win == 8
    assert (result.run_dir / "report.md").exists() and (result.run_dir / "report.html").exists()
