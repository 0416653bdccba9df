"""Several models in one run, end to end: real SDK -> real HTTP on 127.0.0.1 -> scripted judge -> folders.

Seed 002's situation: a base, two LoRA adapters and a bigger model, where the adapters lose to the
base. Each output carries a quality marker the scripted judge reads (tests/several_project.py), so the
right answer of every comparison is known whatever the blinding drew.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakeserver import FakeServer, last_user_text, parse_comparisons
from several_project import quality_policy, write_several

from judge.aggregation.several import clusters_of
from judge.config import load_config
from judge.errors import ConfigError
from judge.run.pipeline import CompareResult, DryRun, run_comparison
from judge.summary import Summary
from judge.summary_several import SeveralSummary

N = 40
QUALITY: dict[str, Callable[[int], int]] = {
    "base": lambda i: 3 if i % 5 else 1,
    "lora-a": lambda i: 2,
    "lora-b": lambda i: 2 if i % 3 else 1,
    "big": lambda i: 3 if i % 2 else 2,
}


def _expected(candidate: str, other: str, n: int = N) -> tuple[int, int, int]:
    c, o = QUALITY[candidate], QUALITY[other]
    w = sum(c(i) > o(i) for i in range(n))
    loss = sum(c(i) < o(i) for i in range(n))
    return w, loss, n - w - loss


def _run(config: Path, **kw: object) -> CompareResult:
    result = run_comparison(load_config(config), show_progress=False, **kw)  # type: ignore[arg-type]
    assert isinstance(result, CompareResult)
    return result


@pytest.fixture
def judge() -> Iterator[FakeServer]:
    with FakeServer(policy=quality_policy) as server:
        yield server


def test_adapters_that_lose_to_the_base_are_said_first(tmp_path: Path, judge: FakeServer) -> None:
    result = _run(write_several(tmp_path, judge.base_url, QUALITY))
    s = result.summary
    assert isinstance(s, SeveralSummary)
    assert [p.name for p in s.pairings] == ["lora-a-vs-base", "lora-b-vs-base", "big-vs-base"]
    for p in s.pairings:  # un-blinded counts equal the known truth, pairing by pairing
        c = p.summary.counts
        assert (c.win, c.loss, c.tie) == _expected(p.candidate, p.other), p.name
    lead = s.conclusion.split("\n\n")[0]
    assert lead.startswith("lora-a and lora-b are WORSE than the baseline base"), lead
    holm = {p.candidate: p for p in s.pairings}
    assert holm["lora-a"].significant_holm and holm["lora-b"].significant_holm
    assert holm["lora-a"].pvalue_holm is not None and holm["lora-a"].summary.sign_test.pvalue is not None
    assert holm["lora-a"].pvalue_holm >= holm["lora-a"].summary.sign_test.pvalue  # adjusted up, never down
    assert s.ratings is not None and s.ratings[0].model == "base"
    for r in s.ratings:  # a rank range holds the rank; the base is clearly better than both adapters
        assert r.rank_best <= r.rank <= r.rank_worst and r.se is not None and r.p_best is not None
    ranks = {r.model: r for r in s.ratings}
    assert ranks["lora-a"].rank_best >= 2 and ranks["lora-b"].rank_best >= 2
    # each pairing is a complete two-model run folder, its summary the same record
    for p in s.pairings:
        folder = result.run_dir / "pairings" / p.name
        on_disk = Summary.model_validate_json((folder / "summary.json").read_text())
        assert on_disk.counts == p.summary.counts and (folder / "report.html").is_file()
    on_disk_several = SeveralSummary.model_validate_json((result.run_dir / "summary.json").read_text())
    assert on_disk_several.kind == "several" and on_disk_several.conclusion == s.conclusion


def test_batches_mix_pairings_never_repeat_a_prompt_and_leak_no_name(
    tmp_path: Path, judge: FakeServer
) -> None:
    result = _run(write_several(tmp_path, judge.base_url, QUALITY))
    for post in judge.posts:
        text = json.dumps(post["json"])
        for secret in ("lora-a", "lora-b", "big", "base.jsonl", "vs-base", "q0"):
            assert secret not in text, secret
    by_call: dict[str, list[tuple[str, str]]] = {}
    for p in result.pairings.values():
        item_of = {}
        for line in (p.run_dir / "key.jsonl").read_text().splitlines():
            k = json.loads(line)
            item_of[k["pair_id"]] = k["item_id"]
        for line in (p.run_dir / "judgments.jsonl").read_text().splitlines():
            j = json.loads(line)
            by_call.setdefault(j["call_id"], []).append((p.run_dir.name, item_of[j["pair_id"]]))
    assert len(by_call) == len(judge.posts) == 3 * N // 5
    assert sum(len(v) for v in by_call.values()) == 3 * N  # every comparison judged, once
    for members in by_call.values():
        items = [item for _, item in members]
        assert len(items) == len(set(items)), "a call showed one prompt twice"
        assert len({pairing for pairing, _ in members}) > 1, "a call held one pairing only"
    assert len(parse_comparisons(last_user_text(judge.posts[0]["json"]))) == 5


def test_a_group_of_items_is_one_cluster(tmp_path: Path, judge: FakeServer) -> None:
    result = _run(write_several(tmp_path, judge.base_url, QUALITY))
    outcomes = [o for p in result.pairings.values() for o in p.outcomes]
    labels = clusters_of(outcomes)
    items_per_cluster = Counter(
        {(lab, o.item_id) for lab, o in zip(labels, outcomes, strict=True)}.__iter__()
    )
    sizes = Counter(lab for lab, _ in items_per_cluster)
    assert set(sizes.values()) == {5} and len(sizes) == N // 5  # groups of five items, three calls each


def test_a_rerun_pays_nothing_and_changes_nothing(tmp_path: Path, judge: FakeServer) -> None:
    config = write_several(tmp_path, judge.base_url, QUALITY)
    first = _run(config)
    calls = len(judge.posts)
    again = _run(config)
    assert len(judge.posts) == calls
    a, b = first.summary, again.summary
    assert isinstance(a, SeveralSummary) and isinstance(b, SeveralSummary)
    assert [p.summary.counts for p in a.pairings] == [p.summary.counts for p in b.pairings]
    assert b.usage.new_calls == 0


def test_all_pairs_fills_the_matrix(tmp_path: Path, judge: FakeServer) -> None:
    result = _run(write_several(tmp_path, judge.base_url, QUALITY, design="all-pairs"))
    s = result.summary
    assert isinstance(s, SeveralSummary) and len(s.pairings) == 6
    cells = {(c.row, c.col): c for c in s.matrix}
    assert len(cells) == 12
    for p in s.pairings:
        w, _, t = _expected(p.candidate, p.other)
        cell = cells[(p.candidate, p.other)]
        assert cell.comparisons == N and cell.preference == pytest.approx((w + t / 2) / N)
        assert cells[(p.other, p.candidate)].preference == pytest.approx(1 - (w + t / 2) / N)
    frame = result.to_dataframe()
    assert len(frame) == 6 * N and set(frame.pairing) == {p.name for p in s.pairings}


def test_checkpoints_draw_a_curve_and_name_the_best_step(tmp_path: Path, judge: FakeServer) -> None:
    quality: dict[str, Callable[[int], int]] = {
        "base": lambda i: 2,
        "ckpt-100": lambda i: 2 if i % 3 else 1,
        "ckpt-200": lambda i: 3 if i % 2 else 2,
        "ckpt-300": lambda i: 3 if i % 4 else 2,
        "ckpt-400": lambda i: 3 if i % 3 else 1,
    }
    steps = {"ckpt-100": 100, "ckpt-200": 200, "ckpt-300": 300, "ckpt-400": 400}
    result = _run(write_several(tmp_path, judge.base_url, quality, steps=steps))
    s = result.summary
    assert isinstance(s, SeveralSummary) and s.checkpoints is not None
    assert [p.step for p in s.checkpoints.points] == [100, 200, 300, 400]
    assert s.checkpoints.best_step == 300
    assert s.checkpoints.p_best is not None and 0.5 < s.checkpoints.p_best <= 1
    assert 100 not in s.checkpoints.not_distinguishable  # step 100 loses to the base: clearly not the best
    for point in s.checkpoints.points:
        assert point.preference is not None and point.preference.ci_low is not None
    assert "Best checkpoint: step 300" in s.conclusion


def test_dry_run_prices_each_pairing_and_warns_before_all_pairs(tmp_path: Path, judge: FakeServer) -> None:
    quality = {f"m{i}": (lambda k: lambda i: k)(i) for i in range(5)} | {"base": lambda i: 1}
    prices = "price_input_per_mtok = 1.0\nprice_output_per_mtok = 4.0\n"
    config = write_several(tmp_path, judge.base_url, quality, design="all-pairs", judge_extra=prices)
    dry = run_comparison(load_config(config), dry_run=True, show_progress=False)
    assert isinstance(dry, DryRun) and not judge.posts and not (tmp_path / "results").exists()
    assert len(dry.pairings) == 15 and sum(p.comparisons for p in dry.pairings) == dry.pairs == 15 * N
    assert dry.cost_usd is not None
    assert sum(p.cost_usd or 0 for p in dry.pairings) == pytest.approx(dry.cost_usd)
    text = dry.describe()
    assert "pairing m1-vs-m0" in text and "warning: all-pairs with 6 models makes 15 pairings" in text


def test_each_model_is_generated_once_for_all_its_pairings(tmp_path: Path, judge: FakeServer) -> None:
    config = write_several(
        tmp_path, judge.base_url, {"base": lambda i: 1, "a": lambda i: 1, "b": lambda i: 1}, n=10
    )
    with FakeServer() as models:  # answers generation requests with "echo: <prompt>"
        text = config.read_text().replace(
            'outputs = "base.jsonl"', f'base_url = "{models.base_url}"\nmodel = "m-base"'
        )
        config.write_text(text)
        result = _run(config)
        assert len(models.posts) == 10  # the baseline serves two pairings, generated once
        assert isinstance(result.summary, SeveralSummary)
        _run(config)
        assert len(models.posts) == 10  # and cached in the run's ledger


@pytest.mark.parametrize(
    ("top", "message"),
    [
        ('baseline = "nope"', 'the baseline "nope" is not among the models'),
        ('design = "round-robin"', "[design]"),
    ],
)
def test_bad_design_names_the_setting(tmp_path: Path, top: str, message: str) -> None:
    config = write_several(tmp_path, "http://127.0.0.1:9", QUALITY)
    text = config.read_text().replace('baseline = "base"\ndesign = "vs-baseline"', top)
    config.write_text(text)
    with pytest.raises(ConfigError, match=r"several\.toml") as err:
        load_config(config)
    assert message in str(err.value)


def test_a_model_key_that_cannot_name_a_folder_is_refused(tmp_path: Path) -> None:
    config = write_several(tmp_path, "http://127.0.0.1:9", {"base": lambda i: 1, "a": lambda i: 1})
    config.write_text(config.read_text().replace("[models.a]", '[models."a/b"]'))
    with pytest.raises(ConfigError, match=r"\[models\.a/b\].*letters, digits"):
        load_config(config)
