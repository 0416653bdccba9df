"""What a user sees of a several-models run: reports, audit by model, the command line and the API.

Every run here goes through the real pipeline against the scripted judge on 127.0.0.1 (the openai
SDK talks to it): seed 002's situation (two adapters and a bigger model, all worse than their base)
and a checkpoint run of four steps.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fakeserver import FakeServer
from several_project import quality_policy, write_several

import judge
from judge.cli import main
from judge.config import load_config
from judge.reporting.narrator import several_headline, several_lead
from judge.reporting.several_tables import shade
from judge.run.pipeline import CompareResult, run_comparison
from judge.summary_several import SeveralSummary

# Seed 002: base always q=3; every other model below it most of the time.
SEED_002: dict[str, Callable[[int], int]] = {
    "base": lambda i: 3,
    "lora-a": lambda i: 4 if i % 5 == 0 else 2,
    "lora-b": lambda i: 4 if i % 8 == 0 else 2,
    "big": lambda i: 3 if i % 3 == 0 else 2,
}
# Four checkpoints of one training run: step 200 is best, 400 has overfitted.
STEPS = {"s100": 100, "s200": 200, "s300": 300, "s400": 400}
CHECKPOINTS: dict[str, Callable[[int], int]] = {
    "base": lambda i: 3,
    "s100": lambda i: 2 if i % 3 else 3,
    "s200": lambda i: 4 if i % 4 else 3,
    "s300": lambda i: 4 if i % 2 else 3,
    "s400": lambda i: 2 if i % 2 else 3,
}


def _run(root: Path, quality: dict[str, Callable[[int], int]], **kw: object) -> tuple[Path, CompareResult]:
    with FakeServer(policy=quality_policy) as server:
        config = write_several(root, server.base_url, quality, **kw)  # type: ignore[arg-type]
        result = run_comparison(load_config(config), show_progress=False)
    assert isinstance(result, CompareResult) and isinstance(result.summary, SeveralSummary)
    return config, result


@pytest.fixture(scope="module")
def seed002(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CompareResult]:
    return _run(tmp_path_factory.mktemp("seed002"), SEED_002)


@pytest.fixture(scope="module")
def steps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CompareResult]:
    return _run(tmp_path_factory.mktemp("steps"), CHECKPOINTS, steps=STEPS)


def _summary(result: CompareResult) -> SeveralSummary:
    assert isinstance(result.summary, SeveralSummary)
    return result.summary


def _md_rows(text: str, section: str) -> list[list[str]]:
    """The body rows of the first table under ``## section``."""
    part = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in part.splitlines() if line.startswith("|")][2:]
    return [[c.strip().replace("\\", "") for c in line.strip("|").split(" | ")] for line in lines]


def test_report_says_first_that_the_adapters_lose_to_the_base(seed002: tuple[Path, CompareResult]) -> None:
    _, result = seed002
    s = _summary(result)
    assert all(p.significant_holm and p.summary.counts.loss > p.summary.counts.win for p in s.pairings)
    md = (result.run_dir / "report.md").read_text()
    lead = several_lead(s)
    assert lead.startswith("Every model is WORSE than the baseline base")
    first = md.split("\n\n")[1]  # right under the title
    assert first.replace("\\", "") == f"**{lead}**"
    order = [md.index(x) for x in (first, "## Leaderboard", "## Pairwise win-rate matrix", "## Pairings")]
    assert order == sorted(order)
    page = (result.run_dir / "report.html").read_text()
    headline = re.search(r'<p id="headline" class="headline loses">(.*?)</p>', page)
    assert headline is not None and html.unescape(headline.group(1)) == lead


