"""The checks stage: attach side signals to each output before judging (see judge.checks)."""

from __future__ import annotations

from typing import Any

from judge.config import RunConfig
from judge.records import Generation, PromptItem, Result, Role

__all__ = ["apply_checks"]


def apply_checks(
    config: RunConfig, items: list[PromptItem], gens: dict[Role, dict[str, Generation]]
) -> tuple[dict[Role, dict[str, Generation]], dict[str, tuple[Result, str]], dict[str, Any]]:
    """Run the checks on every output.

    Returns:
        (generations with ``checks`` filled, item id -> (result, reason) for pairs decided by a
        check, summary extras).
    """
    return gens, {}, {}
