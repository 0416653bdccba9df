"""The checks stage: attach side signals to each output before judging (see judge.checks).

Degeneration and prompt injection are screened for every output, procedural answers are
executed in the sandbox (or recorded as not run, with the reason, when there is none),
expected tool calls are scored. With ``decide_degenerate = true`` a pair with a degenerate
side is decided here, without paying the judge, and recorded as decided-by-check.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from judge.checks import attach_checks, correctness, decide_pair, run_checks, truth_report
from judge.config import RunConfig
from judge.findings import Checks
from judge.records import ROLES, Generation, Outcome, PromptItem, Result, Role

__all__ = ["apply_checks", "truth_extras"]


def _degeneration_counts(gens: dict[Role, dict[str, Generation]]) -> dict[str, dict[str, int]]:
    def label(g: Generation) -> str:
        return g.checks.degeneration.label if g.checks.degeneration else "unknown"

    return {role: dict(Counter(label(g) for g in gens[role].values())) for role in ROLES}


def _screen_extras(checks: dict[tuple[str, Role], Checks]) -> dict[str, Any]:
    """Counts worth a line in the summary: outputs flagged as injections, programs not run."""
    flagged = sum(c.injection_suspected for c in checks.values())
    not_run = [c.procedural for c in checks.values() if c.procedural and c.procedural.status == "not_run"]
    extras: dict[str, Any] = {"injection_flagged": flagged} if flagged else {}
    if not_run:
        extras["procedural_not_run"] = {"count": len(not_run), "reason": not_run[0].reason or ""}
    return extras


def apply_checks(
    config: RunConfig, items: list[PromptItem], gens: dict[Role, dict[str, Generation]]
) -> tuple[dict[Role, dict[str, Generation]], dict[str, tuple[Result, str]], dict[str, Any]]:
    """Run the checks on every output.

    Returns:
        (generations with ``checks`` filled, item id -> (result, reason) for pairs decided by a
        check, summary extras).
    """
    flat = [gens[role][item.id] for item in items for role in ROLES]
    checks = run_checks(items, flat, source=str(config.prompts))
    checked = attach_checks(flat, checks)
    out: dict[Role, dict[str, Generation]] = {role: {} for role in ROLES}
    for gen in checked:
        out[gen.role][gen.item_id] = gen
    decided: dict[str, tuple[Result, str]] = {}
    if config.decide_degenerate:
        for item in items:
            verdict = decide_pair(checks[(item.id, "finetuned")], checks[(item.id, "base")])
            if verdict is not None:
                decided[item.id] = verdict
    return out, decided, {"degeneration": _degeneration_counts(out), **_screen_extras(checks)}


def truth_extras(outcomes: list[Outcome], gens: dict[Role, dict[str, Generation]]) -> dict[str, Any]:
    """Judge vs verified truth (only when some outputs have a verifiable answer)."""
    right = correctness({(g.item_id, g.role): g.checks for role in ROLES for g in gens[role].values()})
    return {"checks": truth_report(outcomes, right)} if right else {}
