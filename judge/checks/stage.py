"""The checks stage: attach side signals to each output before judging (see judge.checks).

Degeneration and prompt injection are screened for every output, procedural answers are
executed in the sandbox (or recorded as not run, with the reason, when there is none),
expected tool calls are scored. With ``decide_degenerate = true`` a pair with a degenerate
side is decided here, without paying the judge, and recorded as decided-by-check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TypeVar

from judge.checks import attach_checks, correctness, decide_pair, run_checks
from judge.checks.truth import typed_accuracy, typed_truth
from judge.config import RunConfig
from judge.findings import Checks
from judge.records import ROLES, Generation, Outcome, PromptItem, Result, Role
from judge.summary import ScreenNotes, Verification

__all__ = ["apply_checks", "check_each", "pair_checks", "verification"]

K = TypeVar("K", bound=str)


def _degeneration_counts(gens: dict[Role, dict[str, Generation]]) -> dict[str, dict[str, int]]:
    def label(g: Generation) -> str:
        return g.checks.degeneration.label if g.checks.degeneration else "unknown"

    return {role: dict(Counter(label(g) for g in gens[role].values())) for role in ROLES}


def _screen_notes(checks: dict[tuple[str, Role], Checks]) -> ScreenNotes | None:
    """Counts worth a line in the summary: outputs flagged as injections, programs not run."""
    flagged = sum(c.injection_suspected for c in checks.values())
    not_run = [c.procedural for c in checks.values() if c.procedural and c.procedural.status == "not_run"]
    if not flagged and not not_run:
        return None
    reason = not_run[0].reason if not_run else None
    return ScreenNotes(injection_flagged=flagged, programs_not_run=len(not_run), not_run_reason=reason)


def apply_checks(
    config: RunConfig, items: list[PromptItem], gens: dict[Role, dict[str, Generation]]
) -> tuple[dict[Role, dict[str, Generation]], dict[str, tuple[Result, str]], ScreenNotes | None]:
    """Run the checks on every output.

    Returns:
        (generations with ``checks`` filled, item id -> (result, reason) for pairs decided by a
        check, what the screens flagged (None: nothing)).
    """
    checked = check_each(config, items, gens)
    decided, screen = pair_checks(config, items, checked)
    return checked, decided, screen


def check_each(
    config: RunConfig, items: list[PromptItem], gens: Mapping[K, dict[str, Generation]]
) -> dict[K, dict[str, Generation]]:
    """The checks on each side's (or, several models, each model's) outputs, once.

    Args:
        gens: role or model key -> item id -> that side's generation.

    Returns:
        The same generations with ``checks`` filled.
    """
    out: dict[K, dict[str, Generation]] = {}
    for key, side in gens.items():
        flat = [side[item.id] for item in items]
        checked = attach_checks(flat, run_checks(items, flat, source=str(config.prompts)))
        out[key] = {g.item_id: g for g in checked}
    return out


def pair_checks(
    config: RunConfig, items: list[PromptItem], gens: dict[Role, dict[str, Generation]]
) -> tuple[dict[str, tuple[Result, str]], ScreenNotes | None]:
    """For a pairing whose generations are checked: the pairs a check decides (``decide_degenerate``)
    and what the screens flagged."""
    checks = {(g.item_id, role): g.checks for role in ROLES for g in gens[role].values()}
    decided: dict[str, tuple[Result, str]] = {}
    if config.decide_degenerate:
        for item in items:
            verdict = decide_pair(checks[(item.id, "finetuned")], checks[(item.id, "base")])
            if verdict is not None:
                decided[item.id] = verdict
    return decided, _screen_notes(checks)


def verification(
    outcomes: list[Outcome], gens: dict[Role, dict[str, Generation]], judge_saw_evidence: bool = False
) -> Verification:
    """What the checks verified: each model's accuracy (McNemar), judge vs truth, degeneration counts.

    Args:
        outcomes: the run's un-blinded outcomes.
        gens: generations with their checks attached.
        judge_saw_evidence: the judge was shown the checks' facts (``[judge] evidence``), so its
            agreement with the truth is not an independent measure.
    """
    right = correctness({(g.item_id, g.role): g.checks for role in ROLES for g in gens[role].values()})
    return Verification(
        accuracy=typed_accuracy(right) if right else None,
        judge_vs_truth=typed_truth(outcomes, right, judge_saw_evidence) if right else None,
        degeneration=_degeneration_counts(gens),
    )
