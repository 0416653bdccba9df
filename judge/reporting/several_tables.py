"""The tables of a several-models report, as display strings; whoever renders them escapes them.

The win-rate matrix also carries a shade per cell (a CSS class in report.html: the page's
Content-Security-Policy allows no inline style, so colours come from the stylesheet).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from judge.reporting.narrator import (
    decision_text,
    p_best_text,
    pairing_answer,
    preference_text,
    rank_text,
    rating_text,
    rating_values_text,
)
from judge.reporting.tables import Table, spend_rows
from judge.reporting.words import pct
from judge.summary_several import Checkpoints, PairingResult, Rating, SeveralSummary

__all__ = [
    "Shaded",
    "category_notes",
    "category_ranking_table",
    "checkpoint_table",
    "leaderboard_table",
    "matrix_table",
    "model_names",
    "pairings_table",
    "several_usage_table",
    "shade",
]


@dataclass(frozen=True)
class Shaded(Table):
    """A table whose cells each carry a shade (a class name, "" for none)."""

    shades: list[list[str]] = field(default_factory=list)


def model_names(s: SeveralSummary) -> dict[str, str]:
    """Model key -> display name (the baseline marked)."""
    return {m.key: m.name + (" (baseline)" if m.key == s.baseline else "") for m in s.models}


def _vs_baseline(s: SeveralSummary) -> dict[str, PairingResult]:
    return {p.candidate: p for p in s.pairings if p.vs_baseline}


def _leader_row(s: SeveralSummary, r: Rating, names: dict[str, str]) -> list[str]:
    p = _vs_baseline(s).get(r.model)
    against = ["baseline", ""] if r.model == s.baseline else ["not compared", ""]
    if p is not None:
        against = [preference_text(p), decision_text(p, s.alpha)]
    return [rank_text(r), names[r.model], rating_text(r), p_best_text(r.p_best), *against, str(r.verdicts)]


def leaderboard_table(s: SeveralSummary) -> Table:
    """Rank with its range, model, rating with its interval, P(best), the result against the
    baseline with the Holm-adjusted decision, comparisons; best first."""
    names = model_names(s)
    base = names[s.baseline].removesuffix(" (baseline)")
    headers = ["Rank", "Model", "Rating (95 % CI)", "P(best)", f"Preferred over {base} (95 % CI)",
               f"Decision vs {base}", "Comparisons"]  # fmt: skip
    if s.ratings:
        rows = [_leader_row(s, r, names) for r in s.ratings]
    else:  # no ranking: still every model's result against the baseline
        rows = [_unranked_row(s, key, names) for key in names]
    return Table("Leaderboard", headers, rows)


def _unranked_row(s: SeveralSummary, key: str, names: dict[str, str]) -> list[str]:
    p = _vs_baseline(s).get(key)
    against = [("baseline" if key == s.baseline else "not compared"), ""]
    if p is not None:
        against = [preference_text(p), decision_text(p, s.alpha)]
    return ["n/a", names[key], "n/a", "n/a", *against, ""]


def shade(preference: float | None) -> str:
    """The matrix cell's class: ``m-2`` (row clearly not preferred) to ``m2`` (clearly preferred)."""
    if preference is None:
        return "na"
    for bound, name in ((0.35, "m-2"), (0.45, "m-1"), (0.55, "m0"), (0.65, "m1")):
        if preference < bound:
            return name
    return "m2"


def _order(s: SeveralSummary) -> list[str]:
    return [r.model for r in s.ratings] if s.ratings else [m.key for m in s.models]


def matrix_table(s: SeveralSummary) -> Shaded | None:
    """The pairwise win-rate matrix, rows and columns best first (None without comparisons)."""
    if not s.matrix:
        return None
    names, order = model_names(s), _order(s)
    cells = {(c.row, c.col): c for c in s.matrix}
    rows, shades = [], []
    for row in order:
        texts, classes = [names[row]], ["name"]
        for col in order:
            c = cells.get((row, col))
            if row == col:
                texts.append("—")
                classes.append("diag")
            elif c is None or c.preference is None:
                texts.append("·")
                classes.append("na")
            else:
                texts.append(f"{pct(c.preference)} (n = {c.comparisons})")
                classes.append(shade(c.preference))
        rows.append(texts)
        shades.append(classes)
    headers = ["Row preferred over →", *(names[k] for k in order)]
    return Shaded("Pairwise win-rate matrix", headers, rows, shades)


def checkpoint_table(s: SeveralSummary) -> Table | None:
    """The curve's numbers: step, model, preference against the baseline, rating; best marked."""
    c = s.checkpoints
    if c is None:
        return None
    names, rows = model_names(s), []
    vs = _vs_baseline(s)
    for point in c.points:
        pref = preference_text(vs[point.model]) if point.model in vs else "baseline (50 %)"
        rating = rating_values_text(point.rating, point.ci_low, point.ci_high)
        rows.append([str(point.step), names[point.model], pref, rating, _mark(point.step, c)])
    base = names[s.baseline].removesuffix(" (baseline)")
    headers = ["Step", "Model", f"Preferred over {base} (95 % CI)", "Rating (95 % CI)", ""]
    return Table("Checkpoints by training step", headers, rows)


def _mark(step: int, c: Checkpoints) -> str:
    if step == c.best_step:
        return "best" + ("" if c.p_best is None else f" (P(best) {p_best_text(c.p_best)})")
    return "cannot be told from the best" if step in c.not_distinguishable else ""


def category_ranking_table(s: SeveralSummary) -> Table | None:
    """Models (rows, overall order) by category (columns): the rank there and the rating."""
    if not s.per_category:
        return None
    names, order = model_names(s), _order(s)
    headers = ["Model", *(c.category for c in s.per_category)]
    by_cat = [{r.model: r for r in c.ratings or []} for c in s.per_category]
    rows = []
    for key in order:
        cells = [names[key]]
        for ratings in by_cat:
            r = ratings.get(key)
            cells.append(f"{rank_text(r)} ({r.rating:+.2f})" if r is not None else "n/a")
        rows.append(cells)
    return Table("Ranking per category", headers, rows)


def category_notes(s: SeveralSummary) -> list[str]:
    """Why a category has no ranking ("n/a" in its column)."""
    return [f"{c.category}: {c.note}" for c in s.per_category if c.ratings is None and c.note]


def pairings_table(s: SeveralSummary) -> Table:
    """Each pairing with its one-line answer and the Holm-adjusted decision where it has one."""
    rows = [[p.name, pairing_answer(p), decision_text(p, s.alpha)] for p in s.pairings]
    return Table("Pairings", ["Pairing", "Its answer", "Decision, corrected for several models"], rows)


def several_usage_table(s: SeveralSummary) -> Table:
    """The judge, the models and where their outputs came from, calls, tokens and cost."""
    u = s.usage
    rows = [[f"Judge {k}", v] for k, v in sorted(s.judge.items())]
    for m in s.models:
        step = "" if m.step is None else f", step {m.step}"
        rows.append([f"Model {m.key}", f"{m.name} ({m.source}{step})"])
    rows += [*spend_rows(u), ["Run", f"{s.run_id} ({s.created})"]]
    return Table("Judge, models, tokens and cost", ["", ""], rows)