def test_leaderboard_and_matrix_show_the_summary_numbers(seed002: tuple[Path, CompareResult]) -> None:
    _, result = seed002
    s = _summary(result)
    assert s.ratings is not None
    md = (result.run_dir / "report.md").read_text()
    rows = _md_rows(md, "Leaderboard")
    assert [r[1].removesuffix(" (baseline)") for r in rows] == [r.model for r in s.ratings]
    assert s.ratings[0].model == "base"
    for row, r in zip(rows, s.ratings, strict=True):
        assert row[0] == (
            str(r.rank) if r.rank_best == r.rank_worst else f"{r.rank_best}\u2013{r.rank_worst}"
        )
        assert row[2].startswith(f"{r.rating:+.2f} (95 % CI {r.ci_low:+.2f} to {r.ci_high:+.2f}")
        assert row[6] == str(r.verdicts)
        if r.model == s.baseline:
            assert row[4] == "baseline"
            continue
        p = s.pairing(r.model)
        assert row[4].startswith(f"{100 * p.summary.preference.estimate:.0f} %, 95 % CI")  # type: ignore[operator]
        assert row[5].startswith("WORSE (Holm-adjusted p ")
    # The matrix: row model's share against the column, consistent with each pairing's own result.
    matrix = {
        (row[0].removesuffix(" (baseline)")): row[1:] for row in _md_rows(md, "Pairwise win-rate matrix")
    }
    order = [r.model for r in s.ratings]
    for p in s.pairings:
        pref = p.summary.preference.estimate
        assert pref is not None
        cell = matrix[p.candidate][order.index(p.other)]
        assert cell == f"{100 * pref:.0f} % (n = {p.summary.counts.n})"
        assert (
            matrix[p.other][order.index(p.candidate)]
            == f"{100 * (1 - pref):.0f} % (n = {p.summary.counts.n})"
        )
    assert matrix["lora-a"][order.index("big")] == "·"  # never compared in a vs-baseline design
    page = (result.run_dir / "report.html").read_text()
    worst = s.pairing("lora-b").summary.preference.estimate
    assert f'<td class="{shade(worst)}">{100 * worst:.0f} % (n = 40)</td>' in page  # type: ignore[operator]
    assert "share of comparisons in which the row model was preferred" in page


def test_html_report_links_every_pairing_and_saves_the_chart(seed002: tuple[Path, CompareResult]) -> None:
    _, result = seed002
    s = _summary(result)
    page = (result.run_dir / "report.html").read_text()
    for p in s.pairings:
        assert f'href="pairings/{p.name}/report.html#audit"' in page
        assert (result.run_dir / "pairings" / p.name / "report.html").is_file()
    svg = (result.run_dir / "chart-ratings.svg").read_text()
    assert svg.split("\n", 1)[1].strip() in page  # the file is the chart the page shows
    assert svg.count("<circle") == len(s.models)
    assert "<script" not in page and "script-src" not in page
    assert not (result.run_dir / "chart-checkpoints.svg").exists()  # no steps, no curve


def test_checkpoint_run_draws_the_curve_and_names_the_best_step(steps: tuple[Path, CompareResult]) -> None:
    _, result = steps
    s = _summary(result)
    c = s.checkpoints
    assert c is not None and [p.step for p in c.points] == [100, 200, 300, 400]
    assert c.best_step == 200
    svg = (result.run_dir / "chart-checkpoints.svg").read_text()
    assert svg.count("<circle") == 4 and "best: step 200" in svg
    for step in (100, 200, 300, 400):
        assert f'text-anchor="middle">{step}</text>' in svg
    md = (result.run_dir / "report.md").read_text()
    assert "Best checkpoint: step 200" in md and "![Checkpoints](chart-checkpoints.svg)" in md
    table = _md_rows(md, "Checkpoints")
    assert [row[0] for row in table] == ["100", "200", "300", "400"]
    marks = [row[4] for row in table]
    assert sum(m.startswith("best") for m in marks) == 1 and marks[1].startswith("best (P(best) ")
    for row, point in zip(table, c.points, strict=True):
        assert point.preference is not None and point.preference.estimate is not None
        assert row[2].startswith(f"{100 * point.preference.estimate:.0f} %, 95 % CI")
    assert "Best checkpoint: step 200" in (result.run_dir / "report.html").read_text()


def test_no_ranking_still_shows_each_model_against_the_baseline(tmp_path: Path) -> None:
    # lora-b never wins or ties: Bradley-Terry ratings do not exist, the decisions still do.
    _, result = _run(
        tmp_path, {"base": lambda i: 3, "lora-a": lambda i: 3 + i % 2, "lora-b": lambda i: 1}, n=40
    )
    s = _summary(result)
    assert s.ratings is None and s.ratings_note
    md = (result.run_dir / "report.md").read_text()
    rows = {row[1].removesuffix(" (baseline)"): row for row in _md_rows(md, "Leaderboard")}
    assert rows["base"][4] == "baseline" and rows["lora-b"][0] == "n/a"
    assert rows["lora-b"][5].startswith("WORSE") and rows["lora-a"][5].startswith("better")
    assert "No ranking: " in md and not (result.run_dir / "chart-ratings.svg").exists()


def _audit_json(run: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["audit", str(run), "--json", *extra]) == 0
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


