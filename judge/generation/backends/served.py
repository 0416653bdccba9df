"""A bundled model served by a local llama.cpp server that this backend starts and stops."""

from __future__ import annotations

import asyncio
from pathlib import Path

from judge.errors import ConfigError
from judge.generation.backends.openai_compat import OpenAIBackend
from judge.generation.bundled import bundled_model_path
from judge.generation.server import LocalServer, default_threads
from judge.records import PromptItem
from judge.specs import ModelSpec

__all__ = ["ServedBackend"]


class ServedBackend:
    """Generation from a bundled GGUF (+ an optional GGUF LoRA) through :class:`LocalServer`.

    Build it with :meth:`start`; :meth:`aclose` stops the server.
    """

    def __init__(self, spec: ModelSpec, server: LocalServer) -> None:
        self.spec = spec
        self.server = server
        self.batch_size = spec.batch_size
        # No more requests in flight than the server has slots: the rest would wait in its queue,
        # time out client-side and be sent again, doubling the work on a CPU that is already the
        # bottleneck. A slow CPU reply is not a failure, hence the long timeout.
        slots = server.parallel if server.engine == "llama-server" else 1
        self._api = OpenAIBackend(
            spec, base_url=server.base_url, model=server.model_name, concurrency=slots, timeout=900.0
        )

    @classmethod
    async def start(
        cls, spec: ModelSpec, *, log_dir: str | Path | None = None, servers_at_once: int = 1
    ) -> ServedBackend:
        """Assemble the bundled model if needed, start its server, and wrap it.

        Args:
            spec: a bundled spec (and its GGUF LoRA, if any).
            log_dir: folder for the server's log.
            servers_at_once: local servers generating at the same time (they share the cores).

        Raises:
            ConfigError: unknown bundled name, missing packages, hash mismatch, or an adapter that
                is not a GGUF LoRA file.
            APIError: the server did not start.
        """
        if spec.bundled is None:
            raise ValueError(f"model {spec.name!r} is not a bundled model")
        if spec.adapter is not None and not spec.adapter.is_file():
            raise ConfigError(
                f"model {spec.name!r}: a bundled model's adapter must be a GGUF LoRA file, got {spec.adapter}"
                " (convert a PEFT folder with scripts/train_lora.py --gguf, or use hf = ... instead)"
            )
        path = await asyncio.to_thread(bundled_model_path, spec.bundled)
        server = LocalServer(
            path, lora_path=spec.adapter, model_name=spec.bundled, log_dir=log_dir,
            threads=default_threads(servers_at_once),
            threads_batch=default_threads(servers_at_once, batch=True),
        )  # fmt: skip
        await asyncio.to_thread(server.start)
        return cls(spec, server)

    async def generate_batch(self, items: list[PromptItem]) -> list[str]:
        """Outputs for ``items``, in order."""
        return await self._api.generate_batch(items)

    async def aclose(self) -> None:
        """Close connections and stop the server."""
        try:
            await self._api.aclose()
        finally:
            await asyncio.to_thread(self.server.stop)
