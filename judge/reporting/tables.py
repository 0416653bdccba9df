"""Tables both reports show, as plain strings; whoever renders them escapes them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from judge.reporting.words import ci_text, fmt_p, pct
from judge.summary import Estimate, Rate, SignTest, Summary, UsageSummary

__all__ = [
    "Table",
    "category_table",
    "cell",
    "confidence_table",
    "extras_tables",
    "imported_table",
    "notes_tables",
    "position_table",
    "results_table",
    "spend_rows",
    "usage_table",
]


@dataclass(frozen=True)
class Table:
    """A titled table of display strings."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)


def _rate_row(name: str, r: Rate) -> list[str]:
    return [name, f"{r.k} / {r.n}", pct(r.estimate, 1), ci_text(r.ci_low, r.ci_high, r.level), r.method]


def _estimate_row(name: str, e: Estimate, significant: bool | None = None, null: float = 0.5) -> list[str]:
    se = "" if e.se is None else f"SE {pct(e.se, 1)}"
    return [name, se, pct(e.estimate, 1), ci_text(e.ci_low, e.ci_high, e.level, significant, null), e.method]


def results_table(s: Summary) -> Table:
    """Win, tie and loss rates, preference and net win rate, from the fine-tune's side."""
    rows = [
        _rate_row("Win rate", s.win_rate),
        _rate_row("Tie rate", s.tie_rate),
        _rate_row("Loss rate", s.loss_rate),
        _estimate_row("Preference (W + T/2)/n", s.preference, s.sign_test.significant),
        _estimate_row("Net win rate (W - L)/n", s.net_win_rate, s.sign_test.significant, 0.0),
    ]
    return Table("Results (fine-tuned side)", ["Measure", "Count", "Estimate", "Interval", "Method"], rows)


def _sign_cells(st: SignTest) -> list[str]:
    holm = st.pvalue_holm
    after = "" if st.significant_holm is None else (" (yes)" if st.significant_holm else " (no)")
    return [
        f"p {fmt_p(st.pvalue)}",
        "" if holm is None else f"p {fmt_p(holm)}{after}",
        "yes" if st.significant else "no",
    ]


def category_table(s: Summary) -> Table | None:
    """One row per category, or None when the run has no categories."""
    if not s.per_category:
        return None
    rows = []
    for cat in s.per_category:
        c, p = cat.counts, cat.preference
        rows.append(
            [
                cat.category,
                str(c.n),
                str(c.win),
                str(c.tie),
                str(c.loss),
                str(c.failed),
                pct(p.estimate, 1),
                ci_text(p.ci_low, p.ci_high, p.level, cat.sign_test.significant),
                *_sign_cells(cat.sign_test),
            ]
        )
    headers = [
        "Category",
        "n",
        "W",
        "T",
        "L",
        "Failed",
        "Preference",
        "Interval",
        "Sign test",
        "Holm-adjusted (significant)",
        "Significant (unadjusted, as the interval)",
    ]
    return Table("Per category", headers, rows)


def position_table(s: Summary) -> Table | None:
    """Position bias (share of A among non-tie verdicts) and swap consistency, if measured."""
    pb = s.position_bias
    if pb is None:
        return None
    rows = [_rate_row("Judge chose A (non-tie)", pb.share_a)]
    if pb.consistency is not None:
        rows.append(_rate_row("Same verdict after swap", pb.consistency))
    return Table("Position bias", ["Measure", "Count", "Estimate", "Interval", "Method"], rows)


def confidence_table(s: Summary) -> Table | None:
    """How many verdicts the judge gave at each stated confidence, if it stated any."""
    if not s.confidence:
        return None
    rows = [[level, str(count)] for level, count in s.confidence.items()]
    return Table("Judge confidence", ["Confidence", "Verdicts"], rows)


def _new_spend(s: Summary) -> str:
    u = s.usage
    cost = "" if u.new_cost_usd is None else f", ${u.new_cost_usd:,.4f}"
    return f"{u.new_calls} calls, {u.new_prompt_tokens + u.new_completion_tokens:,} tokens{cost}"


def usage_table(s: Summary) -> Table:
    """Judge model, calls, tokens and cost of the whole run, and what its last invocation spent."""
    u = s.usage
    rows = [[f"Judge {k}", v] for k, v in sorted(s.judge.items())]
    rows += [[f"Model ({role})", name] for role, name in sorted(s.models.items())]
    rows += spend_rows(u)
    rows += [
        *([["Spent by the last invocation", _new_spend(s)]] if s.run is not None else []),
        ["Run", f"{s.run_id} ({s.created})"],
    ]
    return Table("Judge, tokens and cost", ["", ""], rows)


def spend_rows(u: UsageSummary) -> list[list[str]]:
    """The whole run's judge calls, tokens and cost, as table rows."""
    return [
        ["Judge calls", f"{u.calls} ({u.cached_calls} from cache)"],
        ["Prompt tokens", f"{u.prompt_tokens:,}"],
        ["Completion tokens", f"{u.completion_tokens:,}"],
        ["Cost", "not priced" if u.cost_usd is None else f"${u.cost_usd:,.4f}"],
    ]


