"""The shipped examples run as documented: a dry run costs nothing, a run against an endpoint works."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakeserver import FakeServer

from judge.config import load_config
from judge.run.pipeline import CompareResult, DryRun, run_comparison

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "openai_files.toml"


def test_example_config_dry_run_and_run(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-example-not-used-0000")
    config = load_config(EXAMPLE).model_copy(update={"results": tmp_path})
    estimate = run_comparison(config, dry_run=True, show_progress=False)
    # 5 calls judge the 24 pairs; 24 more re-judge 20 of them (4 new batches, 20 alone) to measure the judge
    assert isinstance(estimate, DryRun) and (estimate.pairs, estimate.calls) == (24, 5 + 24)
    assert estimate.cost_usd is not None and fake_server.posts == []
    config = config.model_copy(
        update={"judge": config.judge.model_copy(update={"base_url": fake_server.base_url})}
    )
    result = run_comparison(config, show_progress=False)
    assert isinstance(result, CompareResult) and result.summary.counts.n == 24
    accuracy = result.summary.verification.accuracy if result.summary.verification else None
    assert accuracy is not None and accuracy.finetuned.n == accuracy.base.n == 24  # all executed
