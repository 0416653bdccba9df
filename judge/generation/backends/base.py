"""What every generation backend shares: the cache protocol, cache keys and the backend protocol."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from judge.records import PromptItem
from judge.specs import ModelSpec

__all__ = ["Backend", "GenerationCache", "Progress", "cache_keys", "spec_identity"]

Progress = Callable[[int, int], None]
"""Called after each finished batch with ``(done, total)`` prompts; drives a progress bar with ETA."""


@runtime_checkable
class GenerationCache(Protocol):
    """Where finished outputs are kept between runs (the run ledger implements it)."""

    def get(self, key: str) -> str | None:
        """The stored output for ``key``, or None."""
        ...

    def put(self, key: str, text: str) -> None:
        """Store ``text`` under ``key`` durably before returning."""
        ...


class Backend(Protocol):
    """A source of outputs that is opened only when something is not cached."""

    batch_size: int

    async def generate_batch(self, items: list[PromptItem]) -> list[str]:
        """Outputs for ``items``, in order."""
        ...

    async def aclose(self) -> None:
        """Release models, servers and connections."""
        ...


def _fingerprint(path: Path) -> str:
    # The adapter's bytes, not its path: retraining it in place must not reuse old outputs.
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relative_to(path).as_posix().encode() if path.is_dir() else b"")
        digest.update(file.read_bytes())
    return digest.hexdigest()


def spec_identity(spec: ModelSpec) -> dict[str, object]:
    """What decides a spec's outputs: the source and parameters, not the display name.

    The API key variable, the batch size and the checkpoint step are left out: none changes what a
    model writes.
    """
    ident = spec.model_dump(mode="json", exclude={"name", "api_key_env", "batch_size", "step"})
    if spec.adapter is not None and spec.adapter.exists():
        ident["adapter_sha256"] = _fingerprint(spec.adapter)
    return ident


def cache_keys(spec: ModelSpec, items: list[PromptItem]) -> list[str]:
    """The generation cache key of each item: sha256 of (spec identity without name, parameters, prompt).

    Args:
        spec: the model; its adapter (if any) is hashed once here.
        items: the prompts.

    Returns:
        One 64-hex key per item, in order.
    """
    ident = json.dumps(spec_identity(spec), sort_keys=True)
    return [hashlib.sha256(json.dumps([ident, item.prompt]).encode()).hexdigest() for item in items]