def cell(value: Any) -> str:
    """One value as display text: numbers shortened, containers as compact JSON."""
    if isinstance(value, bool) or value is None:
        return "—" if value is None else ("yes" if value else "no")
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def _table_of(title: str, value: Any) -> Table:
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        cols = sorted({k for v in value.values() for k in v})
        rows = [[str(name), *(cell(v.get(c)) for c in cols)] for name, v in value.items()]
        return Table(title, ["", *cols], rows)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        cols = sorted({k for v in value for k in v})
        return Table(title, cols, [[cell(v.get(c)) for c in cols] for v in value])
    if isinstance(value, dict):
        return Table(title, ["", ""], [[str(k), cell(v)] for k, v in value.items()])
    return Table(title, ["", ""], [["value", cell(value)]])


def _share_row(name: str, part: dict[str, Any], *extra: str) -> list[str]:
    ci = part.get("ci") or [None, None]
    return [
        name,
        f"{part.get('k')} / {part.get('n')}",
        pct(part.get("share"), 1),
        ci_text(ci[0], ci[1], 0.95),
        *extra,
    ]


def _checks_tables(checks: dict[str, Any]) -> list[Table]:
    tables = []
    accuracy = checks.get("accuracy") or {}
    models = [m for m in ("finetuned", "base") if isinstance(accuracy.get(m), dict)]
    if models:
        rows = [_share_row(m, accuracy[m]) for m in models]
        mc = accuracy.get("mcnemar") or {}
        if mc.get("pvalue") is not None:
            rows.append(
                [
                    "McNemar exact test",
                    f"{mc.get('b')} vs {mc.get('c')} discordant",
                    "",
                    f"p {fmt_p(mc['pvalue'])}",
                ]
            )
        tables.append(Table("Execution-verified accuracy", ["Model", "Correct", "Share", "Interval"], rows))
    truth = checks.get("judge_vs_truth")
    if isinstance(truth, dict) and truth.get("n"):
        detail = (
            f"{truth.get('ties', 0)} ties; {truth.get('both_correct', 0)} both correct, "
            f"{truth.get('neither_correct', 0)} neither (not scored)"
        )
        tables.append(
            Table(
                "Judge vs verified truth (pairs with exactly one correct side)",
                ["", "Picked the correct side", "Share", "Interval", "Other pairs"],
                [_share_row("judge", truth, detail)],
            )
        )
    return tables


def _perplexity_table(payload: dict[str, Any]) -> list[Table]:
    rows = [
        [
            str(m.get("model")),
            cell(m.get("perplexity")),
            str(m.get("band")),
            f"{m.get('tokens', 0):,}",
            cell(m.get("mean_nll")),
        ]
        for m in payload.get("models", [])
    ]
    table = Table(
        "Perplexity (transformers, reference answers)",
        ["Model", "Perplexity", "Band (seed 000)", "Tokens", "Mean NLL"],
        rows,
    )
    note = Table("How to read perplexity", ["", ""], [["reading", str(payload.get("reading", ""))]])
    return [table, note]


def notes_tables(summary: Summary) -> list[Table]:
    """The run's typed notes (screens, outputs cut for the judge, batch mode), one table each."""
    notes = summary.notes
    if notes is None:
        return []
    titled = (("What the screens flagged", notes.screen), ("Outputs cut for the judge", notes.outputs_cut),
              ("Batch mode (OpenAI Batch API)", notes.batch))  # fmt: skip
    return [_table_of(title, part.model_dump()) for title, part in titled if part is not None]


def imported_table(s: Summary) -> Table | None:
    """An imported file's source, rows and the source tool's own numbers, or None for a run."""
    imp = s.imported
    if imp is None:
        return None
    rows = [
        ["Source", "AlpacaEval annotations" if imp.tool == "alpaca_eval" else "verdict file"],
        ["File", imp.file],
        ["Rows read", f"{imp.rows:,}"],
        ["Rows without a verdict (failed)", f"{imp.skipped:,}"],
        ["Order the judge saw recorded", "yes" if imp.position_recorded else "no"],
    ]
    theirs = imp.alpaca_eval
    if theirs is not None:
        rows += [
            ["AlpacaEval win rate (its way)", pct(theirs.preference, 2)],
            ["AlpacaEval standard error", pct(theirs.preference_se, 2)],
            ["Preferences (wins / draws / reference wins)",
             f"{theirs.n_wins} / {theirs.n_draws} / {theirs.n_wins_base} of {theirs.n_total}"],
        ]  # fmt: skip
    return Table("Imported file", ["", ""], rows)


def extras_tables(extras: dict[str, Any]) -> list[Table]:
    """Tables for the extras a run carries: checks and perplexity get their own layout; anything else
    generic (a dict of dicts becomes rows x columns, a list of dicts a table, a flat dict key/value
    rows, a scalar one row; anything deeper is shown as JSON text in its cell).
    """
    tables: list[Table] = []
    for key, value in extras.items():
        if key == "checks" and isinstance(value, dict) and {"accuracy", "judge_vs_truth"} & value.keys():
            tables += _checks_tables(value)
        elif key == "perplexity" and isinstance(value, dict) and "models" in value:
            tables += _perplexity_table(value)
        else:
            tables.append(_table_of(str(key).replace("_", " ").capitalize(), value))
    return tables
