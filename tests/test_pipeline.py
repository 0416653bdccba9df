"""The spine end to end: real openai SDK -> real HTTP on 127.0.0.1 -> scripted judge -> run folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeserver import Auto, Content, FakeServer, last_user_text, parse_comparisons
from spine import (
    BASE_FILE,
    BASE_NAME,
    FT_FILE,
    FT_NAME,
    comparisons_per_request,
    request_texts,
    write_project,
)

from judge.config import load_config
from judge.run.pipeline import CompareResult, DryRun, run_comparison

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(config_path: Path, **kw: object) -> CompareResult:
    result = run_comparison(load_config(config_path), show_progress=False, **kw)  # type: ignore[arg-type]
    assert isinstance(result, CompareResult)
    return result


def test_unblinded_counts_equal_the_known_truth(tmp_path: Path, fake_server: FakeServer) -> None:
    # fine-tune marked good on items 0-7, base on 8-9, neither on 10-11: whatever positions the
    # blinding drew, un-blinding must give exactly 8 wins, 2 losses, 2 ties.
    result = _run(write_project(tmp_path, fake_server.base_url))
    c = result.summary.counts
    assert (c.win, c.loss, c.tie, c.failed) == (8, 2, 2, 0)
    by_item = {o.item_id: o.result for o in result.outcomes}
    assert by_item["item-000"] == "win" and by_item["item-008"] == "loss" and by_item["item-011"] == "tie"
    labels = {o.finetuned_label for o in result.outcomes}
    assert labels == {"A", "B"}, "positions must be drawn per item, not fixed"
    assert sorted(comparisons_per_request(fake_server)) == [2, 5, 5]
    files = {p.name for p in result.run_dir.iterdir()}
    assert {
        "summary.json",
        "key.jsonl",
        "pairs.jsonl",
        "judgments.jsonl",
        "audit.jsonl",
        "ledger.sqlite",
        "config.toml",
        "outcomes.jsonl",
    } <= files
    df = result.to_dataframe()
    assert len(df) == 12 and set(df.result) == {"win", "loss", "tie"}


def test_no_request_leaks_model_names_files_or_key(
    tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-test-SECRETKEY0123456789"
    monkeypatch.setenv("JUDGE_TEST_KEY", secret)
    config = write_project(
        tmp_path, fake_server.base_url, judge_extra='api_key_env = "JUDGE_TEST_KEY"', top_extra=""
    )
    result = _run(config)
    key_rows = (result.run_dir / "key.jsonl").read_text()
    bodies = request_texts(fake_server)
    assert bodies
    for body in bodies:
        for forbidden in (FT_NAME, BASE_NAME, FT_FILE, BASE_FILE, "finetuned", "item-0", secret, "a_role"):
            assert forbidden not in body
    # the key was really used for auth (so the test above is meaningful) ...
    assert any(secret in r["headers"].get("authorization", "") for r in fake_server.posts)
    # ... and never written anywhere in the run folder
    for path in result.run_dir.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    assert "finetuned" in key_rows  # the key itself stays in the run folder


def test_missing_ids_are_reasked_in_a_smaller_batch(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(Auto(missing=2))
    result = _run(write_project(tmp_path, fake_server.base_url, judge_extra="concurrency = 1"))
    assert result.summary.counts.failed == 0 and result.summary.counts.n == 12
    sizes = comparisons_per_request(fake_server)
    assert sizes[0] == 5 and sorted(sizes) == [2, 2, 5, 5]  # 12 = 5 + 5 + 2, plus the 2 re-asked


def test_extra_and_duplicate_ids_are_rejected(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(Auto(extra=1, duplicate=1))
    result = _run(write_project(tmp_path, fake_server.base_url, judge_extra="concurrency = 1"))
    assert result.summary.counts.n == 12 and result.summary.counts.failed == 0
    sizes = comparisons_per_request(fake_server)
    assert sorted(sizes) == [1, 2, 5, 5], "the duplicated id (and only it) must be re-asked"


def test_unreadable_replies_end_as_failed_never_as_losses(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(*[Content("I cannot decide, sorry.")] * 20)
    config = write_project(tmp_path, fake_server.base_url, n=5, judge_extra="concurrency = 1\nmax_reasks = 2")
    result = _run(config)
    c = result.summary.counts
    assert (c.win, c.loss, c.tie, c.failed) == (0, 0, 0, 5)
    assert all(o.status == "failed" and o.result is None for o in result.outcomes)
    assert all("no readable JSON" in (o.reason or "") for o in result.outcomes)
    assert "excluded, not counted as losses" in result.summary.conclusion
    # re-asked in halves: 5 -> 3 + 2 -> 2 + 1 + 1 + 1
    assert comparisons_per_request(fake_server) == [5, 3, 2, 2, 1, 1, 1]
    audit = [json.loads(line) for line in (result.run_dir / "audit.jsonl").read_text().splitlines()]
    assert all(row["status"] == "failed" and row["raw_reply"] == "I cannot decide, sorry." for row in audit)


def test_prose_and_fenced_replies_are_read(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.script(Auto(wrap="prose"), Auto(wrap="fenced"))
    result = _run(write_project(tmp_path, fake_server.base_url, judge_extra="concurrency = 1"))
    assert result.summary.counts.n == 12 and len(fake_server.posts) == 3


def test_both_orders_exposes_a_position_biased_judge(tmp_path: Path) -> None:
    with FakeServer(policy=lambda prompt, a, b: "A") as server:
        result = _run(write_project(tmp_path, server.base_url, judge_extra="both_orders = true"))
        assert len(server.posts) == 6  # 24 pairs; rounds never share a batch
        for post in server.posts:
            prompts = [c[1] for c in parse_comparisons(last_user_text(post["json"]))]
            assert len(prompts) == len(set(prompts))
    s = result.summary
    assert (s.counts.win, s.counts.loss, s.counts.tie) == (0, 0, 12)
    assert all(o.position_consistent is False for o in result.outcomes)
    assert s.position_bias is not None and s.position_bias.share_a.estimate == 1.0
    assert s.position_bias.consistency is not None and s.position_bias.consistency.estimate == 0.0
    assert "it is position-biased" in s.conclusion


def test_procedural_run_measures_models_and_judge_against_execution(tmp_path: Path) -> None:
    problems = [json.loads(line) for line in (EXAMPLES / "procedural_test.jsonl").read_text().splitlines()][
        :8
    ]
    (tmp_path / "prompts.jsonl").write_text("".join(json.dumps(p) + "\n" for p in problems))
    right_ft, right_base = {0, 1, 2, 3, 4, 5}, {0, 1, 6}

    def program(i: int, right: set[int]) -> str:
        answer = problems[i]["metadata"]["answer"] if i in right else "-123456"
        return json.dumps({"id": problems[i]["id"], "output": f"```python\nprint({answer!r})\n```"})

    for name, right in (("ft.jsonl", right_ft), ("base.jsonl", right_base)):
        (tmp_path / name).write_text("".join(program(i, right) + "\n" for i in range(8)))
    with FakeServer(policy=lambda prompt, a, b: "A") as server:
        (tmp_path / "run.toml").write_text(
            'name = "proc"\nprompts = "prompts.jsonl"\n'
            '[models.finetuned]\nname = "ft"\noutputs = "ft.jsonl"\n'
            '[models.base]\nname = "base"\noutputs = "base.jsonl"\n'
            f'[judge]\nbase_url = "{server.base_url}"\n[stats]\nbootstrap_resamples = 200\n'
        )
        result = _run(tmp_path / "run.toml")
    checks = result.summary.verification
    assert checks is not None and checks.accuracy is not None and checks.judge_vs_truth is not None
    assert (checks.accuracy.finetuned.k, checks.accuracy.base.k) == (6, 3)
    assert checks.accuracy.only_finetuned_right + checks.accuracy.only_base_right == 5  # items 2-5 and 6
    truth = checks.judge_vs_truth
    assert truth.picked_correct.n == 5 and truth.both_correct == 2 and truth.neither_correct == 1
    # the always-"A" judge is right exactly where the verified-correct side happened to be shown as A
    keys = {
        k["item_id"]: k["a_role"]
        for k in map(json.loads, (result.run_dir / "key.jsonl").read_text().splitlines())
    }
    expected = sum(
        keys[problems[i]["id"]] == ("finetuned" if i in right_ft else "base") for i in (2, 3, 4, 5, 6)
    )
    assert truth.picked_correct.k == expected and not truth.judge_saw_evidence
    assert "Execution-verified accuracy: fine-tuned 6/8" in result.summary.conclusion


def test_dry_run_sends_nothing(tmp_path: Path, fake_server: FakeServer) -> None:
    config = write_project(
        tmp_path, fake_server.base_url, judge_extra="price_input_per_mtok = 1.0\nprice_output_per_mtok = 2.0"
    )
    estimate = run_comparison(load_config(config), dry_run=True, show_progress=False)
    assert isinstance(estimate, DryRun)
    assert (estimate.pairs, estimate.calls, estimate.cached_calls) == (12, 3, 0)
    assert estimate.cost_usd is not None and estimate.cost_usd > 0
    assert fake_server.posts == []
    _run(config)
    again = run_comparison(load_config(config), dry_run=True, show_progress=False)
    assert isinstance(again, DryRun) and again.cached_calls == 3


def test_rerun_is_served_from_the_ledger(tmp_path: Path, fake_server: FakeServer) -> None:
    config = write_project(tmp_path, fake_server.base_url)
    first = _run(config)
    sent = len(fake_server.posts)
    second = _run(config)
    assert len(fake_server.posts) == sent, "a finished call must never be sent twice"
    assert second.summary.counts == first.summary.counts
    assert second.summary.usage.cached_calls == second.summary.usage.calls == 3


def test_an_injected_clients_retry_hook_keeps_working(tmp_path: Path, fake_server: FakeServer) -> None:
    from fakeserver import Fail

    from judge.client import ChatClient, RetryPolicy

    seen: list[object] = []
    import httpx

    # no kept-alive connection outlives the run's event loop (the client is the caller's, not closed by it)
    http = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0))
    retry = RetryPolicy(attempts=3, initial=0.01, jitter=0.0)
    client = ChatClient("judge-model", base_url=fake_server.base_url, api_key="k", http_client=http,
                        retry=retry, on_retry=seen.append)  # fmt: skip
    fake_server.script(Fail(500))
    result = _run(write_project(tmp_path, fake_server.base_url), client=client)
    assert result.summary.counts.failed == 0 and len(seen) == 1  # the user's hook saw the retry
    assert client.on_retry == seen.append  # and is the client's hook again afterwards
