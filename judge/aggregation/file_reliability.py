"""The judge's reliability from a file of someone else's verdicts (``judge stats FILE``).

AlpacaEval's annotation files hold both outputs and the verdict, so the length preference can be
measured on any of them. The order the judge saw is recorded only by its CoT annotators: their
prompt shows ``output_1`` as model "m" first and ``output_2`` as "M" second after a random switch,
and ``referenced_models`` says which output each label was; so the output behind "m" was shown
first (label A here). Without that field no position claim is made.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from judge.aggregation.reliability import JudgedPair
from judge.records import Role, Winner

__all__ = ["alpaca_judged", "label_counts"]


def _winner_output(preference: Any) -> str | None:
    """ "output_1", "output_2" or None (a draw, or unreadable)."""
    try:
        value = float(preference)
    except (TypeError, ValueError):
        return None
    return "output_1" if value == 1.0 else "output_2" if value == 2.0 else None


def _shown_first(referenced: Any) -> str | None:
    if isinstance(referenced, str):
        try:
            referenced = ast.literal_eval(referenced)
        except (ValueError, SyntaxError):
            return None
    first = referenced.get("m") if isinstance(referenced, dict) else None
    return first if first in ("output_1", "output_2") else None


def _judged(i: int, row: Mapping[str, Any]) -> tuple[JudgedPair, bool] | None:
    if "output_1" not in row or "output_2" not in row or "preference" not in row:
        return None
    shown = _shown_first(row.get("referenced_models"))
    first = shown or "output_1"
    second = "output_2" if first == "output_1" else "output_1"
    won = _winner_output(row["preference"])
    winner: Winner = "tie" if won is None else "A" if won == first else "B"
    a_role: Role = "base" if first == "output_1" else "finetuned"  # output_2 is the file's model
    pair = JudgedPair(f"row-{i}", f"row-{i}", 0, 1, 1, winner, a_role,
                      len(str(row[first] or "")), len(str(row[second] or "")))  # fmt: skip
    return pair, shown is not None


def alpaca_judged(rows: Iterable[Mapping[str, Any]]) -> tuple[list[JudgedPair], list[JudgedPair]]:
    """The file's verdicts as judged pairs: all of them, and those whose row records the order seen.

    Without a recorded order, label A is ``output_1`` (only the length figures mean anything then).
    """
    found = [j for i, row in enumerate(rows) if (j := _judged(i, row)) is not None]
    return [p for p, _ in found], [p for p, known in found if known]


def label_counts(judged: Iterable[JudgedPair]) -> Counter[Winner]:
    """Labels chosen, for the position figures (only when the order was recorded)."""
    return Counter(p.winner for p in judged)
