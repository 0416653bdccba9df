"""The judge endpoint of a run, opened on the first call that the ledger cannot answer.

A re-run whose calls are all in the ledger opens no connection and, for a bundled judge,
never starts the local llama.cpp server (loading a model takes minutes; replaying takes
seconds).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from judge.client import ChatClient, ChatReply, Prices
from judge.config import JudgeSpec, RunConfig

if TYPE_CHECKING:
    from judge.client import RetryEvent
    from judge.generation.server import LocalServer

__all__ = ["LazyJudge", "judge_spec", "prices"]


def prices(config: RunConfig) -> Prices | None:
    """The judge's token prices, or None when the config gives none."""
    j = config.judge
    if j.price_input_per_mtok is None or j.price_output_per_mtok is None:
        return None
    return Prices(j.price_input_per_mtok, j.price_output_per_mtok)


def judge_spec(config: RunConfig) -> JudgeSpec:
    """The judge spec whose model name goes into every request (and so into the ledger keys)."""
    j = config.judge
    return j.model_copy(update={"model": j.bundled}) if j.bundled else j


def _client(spec: JudgeSpec, price: Prices | None) -> ChatClient:
    return ChatClient.for_judge(spec, price)


class LazyJudge:
    """A ChatLike that builds its client (and starts a bundled judge's server) on first use.

    Args:
        config: the run config (its ``judge`` section and run folder, for the server's log).
        on_retry: handed to the client, e.g. to count retries in a progress bar.
        before_send: handed to the client, checked before every HTTP attempt.
    """

    def __init__(
        self,
        config: RunConfig,
        on_retry: Callable[[RetryEvent], None] | None = None,
        before_send: Callable[[], None] | None = None,
    ) -> None:
        self._config = config
        self.on_retry = on_retry
        self.before_send = before_send
        self._client: ChatClient | None = None
        self._server: LocalServer | None = None
        self._error: Exception | None = None
        self._opening = asyncio.Lock()

    @property
    def opened(self) -> bool:
        """Whether a call was needed (and so the client, and any server, was started)."""
        return self._client is not None

    async def chat(self, messages: Sequence[Mapping[str, Any]], **kwargs: Any) -> ChatReply:
        """One chat completion through the (now opened) client."""
        client = await self._open()
        return await client.chat(messages, **kwargs)

    async def _open(self) -> ChatClient:
        async with self._opening:
            if self._error is not None:  # calls queued behind a failed start do not start it again
                raise self._error
            if self._client is None:
                spec = judge_spec(self._config)
                if spec.bundled is not None:
                    try:
                        self._server = await asyncio.to_thread(self._start_server, spec.bundled)
                    except Exception as exc:
                        self._error = exc
                        raise
                    # No more calls in flight than the server has slots: the rest would only queue
                    # there, and the order they reach it in would be a race.
                    slots = min(spec.concurrency, self._server.parallel)
                    spec = spec.model_copy(update={"base_url": self._server.base_url, "concurrency": slots})
                self._client = _client(spec, prices(self._config))
                self._client.on_retry = self.on_retry
                self._client.before_send = self.before_send
            return self._client

    def _start_server(self, name: str) -> LocalServer:
        from judge.generation.bundled import bundled_model_path
        from judge.generation.server import LocalServer

        path: Path = bundled_model_path(name)
        server = LocalServer(path, model_name=name, log_dir=self._config.run_dir, n_ctx=8192)
        return server.start()

    async def aclose(self) -> None:
        """Close the client and stop the server, if they were opened."""
        if self._client is not None:
            await self._client.aclose()
        if self._server is not None:
            await asyncio.to_thread(self._server.stop)
