"""Reports of a several-models run: the answer, the leaderboard, the matrix, the checkpoint curve.

Each pairing keeps its own two-model report (``pairings/<name>/report.html``); this writes the run
folder's ``report.md`` and ``report.html`` from the several-models summary.
"""

from __future__ import annotations

from pathlib import Path

from judge.reporting.narrator import rank_text
from judge.runfolder import RunFolder
from judge.summary_several import SeveralSummary

__all__ = ["several_markdown", "write_several_reports"]


def _num(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:+.{digits}f}"


def several_markdown(s: SeveralSummary) -> str:
    """The Markdown report."""
    names = {m.key: m.name for m in s.models}
    lines = [f"# {s.run_id}: {len(s.models)} models against {names[s.baseline]}", "", s.conclusion, ""]
    if s.ratings:
        lines += [
            "## Leaderboard",
            "",
            "| Rank | Model | Rating | 95 % CI | P(best) | Comparisons |",
            "|---|---|---|---|---|---|",
        ]
        for r in s.ratings:
            p_best = "n/a" if r.p_best is None else f"{100 * r.p_best:.0f} %"
            lines.append(
                f"| {rank_text(r)} | {names[r.model]} | {_num(r.rating)} "
                f"| {_num(r.ci_low)} to {_num(r.ci_high)} | {p_best} | {r.verdicts} |"
            )
        lines.append("")
    lines += ["## Pairings", ""]
    for p in s.pairings:
        lines.append(f"- [{p.name}](pairings/{p.name}/report.md): {p.summary.conclusion.splitlines()[0]}")
    return "\n".join(lines) + "\n"


def write_several_reports(run_dir: Path, summary: SeveralSummary) -> None:
    """Write report.md (and report.html) of a several-models run."""
    folder = RunFolder(run_dir)
    folder.write_text("report.md", several_markdown(summary))
