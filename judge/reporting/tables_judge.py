"""Tables of the judge's reliability and of what the checks verified (typed summary sections)."""

from __future__ import annotations

from judge.reporting.tables import Table
from judge.reporting.words import ci_text, fmt_p, pct
from judge.summary import Agreement, Estimate, JudgeReliability, Rate, Summary, Verification

__all__ = ["reliability_table", "slot_table", "verification_tables"]

_HEAD = ["Measure", "Count", "Estimate", "Interval", "Compare with"]


def _rate(name: str, r: Rate, anchor: str = "") -> list[str]:
    return [name, f"{r.k} / {r.n}", pct(r.estimate, 1), ci_text(r.ci_low, r.ci_high, r.level), anchor]


def _est(name: str, e: Estimate | None, anchor: str = "") -> list[str]:
    if e is None:
        return [name, "", "n/a", "", anchor]
    return [name, "", pct(e.estimate, 1), ci_text(e.ci_low, e.ci_high, e.level), anchor]


def _agreement(name: str, a: Agreement) -> list[list[str]]:
    kappa = "n/a" if a.kappa is None else f"{a.kappa:.2f}"
    cost = f"{a.calls} extra calls, {a.prompt_tokens + a.completion_tokens:,} tokens"
    return [
        _rate(f"{name}: same verdict", a.agree, "reruns flip 13.6 %"),
        [f"{name}: Cohen's kappa", str(a.n), kappa, "", cost],
        _est(f"{name}: preference, run's verdicts", a.first),
        _est(f"{name}: preference, re-judged", a.second),
    ]


def reliability_table(j: JudgeReliability | None) -> Table | None:
    """Every reliability figure measured, with the published figure to compare it with."""
    if j is None:
        return None
    rows: list[list[str]] = []
    if j.position is not None:
        rows.append(_rate("Chose label A (decisive verdicts)", j.position.share_a, "50 % unbiased"))
        if j.position.consistency is not None:
            rows.append(
                _rate("Same verdict after swapping A/B", j.position.consistency, "GPT-4 on MT-Bench 65 %")
            )
    if j.slots is not None and j.slots.pvalue is not None:
        rows.append(
            [
                "Slot in the batch: test of no effect",
                str(sum(s.n for s in j.slots.slots)),
                f"p {fmt_p(j.slots.pvalue)}",
                "",
                "chi-square, label by slot",
            ]
        )
    if j.length is not None:
        rows.append(_rate("Longer output won", j.length.prefers_longer, "humans 64 %, judges 51-79 %"))
        rows.append(["Preference, raw (decisive verdicts)", "", pct(j.length.raw_preference, 1), "", ""])
        rows.append(_est("Preference at equal length", j.length.length_controlled, "logistic fit, this run"))
    if j.self_consistency is not None:
        rows += _agreement("Re-judged in new batches", j.self_consistency)
    if j.batched_vs_single is not None:
        rows += _agreement("Judged one per call", j.batched_vs_single)
    if j.rationale is not None:
        r = j.rationale
        rows.append(
            [
                "Verdict contradicts its criteria",
                f"{r.contradicting} / {r.checked}",
                pct(r.contradicting / r.checked if r.checked else None, 1),
                "",
                "flagged in the audit",
            ]
        )
    if j.truth is not None and j.truth.picked_correct.n:
        saw = "judge saw the evidence" if j.truth.judge_saw_evidence else "judge did not see the evidence"
        rows.append(_rate("Picked the verified-correct side", j.truth.picked_correct, saw))
    return Table(f"Judge reliability: {j.verdict}", _HEAD, rows)


def slot_table(j: JudgeReliability | None) -> Table | None:
    """Label A share and the fine-tune's preference by slot in the judge call."""
    if j is None or j.slots is None:
        return None
    rows = [
        [
            str(s.slot),
            str(s.n),
            pct(s.share_a.estimate, 1),
            ci_text(s.share_a.ci_low, s.share_a.ci_high),
            pct(s.preference, 1),
        ]
        for s in j.slots.slots
    ]
    return Table(
        "Verdicts by slot in the judge call", ["Slot", "n", "Chose A", "Interval", "Preference"], rows
    )


def verification_tables(s: Summary) -> list[Table]:
    """Execution-verified accuracy (McNemar), judge vs truth and degeneration counts."""
    v: Verification | None = s.verification
    if v is None:
        return []
    tables = []
    if v.accuracy is not None:
        a = v.accuracy
        rows = [_rate("finetuned", a.finetuned)[:4], _rate("base", a.base)[:4]]
        if a.mcnemar_pvalue is not None:
            rows.append(
                [
                    "McNemar exact test",
                    f"{a.only_finetuned_right} vs {a.only_base_right} discordant",
                    "",
                    f"p {fmt_p(a.mcnemar_pvalue)}",
                ]
            )
        tables.append(Table("Execution-verified accuracy", ["Model", "Correct", "Share", "Interval"], rows))
    t = v.judge_vs_truth
    if t is not None and t.picked_correct.n:
        other = f"{t.ties} ties; {t.both_correct} both correct, {t.neither_correct} neither (not scored)"
        saw = "yes" if t.judge_saw_evidence else "no"
        tables.append(
            Table(
                "Judge vs verified truth (pairs with exactly one correct side)",
                ["", "Picked the correct side", "Share", "Interval", "Other pairs", "Judge saw evidence"],
                [[*_rate("judge", t.picked_correct)[:4], other, saw]],
            )
        )
    if v.degeneration:
        labels = sorted({k for counts in v.degeneration.values() for k in counts})
        rows = [[role, *(str(counts.get(k, 0)) for k in labels)] for role, counts in v.degeneration.items()]
        tables.append(Table("Degeneration (outputs)", ["Model", *labels], rows))
    return tables
