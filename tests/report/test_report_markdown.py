"""report.md: tables and the significance paragraph, tolerant of absent parts, inert model names."""

from __future__ import annotations

from report_factory import make_row, make_summary

from judge.reporting import render_markdown
from judge.summary import PositionBias, Rate, UsageSummary


def _rows() -> list:
    results = ["win"] * 30 + ["tie"] * 5 + ["loss"] * 15
    return [make_row(i, r, category=("code" if i % 2 else "chat")) for i, r in enumerate(results)]


def test_tables_and_paragraph() -> None:
    s = make_summary(
        _rows(),
        usage=UsageSummary(
            calls=10, cached_calls=2, prompt_tokens=12345, completion_tokens=678, cost_usd=0.1234
        ),
    )
    md = render_markdown(s)
    assert md.startswith("# Does ft-model beat base-model?")
    assert "## Significance" in md and "A two-sided exact sign test of 30 wins against 15 losses" in md
    assert "| Win rate | 30 / 50 | 60.0 % |" in md
    assert "| chat | 25 |" in md and "| code | 25 |" in md
    assert "| Prompt tokens | 12,345 |" in md and "| Cost | $0.1234 |" in md
    assert "Position bias" not in md  # not measured: no empty section


def test_optional_parts_absent_and_extras_generic() -> None:
    rows = [make_row(i, "win" if i % 3 else "loss") for i in range(12)]
    s = make_summary(
        rows,
        extras={
            "perplexity": {"finetuned": 8.25, "base": 9.5},
            "checks": {"finetuned": {"accuracy": 0.8, "n": 40}, "base": {"accuracy": 0.7, "n": 40}},
            "degeneration": [{"role": "finetuned", "loops": 2}, {"role": "base", "loops": 0}],
            "note": "free text",
        },
        confidence={},
    )
    md = render_markdown(s)
    assert "Per category" not in md and "Judge confidence" not in md
    assert "### Perplexity" in md and "| finetuned | 8.25 |" in md
    assert "| finetuned | 0.8 | 40 |" in md and "| base | 0.7 | 40 |" in md
    assert "| loops | role |" in md and "| 0 | base |" in md  # list of dicts: one column per key
    assert "| value | free text |" in md


def test_position_bias_and_hostile_names_are_inert() -> None:
    rows = [make_row(i, "win") for i in range(5)]
    s = make_summary(
        rows,
        models={"finetuned": "evil|<script>x</script>\nname", "base": "b"},
        position_bias=PositionBias(share_a=Rate(k=90, n=100, estimate=0.9, ci_low=0.83, ci_high=0.94)),
    )
    md = render_markdown(s)
    assert "<script>" not in md and "\\<script\\>" in md
    assert "evil\\|" in md  # a pipe would split a table cell
    assert "a position bias" in md and "## Can this judge be trusted here?" in md


def test_checks_and_perplexity_from_the_pipeline_get_their_own_tables() -> None:
    rows = [make_row(i, "win" if i % 3 else "loss") for i in range(12)]
    share = {
        "finetuned": {"k": 17, "n": 24, "share": 17 / 24, "ci": [0.51, 0.85]},
        "base": {"k": 12, "n": 24, "share": 0.5, "ci": [0.31, 0.69]},
    }
    s = make_summary(
        rows,
        extras={
            "checks": {
                "accuracy": {**share, "mcnemar": {"b": 6, "c": 1, "n_paired": 24, "pvalue": 0.125}},
                "judge_vs_truth": {
                    "k": 3,
                    "n": 7,
                    "share": 3 / 7,
                    "ci": [0.16, 0.75],
                    "ties": 1,
                    "both_correct": 11,
                    "neither_correct": 6,
                },
            },
            "perplexity": {
                "reading": "Bands (seed 000) ...",
                "models": [
                    {"model": "base", "perplexity": 3.21, "band": "good", "tokens": 1200, "mean_nll": 1.166}
                ],
            },
        },
    )
    md = render_markdown(s)
    assert "### Execution-verified accuracy" in md and "| finetuned | 17 / 24 | 70.8 % |" in md
    assert "| McNemar exact test | 6 vs 1 discordant |  | p = 0.12 |" in md
    assert "| judge | 3 / 7 | 42.9 % |" in md and "1 ties; 11 both correct, 6 neither" in md
    assert "| base | 3.21 | good | 1,200 |" in md and "Bands (seed 000)" in md
