"""Generation backends behind one function: :func:`generate`.

A spec's outputs come from an OpenAI-compatible server, a local transformers model (+ LoRA), a
bundled model served by a llama.cpp server that judge starts itself, or a file. Outputs are cached
by (spec identity, parameters, prompt): a re-run regenerates nothing and opens no model, and each
batch is stored as soon as it finishes, so a crash loses at most the batch in flight.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from judge.generation.backends.base import Backend, GenerationCache, Progress, cache_keys, spec_identity
from judge.generation.backends.files import file_generations
from judge.records import Generation, PromptItem, Role
from judge.specs import ModelSpec

__all__ = [
    "Backend",
    "GenerationCache",
    "Progress",
    "cache_keys",
    "generate",
    "open_backend",
    "spec_identity",
]


@contextlib.asynccontextmanager
async def open_backend(
    spec: ModelSpec, *, log_dir: str | None = None, servers_at_once: int = 1
) -> AsyncIterator[Backend]:
    """Open the backend that serves ``spec`` (loading a model or starting a server), close it after.

    Args:
        spec: an ``openai``, ``hf`` or ``bundled`` spec (files need no backend).
        log_dir: folder for the local server's log (bundled specs); a temp folder when None.
        servers_at_once: local servers running at the same time (they share the cores).
    """
    backend: Backend
    if spec.kind == "hf":
        from judge.generation.backends.hf import HFBackend

        backend = HFBackend(spec)
    elif spec.kind == "bundled":
        from judge.generation.backends.served import ServedBackend

        backend = await ServedBackend.start(spec, log_dir=log_dir, servers_at_once=servers_at_once)
    elif spec.kind == "openai":
        from judge.generation.backends.openai_compat import OpenAIBackend

        backend = OpenAIBackend(spec, concurrency=spec.batch_size)  # batch_size: requests in flight
    else:
        raise ValueError(f"model {spec.name!r}: a {spec.kind} spec has no generation backend")
    try:
        yield backend
    finally:
        await backend.aclose()


async def generate(
    spec: ModelSpec,
    items: list[PromptItem],
    *,
    role: Role,
    cache: GenerationCache | None = None,
    progress: Progress | None = None,
    log_dir: str | None = None,
    servers_at_once: int = 1,
) -> list[Generation]:
    """Outputs of ``spec`` for ``items``, from the cache where possible.

    Args:
        spec: the model and its parameters.
        items: prompts, answered in this order.
        role: the side these outputs are on.
        cache: where outputs persist between runs (None: nothing is reused).
        progress: called with ``(done, total)`` after the cached items and after each batch.
        log_dir: folder for a local server's log.
        servers_at_once: local servers generating at the same time, this one included (they
            share the cores: see :func:`judge.generation.server.default_threads`).

    Returns:
        One Generation per item, in order, with ``model = spec.name``.

    Raises:
        ConfigError: the backend cannot be opened (missing packages, bad paths).
        InputError: an outputs file is malformed or incomplete.
        APIError: a server failed for good.
    """
    if spec.kind == "file":
        gens = file_generations(spec, items, role)
        if progress:
            progress(len(items), len(items))
        return gens
    keys = cache_keys(spec, items)
    texts: dict[int, str] = {}
    if cache is not None:
        texts = {i: t for i, k in enumerate(keys) if (t := cache.get(k)) is not None}
    todo = [i for i in range(len(items)) if i not in texts]
    if progress:
        progress(len(texts), len(items))
    if todo:
        # The model is opened only when something is missing: a cached re-run takes seconds.
        async with open_backend(spec, log_dir=log_dir, servers_at_once=servers_at_once) as backend:
            for start in range(0, len(todo), backend.batch_size):
                batch = todo[start : start + backend.batch_size]
                outs = await backend.generate_batch([items[i] for i in batch])
                for i, text in zip(batch, outs, strict=True):
                    texts[i] = text
                    if cache is not None:
                        cache.put(keys[i], text)
                if progress:
                    progress(len(texts), len(items))
    return [
        Generation(item_id=it.id, role=role, output=texts[i], model=spec.name) for i, it in enumerate(items)
    ]
