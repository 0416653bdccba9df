"""The public surface is exactly what we mean to export, and compare() works from Python."""

from __future__ import annotations

from pathlib import Path

import pytest
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


def test_compare_has_one_return_type_and_estimate_prices_without_sending(tmp_path: Path) -> None:
    import inspect
    import socket

    import judge

    assert inspect.signature(judge.compare).return_annotation in ("CompareResult", judge.CompareResult)
    assert "dry_run" not in inspect.signature(judge.compare).parameters
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    examples = Path(__file__).resolve().parents[1] / "examples"
    text = (examples / "openai_files.toml").read_text()
    config = tmp_path / "c.toml"
    config.write_text(
        text.replace(
            'model = "gpt-4o-mini"', f'model = "gpt-4o-mini"\nbase_url = "http://127.0.0.1:{port}/v1"'
        )
    )
    for name in ("procedural_demo.jsonl", "outputs"):
        src = examples / name
        (tmp_path / name).symlink_to(src, target_is_directory=src.is_dir())
    try:
        dry = judge.estimate(config)
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()
    assert isinstance(dry, judge.DryRun) and dry.pairs == 24 and not (tmp_path / "results").exists()


def test_plan_is_a_typed_record_worded_by_the_narrator() -> None:
    import judge

    result = judge.plan(0.502, 0.498)
    assert isinstance(result, judge.Plan) and result.pairs is not None and result.pairs > 400_000
    assert f"{result.pairs:,} pairs" in result.text and result.design_effect == pytest.approx(1.4)
