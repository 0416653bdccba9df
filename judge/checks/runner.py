"""Run the configured checks over a prompt set's outputs (for ``judge check`` and ``judge run``).

Per output: the degeneration and injection screens always; sandboxed execution when the item's
metadata says ``"check": "procedural"``; tool-call scoring when the metadata holds ``"expected_call"`` (None
there means a direct answer is right). Results are typed :class:`~judge.findings.Checks`
records, ready for ``Generation.checks``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from judge.checks.degeneration import Thresholds, screen
from judge.checks.injection import screen_injection
from judge.checks.procedural import check_answers
from judge.checks.sandbox import SandboxLimits
from judge.checks.toolcalls import score_tool_call
from judge.errors import InputError
from judge.findings import Checks, Execution
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
) -> dict[Key, Checks]:
    """Compute every applicable check for every output.

    Args:
        items: the prompt set.
        generations: outputs of any roles, each answering one of ``items``.
        limits: sandbox limits for procedural items.
        thresholds: degeneration cut-offs.
        workers: sandboxed programs running at once.
        source: name of the outputs file, for error messages.

    Returns:
        ``(item_id, role) -> Checks`` (degeneration and injection always; procedural and toolcall
        where they apply).

    Raises:
        InputError: an output answers an item id that is not in ``items``.
    """
    by_id = _index(items, generations, source)
    results: dict[Key, Checks] = {}
    for gen in generations:
        item = by_id[gen.item_id]
        results[(gen.item_id, gen.role)] = Checks(
            degeneration=screen(gen.output, code=_is_code(item), thresholds=thresholds),
            injection=screen_injection(gen.output),
            toolcall=score_tool_call(gen.output, item.metadata["expected_call"])
            if "expected_call" in item.metadata
            else None,
        )
    procedural = [g for g in generations if by_id[g.item_id].metadata.get("check") == "procedural"]
    executed = check_answers(
        [(by_id[g.item_id], g.output) for g in procedural], limits=limits, workers=workers
    )
    for gen, result in zip(procedural, executed, strict=True):
        meta = by_id[gen.item_id].metadata
        extra = {"kind": meta.get("kind"), "difficulty": meta.get("difficulty"), "split": meta.get("split")}
        key = (gen.item_id, gen.role)
        execution = Execution.model_validate({**result.model_dump(), **extra})
        results[key] = results[key].model_copy(update={"procedural": execution})
    return results


def correctness(checks: Mapping[Key, Checks]) -> dict[Key, bool]:
    """Verified right/wrong per output, for :func:`judge.checks.truth_report`.

    Args:
        checks: what :func:`run_checks` returned (or ``Generation.checks`` gathered by key).

    Returns:
        ``(item_id, role) -> correct`` for outputs with a procedural or tool-call verdict
        (procedural wins when both exist); other outputs are left out.
    """
    return {key: entry.correct for key, entry in checks.items() if entry.correct is not None}


def attach_checks(generations: Iterable[Generation], checks: Mapping[Key, Checks]) -> list[Generation]:
    """Copies of ``generations`` with their ``checks`` filled from ``checks`` (the new findings replace
    the old ones check by check; outputs without new findings are unchanged)."""
    out = []
    for g in generations:
        new = checks.get((g.item_id, g.role))
        found = {} if new is None else {k: v for k, v in new if v is not None}
        out.append(g.model_copy(update={"checks": g.checks.model_copy(update=found)}) if found else g)
    return out