def test_audit_model_filter_lists_every_pairing_with_that_model(
    seed002: tuple[Path, CompareResult], capsys: pytest.CaptureFixture[str]
) -> None:
    _, result = seed002
    s, run = _summary(result), result.run_dir
    only_b = _audit_json(run, capsys, "--model", "lora-b")
    assert {r["pairing"] for r in only_b} == {"lora-b-vs-base"} and len(only_b) == 40
    with_base = _audit_json(run, capsys, "--model", "base")
    assert {r["pairing"] for r in with_base} == {p.name for p in s.pairings} and len(with_base) == 120
    # --result is read from the chosen model's side: base lost where a candidate won.
    base_lost = _audit_json(run, capsys, "--model", "base", "--result", "loss")
    assert len(base_lost) == sum(p.summary.counts.win for p in s.pairings) > 0
    assert {r["result"] for r in base_lost} == {"win"}  # rows keep the candidate's side
    assert (
        len(_audit_json(run, capsys, "--model", "lora-a", "--result", "win"))
        == s.pairing("lora-a").summary.counts.win
    )
    # In the terminal the models stay hidden until revealed, then named.
    assert main(["audit", str(run), "--model", "lora-b"]) == 0
    blind = capsys.readouterr().out
    assert "pairing lora-b-vs-base: 40 of 40 comparisons" in blind and "A = " not in blind
    assert main(["audit", str(run), "--model", "lora-b", "--reveal"]) == 0
    revealed = capsys.readouterr().out
    assert re.search(r"A = (lora-b|base)  →  (win|loss|tie) for lora-b", revealed)
    assert main(["audit", str(run), "--model", "nobody"]) == 2
    assert "its models are base, lora-a, lora-b, big" in capsys.readouterr().err


def test_load_run_gives_back_what_the_run_returned(seed002: tuple[Path, CompareResult]) -> None:
    _, result = seed002
    again = judge.load_run(result.run_dir)
    assert again.summary == result.summary
    assert list(again.pairings) == list(result.pairings)
    for name, pairing in result.pairings.items():
        assert again.pairings[name].summary == pairing.summary
        assert again.pairings[name].outcomes == pairing.outcomes
    frame, before = again.to_dataframe(), result.to_dataframe()
    assert len(frame) == 120 and frame.equals(before)


def test_runs_and_index_list_the_run_as_one_row(
    seed002: tuple[Path, CompareResult], capsys: pytest.CaptureFixture[str]
) -> None:
    _, result = seed002
    s, results = _summary(result), result.run_dir.parent
    capsys.readouterr()
    assert main(["runs", "--results", str(results), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["kind"] == "several" and row["models"] == ["base", "lora-a", "lora-b", "big"]
    assert row["pairs"] == 120 and row["ranking"][0] == "base" and row["answer"] == several_headline(s)
    page = (results / "index.html").read_text()
    assert page.count("<tr>") == 2  # header + this run
    assert "4 models, baseline base" in page and html.escape(several_headline(s)) in page


def test_run_stats_and_report_on_the_command_line(
    seed002: tuple[Path, CompareResult], capsys: pytest.CaptureFixture[str]
) -> None:
    config, result = seed002
    s, run = _summary(result), result.run_dir
    with FakeServer(policy=quality_policy) as server:  # resumed from the ledger: nothing is asked again
        text = config.read_text()
        config.write_text(re.sub(r'base_url = "[^"]*"', f'base_url = "{server.base_url}"', text))
        capsys.readouterr()
        assert main(["run", str(config), "--no-progress"]) == 0
        out = capsys.readouterr().out
        assert not server.posts
    assert out.startswith("Every model is WORSE than the baseline base")
    assert out.index("Every model is WORSE") < out.index("Rank") < out.index("lora-b-vs-base:")
    assert main(["run", str(config), "--no-progress", "--fail-if-worse"]) == 6
    assert "gate failed: lora-a" in capsys.readouterr().err
    assert main(["run", str(config), "--no-progress", "--json"]) == 0
    printed = SeveralSummary.model_validate_json(capsys.readouterr().out)  # resumed: the same verdicts
    assert printed.ratings == s.ratings and [p.pvalue_holm for p in printed.pairings] == [
        p.pvalue_holm for p in s.pairings
    ]
    before = (run / "summary.json").read_bytes()
    assert main(["stats", str(run), "--alpha", "0.0001", "--json"]) == 0
    again = SeveralSummary.model_validate_json(capsys.readouterr().out)
    assert again.alpha == 0.0001 and all(p.summary.sign_test.alpha == 0.0001 for p in again.pairings)
    assert [p.pvalue_holm for p in again.pairings] == [p.pvalue_holm for p in s.pairings]
    assert (run / "summary.json").read_bytes() == before  # recomputed, not changed
    (run / "report.html").unlink()
    (run / "pairings" / "big-vs-base" / "report.md").unlink()
    assert main(["report", str(run)]) == 0
    assert (run / "report.html").is_file() and (run / "pairings" / "big-vs-base" / "report.md").is_file()
    assert main(["diff", str(run), str(run)]) == 2
    assert "a several-models run (3 pairings)" in capsys.readouterr().err
