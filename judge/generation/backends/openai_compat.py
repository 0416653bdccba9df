"""Generation through any OpenAI-compatible server (vLLM, Ollama, llama.cpp, LM Studio, OpenAI).

Calls go through :class:`judge.client.ChatClient`, so retries, bounded concurrency and usage
accounting are the spine's. Per-model parameters map onto the request: ``top_p`` and ``stop`` as
standard fields, ``top_k`` as an extra body field (ignored by servers that do not know it), the
system prompt as a leading system message (chat API only).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from judge.client import ChatClient
from judge.records import PromptItem
from judge.specs import GenerationParams, ModelSpec

__all__ = ["OpenAIBackend", "request_extra"]


def request_extra(params: GenerationParams) -> dict[str, Any]:
    """Request fields beyond the client's named ones for these parameters."""
    extra: dict[str, Any] = {"top_p": params.top_p}
    if params.top_k is not None:
        extra["top_k"] = params.top_k
    if params.stop:
        extra["stop"] = list(params.stop)
    return extra


class OpenAIBackend:
    """Outputs from an OpenAI-compatible endpoint, one request per prompt, many in flight.

    Args:
        spec: a spec with ``base_url`` and ``model`` (or a served bundled model, see ``served``).
        base_url: overrides ``spec.base_url`` (used for the local server judge starts itself).
        model: overrides ``spec.model``.
        concurrency: requests in flight at once.
        timeout: seconds per attempt (a CPU server queueing requests needs minutes, not the default).
    """

    def __init__(
        self,
        spec: ModelSpec,
        *,
        base_url: str | None = None,
        model: str | None = None,
        concurrency: int = 8,
        timeout: float = 120.0,
    ) -> None:
        self.spec = spec
        self.batch_size = max(spec.batch_size, 1)
        key_env = spec.api_key_env or "OPENAI_API_KEY"
        self._client = ChatClient(
            model or spec.model or "", base_url=base_url or spec.base_url, api_key=os.environ.get(key_env),
            api_key_env=key_env, concurrency=concurrency, timeout=timeout,
        )  # fmt: skip

    async def generate_batch(self, items: list[PromptItem]) -> list[str]:
        """Outputs for ``items``, in order (requests run concurrently up to the client's bound)."""
        return list(await asyncio.gather(*(self._one(item.prompt) for item in items)))

    async def _one(self, prompt: str) -> str:
        p = self.spec.params
        extra = request_extra(p)
        if self.spec.api == "completions":
            reply = await self._client.complete(
                prompt, temperature=p.temperature, max_tokens=p.max_tokens, seed=p.seed, extra=extra
            )
            return reply.text
        messages = [{"role": "system", "content": p.system}] if p.system else []
        messages.append({"role": "user", "content": prompt})
        reply = await self._client.chat(
            messages, temperature=p.temperature, max_tokens=p.max_tokens, seed=p.seed, extra=extra
        )
        return reply.text

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.aclose()
