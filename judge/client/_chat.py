"""ChatClient: bounded, retried, accounted calls to one OpenAI-compatible endpoint."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlparse

import httpx
import openai
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from judge.client._records import ChatReply, FormatMode, Meter, Prices, Totals
from judge.client._retry import BackoffWait, RetryEvent, RetryPolicy, is_quota, is_retryable
from judge.errors import APIError, ConfigError, redact, redact_url
from judge.records import Usage

if TYPE_CHECKING:
    from judge.config import JudgeSpec

__all__ = ["ChatClient"]

log = logging.getLogger("judge.client")
T = TypeVar("T")

# On a 400, step down from structured output to JSON mode to no response_format at all.
_FALLBACK: dict[FormatMode, FormatMode | None] = {"json_schema": "json_object", "json_object": "none"}
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_DEFAULT_URL = "https://api.openai.com/v1"
_DUMMY_KEY = "local-no-key"  # loopback servers ignore the key, but the SDK insists on one


def resolve_endpoint(base_url: str | None, api_key: str | None, key_env: str) -> tuple[str, str]:
    """The endpoint and key a client would use.

    Raises:
        ConfigError: no key for a non-local endpoint (names the variable to set).
    """
    url = base_url or os.environ.get("OPENAI_BASE_URL") or _DEFAULT_URL
    key = api_key or os.environ.get(key_env)
    if key:
        return url, key
    if (urlparse(url).hostname or "").lower() in _LOCAL_HOSTS:
        return url, _DUMMY_KEY
    raise ConfigError(f"no API key for {url}: set the {key_env} environment variable")


def _response_format(mode: FormatMode, schema: dict[str, Any]) -> dict[str, Any]:
    if mode == "none":
        return {}
    if mode == "json_object":
        return {"response_format": {"type": "json_object"}}
    name = re.sub(r"[^A-Za-z0-9_-]", "_", str(schema.get("title") or "reply"))[:64]
    spec = {"name": name, "schema": schema, "strict": False}
    return {"response_format": {"type": "json_schema", "json_schema": spec}}


def _socket_detail(exc: BaseException | None) -> str:
    """What the socket said under a connection error ("connection refused", "name not known" ...)."""
    if not isinstance(exc, openai.APIConnectionError):
        return ""
    root: BaseException = exc
    seen = {id(root)}
    while (nxt := root.__cause__ or root.__context__) is not None and id(nxt) not in seen:
        seen.add(id(nxt))
        root = nxt
    if isinstance(root, ConnectionRefusedError):
        return " (connection refused)"
    return "" if root is exc else f" ({root})"


def _optional(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


class ChatClient:
    """Async client for one model on an OpenAI-compatible endpoint.

    Use one client per event loop (its semaphore belongs to the loop that first waits on it).

    Args:
        model: model name sent with every call.
        base_url: endpoint, else ``OPENAI_BASE_URL``, else api.openai.com.
        api_key: key, else the ``api_key_env`` variable; not needed for 127.0.0.1/localhost.
        api_key_env: environment variable that holds the key.
        timeout: per-attempt timeout in seconds.
        concurrency: most requests in flight at once (backoff sleeps do not hold a slot).
        retry: retry budget and backoff.
        prices: token prices for cost accounting (None: cost unknown).
        http_client: an httpx.AsyncClient to send through; the caller keeps ownership of it.
        on_retry: called before each backoff sleep, e.g. to show retries in a progress bar.
        before_send: called before every HTTP attempt, once a concurrency slot is held; it may raise
            (e.g. a JudgeError once the endpoint is known to have failed for good) to send nothing.

    Raises:
        ConfigError: no key for a non-local endpoint, or concurrency below 1.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 120.0,
        concurrency: int = 8,
        retry: RetryPolicy | None = None,
        prices: Prices | None = None,
        http_client: httpx.AsyncClient | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
        before_send: Callable[[], None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {concurrency}")
        self.model = model
        self.base_url, self._key = resolve_endpoint(base_url, api_key, api_key_env)
        self.retry = retry or RetryPolicy()
        self.prices = prices
        self.on_retry = on_retry
        self.before_send = before_send
        self.format_mode: FormatMode = "json_schema"
        self._owns_http = http_client is None
        if http_client is None:  # a pool the size of the semaphore: httpcore scans every pooled
            # connection on each request and reply, the idle ones twice over (the SDK's default: 1,000)
            limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
            http_client = openai.DefaultAsyncHttpxClient(limits=limits)
        self._sem = asyncio.Semaphore(concurrency)
        self._meter = Meter(prices)
        self._sdk = openai.AsyncOpenAI(
            base_url=self.base_url, api_key=self._key, max_retries=0, timeout=timeout, http_client=http_client
        )

    def __repr__(self) -> str:
        return f"ChatClient(model={self.model!r}, base_url={redact_url(self.base_url)!r})"

    @classmethod
    def for_judge(cls, spec: JudgeSpec, prices: Prices | None = None) -> ChatClient:
        """The client a run's ``[judge]`` section describes (model, endpoint, key variable, limits)."""
        return cls(
            spec.model,
            base_url=spec.base_url,
            api_key_env=spec.api_key_env,
            timeout=spec.timeout,
            concurrency=spec.concurrency,
            retry=RetryPolicy(attempts=spec.max_retries + 1, initial=spec.backoff, jitter=spec.backoff),
            prices=prices,
        )

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections this client opened (not an injected ``http_client``)."""
        if self._owns_http:
            await self._sdk.close()

    @property
    def totals(self) -> Totals:
        """A snapshot of the running totals."""
        return self._meter.snapshot()

    async def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        json_schema: dict[str, Any] | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        seed: int | None = None,
        timeout: float | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ChatReply:
        """One chat completion, retried as the package docstring says.

        Args:
            messages: OpenAI chat messages.
            json_schema: JSON schema the reply should follow. Asked for as structured output, then
                JSON mode, then not at all, stepping down on a 400; the mode that worked is kept
                for later calls.
            temperature: sampling temperature.
            max_tokens: completion token limit.
            seed: sampling seed, for servers that honour it.
            timeout: per-attempt timeout overriding the client's.
            extra: more request fields (``top_p``, ``stop``, ``top_k`` ...), sent as given.

        Returns:
            The reply text with usage, model, finish reason, latency and the format mode used.

        Raises:
            APIError: the call failed for good (retries spent, or not retryable).
        """
        params = {"model": self.model, "messages": list(messages), "temperature": temperature}
        params |= _optional(max_tokens=max_tokens, seed=seed, timeout=timeout)
        params |= {"extra_body": dict(extra)} if extra else {}
        if json_schema is None:
            return await self._call(self._post_chat, params, "none")
        mode: FormatMode | None = self.format_mode
        while mode is not None:
            try:
                reply = await self._call(self._post_chat, params | _response_format(mode, json_schema), mode)
            except APIError as exc:
                if exc.status_code != 400 or _FALLBACK.get(mode) is None:
                    raise
                mode = _FALLBACK[mode]
                continue
            self._remember(mode)
            return reply
        raise AssertionError("unreachable")  # pragma: no cover

    async def complete(
        self,
        prompt: str,
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        seed: int | None = None,
        timeout: float | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ChatReply:
        """One plain text completion (``/v1/completions``), retried like :meth:`chat`.

        Args:
            prompt: the raw prompt (no chat template applied by us).
            temperature: sampling temperature.
            max_tokens: completion token limit.
            seed: sampling seed, for servers that honour it.
            timeout: per-attempt timeout overriding the client's.
            extra: more request fields, sent as given.

        Returns:
            The completion text as ``ChatReply.text``.

        Raises:
            APIError: the call failed for good.
        """
        params = {"model": self.model, "prompt": prompt, "temperature": temperature}
        params |= _optional(max_tokens=max_tokens, seed=seed, timeout=timeout)
        params |= {"extra_body": dict(extra)} if extra else {}
        return await self._call(self._sdk.completions.create, params, "none")

    async def models(self) -> list[str]:
        """Ids of the models the endpoint serves (a cheap health check).

        Raises:
            APIError: the endpoint could not be listed.
        """
        page, _ = await self._retrying(self._sdk.models.list)
        return [m.id for m in page.data]

    def _remember(self, mode: FormatMode) -> None:
        if mode != self.format_mode:
            log.info(
                "%s rejected response_format %s; using %s from now on",
                redact_url(self.base_url),
                self.format_mode,
                mode,
            )
            self.format_mode = mode

    async def _post_chat(self, **params: Any) -> Any:
        """``chat.completions.create`` with a body we built and checked ourselves, sent as it is.

        The SDK's ``create`` first walks the whole body against its typed parameters (about 0.6 ms
        of the event loop's CPU per call, most of it on the messages); at 30+ calls in flight on a
        small machine that is what limits throughput. The request is otherwise the SDK's own: the
        same path, headers, key, timeout, response type and errors.
        """
        timeout = params.pop("timeout", None)
        body = params | params.pop("extra_body", {})
        options: dict[str, Any] = {"security": {"bearer_auth": True}}
        if timeout is not None:
            options["timeout"] = timeout
        return await self._sdk.post(
            "/chat/completions",
            body=body,
            cast_to=openai.types.chat.ChatCompletion,
            options=cast("openai._types.RequestOptions", options),
        )

    async def _call(
        self, create: Callable[..., Awaitable[Any]], params: dict[str, Any], mode: FormatMode
    ) -> ChatReply:
        start = time.monotonic()
        resp, attempts = await self._retrying(lambda: create(**params))
        got = resp.usage  # some local servers send none
        usage = Usage()
        if got is not None:
            usage = Usage(prompt_tokens=got.prompt_tokens, completion_tokens=got.completion_tokens)
        self._meter.add_call(usage)
        choice = resp.choices[0]
        text = choice.message.content if hasattr(choice, "message") else choice.text
        return ChatReply(
            text=text or "",
            usage=usage,
            model=resp.model,
            finish_reason=choice.finish_reason,
            latency_s=time.monotonic() - start,
            response_format_used=mode,
            attempts=attempts,
        )

    async def _retrying(self, fn: Callable[[], Awaitable[T]]) -> tuple[T, int]:
        """Run ``fn`` under the retry policy, holding a concurrency slot only while a request is out."""
        policy, tries = self.retry, 0
        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.attempts),
            wait=BackoffWait(policy),
            retry=retry_if_exception(is_retryable),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            async for state in retrying:
                with state:
                    async with self._sem:
                        if self.before_send is not None:
                            self.before_send()
                        tries += 1
                        self._meter.add(attempts=1)
                        return await fn(), tries
        except openai.APIError as exc:
            # "from None": the SDK error keeps the request, Authorization header included.
            raise self._error(exc, tries) from None
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        event = RetryEvent(state.attempt_number, wait, getattr(exc, "status_code", None), self._reason(exc))
        self._meter.add(retries=1)
        log.warning(
            "%s attempt %d failed (%s); retry in %.2fs",
            redact_url(self.base_url),
            event.attempt,
            event.reason,
            wait,
        )
        if self.on_retry is not None:
            self.on_retry(event)

    def _reason(self, exc: BaseException | None) -> str:
        if isinstance(exc, openai.APIStatusError):
            return redact(f"HTTP {exc.status_code}: {exc.message}", self._key)
        return redact(f"{type(exc).__name__}: {exc}{_socket_detail(exc)}", self._key)

    def _error(self, exc: openai.APIError, attempts: int) -> APIError:
        status = exc.status_code if isinstance(exc, openai.APIStatusError) else None
        quota = status is not None and is_quota(cast(openai.APIStatusError, exc))
        why = "quota exhausted, not retried; " if quota else ""
        message = f"{self.model} at {self.base_url}: {self._reason(exc)} ({why}{attempts} attempt(s))"
        return APIError(redact(message, self._key), status_code=status, retryable=is_retryable(exc))
