"""The answer in words follows the statistics: significance, direction, losses and n said plainly."""

from __future__ import annotations

from report_factory import make_row, make_summary

from judge.records import AuditRow
from judge.reporting import headline, render_markdown, significance_paragraph
from judge.summary import Estimate


def _rows(win: int, tie: int, loss: int, failed: int = 0) -> list[AuditRow]:
    results = ["win"] * win + ["tie"] * tie + ["loss"] * loss + [None] * failed
    return [make_row(i, r) for i, r in enumerate(results)]


def test_significant_win_gives_share_interval_n_and_p() -> None:
    s = make_summary(_rows(170, 20, 110))
    text = headline(s)
    assert text.startswith(
        "ft-model preferred in 60 % (95 % CI 55 % to 65 %) of 300 pairs (170 wins, 20 ties, 110 losses)"
    )
    assert "sign test p < 0.001" in text and "significant at alpha = 0.05" in text
    assert "not significant" not in text and "would give" not in text


def test_not_significant_says_direction_not_evidence_and_power() -> None:
    s = make_summary(_rows(55, 0, 45))
    text = headline(s)
    assert "not significant, this is direction, not evidence" in text
    assert s.power is not None and s.power.pairs_needed is not None and s.power.pairs_needed > 100
    assert f"about {s.power.pairs_needed:,} pairs would give 80 % power at the margin" in text
    para = significance_paragraph(s)
    assert "not significant at alpha = 0.05" in para and "direction, not evidence" in para


def test_a_losing_fine_tune_is_told_so_first() -> None:
    s = make_summary(_rows(20, 5, 75))
    text = headline(s)
    assert text.startswith("ft-model LOSES: base-model preferred in 78 %")
    assert "(20 wins, 5 ties, 75 losses)" in text


def test_failed_pairs_are_named_and_not_counted() -> None:
    s = make_summary(_rows(10, 0, 10, failed=3))
    assert s.counts.n == 20
    text = headline(s)
    assert text.startswith("No lean: ft-model and base-model won 10 pairs each of 20")
    assert "3 failed pairs not counted" in text
    para = significance_paragraph(s)
    assert "3 pair(s) got no valid verdict after retries; they are excluded, not counted as losses" in para
    assert "Had they all gone to the base: net win rate" in para


def test_all_ties_and_nothing_judged() -> None:
    ties = make_summary(_rows(0, 7, 0))
    assert "no decisive verdicts, so no sign test" in headline(ties)
    assert "nothing to test" in significance_paragraph(ties)
    empty = make_summary(_rows(0, 0, 0, failed=2))
    assert headline(empty) == "No pair got a verdict (2 failed): nothing can be concluded."


def test_asymmetric_interval_is_shown_as_a_range_not_plus_minus() -> None:
    s = make_summary(
        _rows(60, 0, 40),
        preference=Estimate(estimate=0.6, se=0.05, ci_low=0.45, ci_high=0.65, method="cluster bootstrap"),
    )
    assert "preferred in 60 % (95 % CI 45 % to 65 %) of 100 pairs" in headline(s)
    assert "cluster bootstrap" in render_markdown(s)


def test_one_p_value_and_one_interval_in_every_place_that_states_them() -> None:
    from io import StringIO

    from rich.console import Console

    from judge.reporting.console import print_summary
    from judge.reporting.words import fmt_p

    s = make_summary(_rows(55, 0, 45))  # p = 0.37: three digits in one place, two in another, before
    p = f"p {fmt_p(s.sign_test.pvalue, s.sign_test.alpha)}"
    out = StringIO()
    print_summary(s, Console(file=out, width=300, color_system=None))
    for text in (headline(s), significance_paragraph(s), s.conclusion, out.getvalue()):
        assert p in text, text
        assert "\u2013" not in text and "[" not in text  # one interval style: "95 % CI 40 % to 60 %"


def test_a_p_value_never_rounds_onto_alpha() -> None:
    from judge.reporting.words import fmt_p

    assert fmt_p(0.8145) == "= 0.81" and fmt_p(0.0004) == "< 0.001" and fmt_p(None) == "n/a"
    assert fmt_p(0.0496, 0.05) == "= 0.0496" and fmt_p(0.0504, 0.05) == "= 0.0504"
    assert fmt_p(0.0496) == "= 0.05"  # without an alpha to read it against, two digits
