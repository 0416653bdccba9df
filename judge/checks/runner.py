"""Run the configured checks over a prompt set's outputs (for ``judge check`` and ``judge run``).

Per output: the degeneration and injection screens always; sandboxed execution when the item's metadata says
``"check": "procedural"``; tool-call scoring when the metadata holds ``"expected_call"`` (None
there means a direct answer is right). Results are plain JSON values, ready for
``Generation.checks``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from judge.checks.degeneration import Thresholds, screen
from judge.checks.injection import screen_injection
from judge.checks.procedural import check_answers
from judge.checks.sandbox import SandboxLimits
from judge.checks.toolcalls import score_tool_call
from judge.errors import InputError
from judge.records import Generation, PromptItem, Role

__all__ = ["attach_checks", "correctness", "run_checks"]

Key = tuple[str, Role]


def _is_code(item: PromptItem) -> bool:
    return (
        item.metadata.get("check") == "procedural"
        or bool(item.metadata.get("code"))
        or item.category == "code"
    )


def _index(items: Sequence[PromptItem], gens: Sequence[Generation], source: str) -> dict[str, PromptItem]:
    by_id = {item.id: item for item in items}
    for gen in gens:
        if gen.item_id not in by_id:
            raise InputError(source, None, f"output for unknown item id {gen.item_id!r}")
    return by_id


def run_checks(
    items: Sequence[PromptItem],
    generations: Sequence[Generation],
    *,
    limits: SandboxLimits | None = None,
    thresholds: Thresholds | None = None,
    workers: int = 2,
    source: str = "<outputs>",
) -> dict[Key, dict[str, Any]]:
    """Compute every applicable check for every output.

    Args:
        items: the prompt set.
        generations: outputs of any roles, each answering one of ``items``.
        limits: sandbox limits for procedural items.
        thresholds: degeneration cut-offs.
        workers: sandboxed programs running at once.
        source: name of the outputs file, for error messages.

    Returns:
        ``(item_id, role) -> {"degeneration": {...}, "injection": {...}, "procedural": {...}?,
        "toolcall": {...}?}``.

    Raises:
        InputError: an output answers an item id that is not in ``items``.
    """
    by_id = _index(items, generations, source)
    results: dict[Key, dict[str, Any]] = {}
    for gen in generations:
        item = by_id[gen.item_id]
        entry: dict[str, Any] = {
            "degeneration": screen(gen.output, code=_is_code(item), thresholds=thresholds).model_dump(),
            "injection": screen_injection(gen.output),
        }
        if "expected_call" in item.metadata:
            entry["toolcall"] = score_tool_call(gen.output, item.metadata["expected_call"])
        results[(gen.item_id, gen.role)] = entry
    procedural = [g for g in generations if by_id[g.item_id].metadata.get("check") == "procedural"]
    executed = check_answers(
        [(by_id[g.item_id], g.output) for g in procedural], limits=limits, workers=workers
    )
    for gen, result in zip(procedural, executed, strict=True):
        meta = by_id[gen.item_id].metadata
        extra = {"kind": meta.get("kind"), "difficulty": meta.get("difficulty"), "split": meta.get("split")}
        results[(gen.item_id, gen.role)]["procedural"] = {**result.model_dump(), **extra}
    return results


def correctness(checks: Mapping[Key, Mapping[str, Any]]) -> dict[Key, bool]:
    """Verified right/wrong per output, for :func:`judge.checks.truth_report`.

    Args:
        checks: what :func:`run_checks` returned (or ``Generation.checks`` gathered by key).

    Returns:
        ``(item_id, role) -> correct`` for outputs with a procedural or tool-call verdict
        (procedural wins when both exist); other outputs are left out.
    """
    out: dict[Key, bool] = {}
    for key, entry in checks.items():
        for name in ("procedural", "toolcall"):
            verdict = entry.get(name, {}).get("correct")
            if isinstance(verdict, bool):
                out[key] = verdict
                break
    return out


def attach_checks(
    generations: Iterable[Generation], checks: Mapping[Key, dict[str, Any]]
) -> list[Generation]:
    """Copies of ``generations`` with their ``checks`` field filled from ``checks`` (others unchanged)."""
    return [
        g.model_copy(update={"checks": {**g.checks, **checks[(g.item_id, g.role)]}})
        if (g.item_id, g.role) in checks
        else g
        for g in generations
    ]
