"""A file of existing outputs as a backend: JSONL lines ``{"id": ..., "output": ...}``."""

from __future__ import annotations

from judge.errors import InputError
from judge.inputs import load_outputs
from judge.records import Generation, PromptItem, Role
from judge.specs import ModelSpec

__all__ = ["file_generations"]


def file_generations(spec: ModelSpec, items: list[PromptItem], role: Role) -> list[Generation]:
    """The outputs a file holds for ``items``, in their order.

    Not cached: the file is the store, and reading it again picks up the user's edits.

    Raises:
        InputError: the file is malformed, or lacks an output for one of the items.
    """
    if spec.outputs is None:
        raise ValueError(f"model {spec.name!r} has no outputs file")
    found = load_outputs(spec.outputs, role, model=spec.name)
    missing = [item.id for item in items if item.id not in found]
    if missing:
        raise InputError(spec.outputs, None, f"no output for {len(missing)} prompt id(s), e.g. {missing[:5]}")
    return [found[item.id] for item in items]
