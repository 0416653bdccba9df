"""The summary's typed section for another tool's verdict file: ``Summary.imported``.

When ``judge stats FILE`` or ``judge report FILE`` reads someone else's verdicts (AlpacaEval
annotations, a CSV/JSONL of winners), the summary says where they came from and, for AlpacaEval,
the tool's own headline numbers computed its way, so that ours can be read beside them. Records
only, no judge imports (re-exported by :mod:`judge.summary`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from judge.summary_base import Part

__all__ = ["AlpacaEvalNumbers", "ImportedFile"]


class AlpacaEvalNumbers(Part):
    """AlpacaEval's own numbers for an annotations file, computed the way AlpacaEval computes them.

    Draws (preference 0 or 1.5) count as half and null preferences are dropped.
    """

    win_rate: float | None = Field(
        description="AlpacaEval's (raw, not length-controlled) win rate: mean of (preference - 1), in "
        "percent, as its leaderboard prints it. None when no row has a preference."
    )
    standard_error: float | None = Field(description="Its standard error (ddof = 1), in percent.")
    preference: float | None = Field(description="The win rate as a fraction (our preference's scale).")
    preference_se: float | None = Field(description="The standard error as a fraction.")
    n_wins: int = Field(description="Rows where the file's model (output_2) was preferred.")
    n_wins_base: int = Field(description="Rows where the reference (output_1) was preferred.")
    n_draws: int = Field(description="Rows judged a draw.")
    n_total: int = Field(description="Rows with a preference (wins + reference wins + draws).")


class ImportedFile(Part):
    """Where an imported summary's verdicts came from, and what the source tool itself reported."""

    tool: Literal["alpaca_eval", "verdict file"] = Field(
        description="The file's format: AlpacaEval annotations, or a generic CSV/JSONL of winners."
    )
    file: str = Field(description="The file's name (not its path).")
    rows: int = Field(description="Rows read as pairs, those without a valid verdict included.")
    skipped: int = Field(description="Rows without a valid verdict (counted as failed, not as losses).")
    position_recorded: bool = Field(
        description="Some rows record the order the judge saw (AlpacaEval's CoT annotators): only "
        "those enter the position figures."
    )
    alpaca_eval: AlpacaEvalNumbers | None = Field(
        default=None, description="AlpacaEval's own headline numbers (AlpacaEval files only)."
    )
