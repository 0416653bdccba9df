"""BatchClient: the OpenAI Batch API (files + batches endpoints) with honest retries.

Uploading and reading are retried like chat calls. Creating a batch is the one call that must
never happen twice for the same input, so it is *not* blindly retried: after a failure that
could have reached the server, the batches are listed and one made from the same input file is
taken as ours.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

import httpx
import openai
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from judge.client._chat import _optional, _response_format, resolve_endpoint
from judge.client._retry import BackoffWait, RetryPolicy, is_retryable
from judge.errors import APIError, redact
from judge.records import Usage

__all__ = ["TERMINAL", "BatchClient", "BatchLine", "BatchStatus", "chat_body"]

T = TypeVar("T")
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
"""Batch statuses after which nothing more will happen."""
_ENDPOINT: Final[Literal["/v1/chat/completions"]] = "/v1/chat/completions"


def chat_body(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    json_schema: dict[str, Any] | None,
    temperature: float,
    max_tokens: int | None,
    seed: int | None,
) -> dict[str, Any]:
    """The chat.completions body :meth:`ChatClient.chat` sends first (structured output asked for)."""
    body = {"model": model, "messages": list(messages), "temperature": temperature}
    body |= _optional(max_tokens=max_tokens, seed=seed)
    return body | (_response_format("json_schema", json_schema) if json_schema is not None else {})


@dataclass(frozen=True)
class BatchStatus:
    """One look at a batch.

    Attributes:
        id: the batch id.
        status: validating, in_progress, finalizing, completed, failed, expired, cancelling, cancelled.
        input_file_id: the uploaded JSONL it runs.
        total: requests in the batch (0 until validated).
        completed: requests answered so far.
        failed: requests that failed so far.
        output_file_id: JSONL of answered requests, once there is one.
        error_file_id: JSONL of failed requests, once there is one.
        errors: why the whole batch failed (validation), if it did.
    """

    id: str
    status: str
    input_file_id: str
    total: int = 0
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: tuple[str, ...] = ()

    @property
    def terminal(self) -> bool:
        """Whether the batch has ended (completed, failed, expired or cancelled)."""
        return self.status in TERMINAL


@dataclass(frozen=True)
class BatchLine:
    """One line of an output or error file: a reply text, or why there is none."""

    custom_id: str
    text: str | None
    usage: Usage
    error: str | None = None


def _status(batch: Any) -> BatchStatus:
    counts = batch.request_counts
    errors = tuple(
        f"{e.code}: {e.message}" for e in ((batch.errors.data or []) if batch.errors is not None else [])
    )
    return BatchStatus(
        id=batch.id,
        status=batch.status,
        input_file_id=batch.input_file_id,
        total=counts.total if counts else 0,
        completed=counts.completed if counts else 0,
        failed=counts.failed if counts else 0,
        output_file_id=batch.output_file_id,
        error_file_id=batch.error_file_id,
        errors=errors,
    )


def parse_line(line: str) -> BatchLine:
    """Read one output/error line; anything but a 200 with a message is an error line."""
    row = json.loads(line)
    custom_id = str(row.get("custom_id"))
    response, error = row.get("response") or {}, row.get("error")
    body = response.get("body") or {}
    if error or response.get("status_code") != 200:
        detail = error or body.get("error") or {}
        why = f"{detail.get('code') or response.get('status_code')}: {detail.get('message', 'no reply')}"
        return BatchLine(custom_id, None, Usage(), f"batch request failed ({why})")
    try:
        text = body["choices"][0]["message"]["content"] or ""
    except (KeyError, IndexError, TypeError):
        return BatchLine(custom_id, None, Usage(), "batch reply without a message")
    got = body.get("usage") or {}
    usage = Usage(
        prompt_tokens=got.get("prompt_tokens", 0), completion_tokens=got.get("completion_tokens", 0)
    )
    return BatchLine(custom_id, text, usage)


class BatchClient:
    """Async client for the files and batches endpoints of one OpenAI-compatible server.

    Args:
        base_url: endpoint, else ``OPENAI_BASE_URL``, else api.openai.com.
        api_key: key, else the ``api_key_env`` variable; not needed for 127.0.0.1/localhost.
        api_key_env: environment variable that holds the key.
        timeout: per-attempt timeout in seconds (uploads of large files need more than chat calls).
        retry: retry budget and backoff.
        http_client: an httpx.AsyncClient to send through; the caller keeps ownership of it.

    Raises:
        ConfigError: no key for a non-local endpoint.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 600.0,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url, self._key = resolve_endpoint(base_url, api_key, api_key_env)
        self.retry = retry or RetryPolicy()
        self._owns_http = http_client is None
        self._sdk = openai.AsyncOpenAI(
            base_url=self.base_url, api_key=self._key, max_retries=0, timeout=timeout, http_client=http_client
        )

    async def __aenter__(self) -> BatchClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections this client opened (not an injected ``http_client``)."""
        if self._owns_http:
            await self._sdk.close()

    async def upload(self, jsonl: bytes, name: str = "judge-batch.jsonl") -> str:
        """Upload a batch input file; returns its file id."""
        got = await self._retrying(lambda: self._sdk.files.create(file=(name, jsonl), purpose="batch"))
        return str(got.id)

    async def find(self, input_file_id: str) -> BatchStatus | None:
        """The batch made from ``input_file_id``, if the server has one (newest first)."""

        async def scan() -> BatchStatus | None:
            async for batch in self._sdk.batches.list(limit=100):
                if batch.input_file_id == input_file_id:
                    return _status(batch)
            return None

        return await self._retrying(scan)

    async def create(
        self, input_file_id: str, *, window: str = "24h", metadata: dict[str, str] | None = None
    ) -> BatchStatus:
        """Create a batch from an uploaded file, never twice: a failed attempt is looked up first.

        Raises:
            APIError: the batch could not be created (and none exists for this file).
        """
        for attempt in range(1, self.retry.attempts + 1):
            if attempt > 1:
                await asyncio.sleep(min(self.retry.initial * 2 ** (attempt - 2), self.retry.maximum))
                if (found := await self.find(input_file_id)) is not None:
                    return found
            try:
                batch = await self._sdk.batches.create(
                    input_file_id=input_file_id,
                    endpoint=_ENDPOINT,
                    completion_window=window,  # type: ignore[arg-type]  # "24h" is all OpenAI takes today
                    metadata=metadata,
                )
                return _status(batch)
            except openai.APIError as exc:
                if not is_retryable(exc) or attempt == self.retry.attempts:
                    raise self._error(exc, "create batch", attempt) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def retrieve(self, batch_id: str) -> BatchStatus:
        """The batch's current status and counts."""
        return _status(await self._retrying(lambda: self._sdk.batches.retrieve(batch_id)))

    async def lines(self, file_id: str) -> list[BatchLine]:
        """The parsed lines of an output or error file."""
        got = await self._retrying(lambda: self._sdk.files.content(file_id))
        return [parse_line(line) for line in got.text.splitlines() if line.strip()]

    async def cancel(self, batch_id: str) -> BatchStatus:
        """Ask the server to cancel a batch (answered requests stay billed and readable)."""
        return _status(await self._retrying(lambda: self._sdk.batches.cancel(batch_id)))

    async def _retrying(self, fn: Callable[[], Awaitable[T]]) -> T:
        tries = 0
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=BackoffWait(self.retry),
            retry=retry_if_exception(is_retryable),
            reraise=True,
        )
        try:
            async for state in retrying:
                with state:
                    tries += 1
                    return await fn()
        except openai.APIError as exc:
            raise self._error(exc, "batch API", tries) from None  # the SDK error holds the headers
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _error(self, exc: openai.APIError, what: str, attempts: int) -> APIError:
        status = exc.status_code if isinstance(exc, openai.APIStatusError) else None
        reason = f"HTTP {status}: {exc.message}" if status is not None else f"{type(exc).__name__}: {exc}"
        message = f"{what} at {self.base_url}: {reason} ({attempts} attempt(s))"
        return APIError(redact(message, self._key), status_code=status, retryable=is_retryable(exc))
