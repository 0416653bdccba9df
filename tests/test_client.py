"""judge.client through the real openai SDK against the fake server over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from fakeserver import Drop, Fail, FakeServer, Stall

from judge.client import ChatClient, ChatReply, Prices, RetryEvent, RetryPolicy
from judge.client._retry import retry_after
from judge.errors import APIError, ConfigError
from judge.records import Usage

T = TypeVar("T")
FAST = RetryPolicy(attempts=3, initial=0.01, maximum=0.02, jitter=0.01, retry_after_cap=5.0)
MSG = [{"role": "user", "content": "hello judge"}]
SCHEMA = {"title": "Verdicts", "type": "object", "properties": {"verdicts": {"type": "array"}}}
SECRET = "sk-test-THISISSECRET0123456789"


def with_client(server: FakeServer, use: Callable[[ChatClient], Awaitable[T]], **kw: Any) -> T:
    """Run ``use(client)`` on a fresh event loop and close the client afterwards."""
    kw.setdefault("retry", FAST)

    async def main() -> T:
        async with ChatClient("judge-model", base_url=server.base_url, **kw) as client:
            return await use(client)

    return asyncio.run(main())


def chat(client: ChatClient, **kw: Any) -> Awaitable[ChatReply]:
    return client.chat(MSG, **kw)


def failure(server: FakeServer, **kw: Any) -> APIError:
    with pytest.raises(APIError) as info:
        with_client(server, chat, **kw)
    return info.value


def test_success_usage_and_totals(fake_server: FakeServer) -> None:
    async def use(client: ChatClient) -> tuple[ChatReply, ChatReply, Any]:
        return await chat(client), await chat(client, max_tokens=50, seed=7), client.totals

    first, second, totals = with_client(fake_server, use)
    assert (first.text, first.model, first.finish_reason) == ("echo: hello judge", "judge-model", "stop")
    assert first.usage == Usage(prompt_tokens=len("hello judge") // 4, completion_tokens=len(first.text) // 4)
    assert first.response_format_used == "none" and first.attempts == 1 and first.latency_s > 0
    assert (totals.calls, totals.attempts, totals.retries, totals.cost) == (2, 2, 0, None)
    assert totals.prompt_tokens == 2 * first.usage.prompt_tokens
    assert totals.completion_tokens == first.usage.completion_tokens + second.usage.completion_tokens
    sent = fake_server.posts[1]["json"]
    assert [sent[k] for k in ("model", "max_tokens", "seed", "temperature")] == ["judge-model", 50, 7, 0.0]
    assert sent["messages"] == MSG and "response_format" not in sent


def test_json_schema_is_sent_as_structured_output(fake_server: FakeServer) -> None:
    reply = with_client(fake_server, lambda c: chat(c, json_schema=SCHEMA))
    assert reply.response_format_used == "json_schema"
    fmt = fake_server.posts[0]["json"]["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"] == {"name": "Verdicts", "schema": SCHEMA, "strict": False}


def test_429_retry_after_is_honoured(fake_server: FakeServer) -> None:
    fake_server.script(Fail(429, {"Retry-After": "1"}))
    events: list[RetryEvent] = []
    reply = with_client(fake_server, chat, on_retry=events.append)
    first, second = (r["time"] for r in fake_server.posts)
    assert 0.95 <= second - first < 3.0, "the client must wait as long as Retry-After says"
    assert reply.attempts == 2 and [(e.status_code, e.wait_s) for e in events] == [(429, 1.0)]


def test_retry_after_is_capped(fake_server: FakeServer) -> None:
    fake_server.script(Fail(429, {"Retry-After": "3600"}))
    retry = RetryPolicy(attempts=2, initial=0.01, jitter=0.0, retry_after_cap=0.1)
    started = time.monotonic()
    assert with_client(fake_server, chat, retry=retry).attempts == 2
    assert time.monotonic() - started < 1.5


def test_retry_after_parsing() -> None:
    soon = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert retry_after(httpx.Headers({"retry-after": "2.5"})) == 2.5
    assert retry_after(httpx.Headers({"retry-after-ms": "250", "retry-after": "9"})) == 0.25
    assert 28 <= (retry_after(httpx.Headers({"retry-after": soon})) or 0) <= 31
    assert retry_after(httpx.Headers({"retry-after": "whenever"})) is None
    assert retry_after(httpx.Headers({})) is None


def test_500_then_success(fake_server: FakeServer) -> None:
    fake_server.script(Fail(500), Fail(502))
    events: list[RetryEvent] = []
    reply = with_client(fake_server, chat, on_retry=events.append)
    assert reply.text == "echo: hello judge" and reply.attempts == 3
    assert [e.status_code for e in events] == [500, 502] and [e.attempt for e in events] == [1, 2]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(fake_server: FakeServer, status: int) -> None:
    fake_server.script(Fail(status))
    err = failure(fake_server)
    assert err.status_code == status and not err.retryable
    assert len(fake_server.posts) == 1


def test_quota_429_is_not_retried(fake_server: FakeServer) -> None:
    fake_server.script(Fail.quota())
    err = failure(fake_server)
    assert err.status_code == 429 and not err.retryable and "quota" in str(err)
    assert len(fake_server.posts) == 1


def test_retry_budget_then_api_error(fake_server: FakeServer) -> None:
    fake_server.script(*[Fail(503)] * 3)

    async def use(client: ChatClient) -> Any:
        with pytest.raises(APIError) as info:
            await chat(client)
        return info.value, client.totals

    err, totals = with_client(fake_server, use)
    assert err.status_code == 503 and err.retryable and "3 attempt" in str(err)
    assert (totals.calls, totals.attempts, totals.retries) == (0, 3, 2)
    assert len(fake_server.posts) == 3


def test_stall_past_timeout_is_retried_then_fails(fake_server: FakeServer) -> None:
    fake_server.script(*[Stall(30)] * 3)
    started = time.monotonic()
    err = failure(fake_server, timeout=0.2)
    assert err.status_code is None and err.retryable and "Timeout" in str(err)
    assert time.monotonic() - started < 10
    # on a loaded machine the server thread may log the last request after the client gave up on it
    deadline = time.monotonic() + 5
    while len(fake_server.posts) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(fake_server.posts) == 3


def test_one_stall_then_success(fake_server: FakeServer) -> None:
    fake_server.script(Stall(30))
    assert with_client(fake_server, chat, timeout=0.2).attempts == 2


def test_dropped_connection_is_retried(fake_server: FakeServer) -> None:
    fake_server.script(Drop())
    assert with_client(fake_server, chat).attempts == 2
    fake_server.script(*[Drop()] * 3)
    err = failure(fake_server)
    assert err.status_code is None and err.retryable and "Connection" in str(err)


def test_json_schema_falls_back_to_json_object_and_remembers() -> None:
    with FakeServer(structured_output=False) as server:

        async def use(client: ChatClient) -> tuple[ChatReply, ChatReply, str]:
            first = await chat(client, json_schema=SCHEMA)
            return first, await chat(client, json_schema=SCHEMA), client.format_mode

        first, second, mode = with_client(server, use)
        formats = [(r["json"].get("response_format") or {}).get("type") for r in server.posts]
    assert formats == ["json_schema", "json_object", "json_object"], "call 2 must go straight to JSON mode"
    assert first.response_format_used == second.response_format_used == mode == "json_object"


def test_falls_back_to_no_response_format() -> None:
    with FakeServer(structured_output=False) as server:
        server.script(Fail(400))  # the json_object attempt
        reply = with_client(server, lambda c: chat(c, json_schema=SCHEMA))
        assert reply.response_format_used == "none"
        assert "response_format" not in server.posts[-1]["json"] and len(server.posts) == 3


def test_a_400_in_every_mode_raises_and_keeps_the_mode(fake_server: FakeServer) -> None:
    fake_server.script(*[Fail(400)] * 3)

    async def use(client: ChatClient) -> str:
        with pytest.raises(APIError):
            await chat(client, json_schema=SCHEMA)
        return client.format_mode

    assert with_client(fake_server, use) == "json_schema", "a failed call must not downgrade the mode"
    assert len(fake_server.posts) == 3


def test_concurrency_bound_is_respected() -> None:
    with FakeServer(latency=0.1) as server:

        async def use(client: ChatClient) -> list[ChatReply]:
            return await asyncio.gather(*(chat(client) for _ in range(10)))

        assert len(with_client(server, use, concurrency=3)) == 10
        assert server.max_in_flight == 3


def test_key_never_appears_in_errors_or_logs(
    fake_server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    echoed = {"error": {"message": f"Incorrect API key provided: {SECRET}", "type": "invalid_request_error"}}
    fake_server.script(Fail(500, body=echoed), Fail(500, body=echoed), Fail(401, body=echoed))
    events: list[RetryEvent] = []
    with caplog.at_level(logging.DEBUG):
        err = failure(fake_server, api_key=SECRET, on_retry=events.append)
    assert fake_server.posts[0]["headers"]["authorization"] == f"Bearer {SECRET}"
    shown = [str(err), repr(err), *traceback.format_exception(err), caplog.text, *(e.reason for e in events)]
    assert all(SECRET not in text for text in shown)
    assert err.__cause__ is None and err.__suppress_context__ and err.status_code == 401


def test_key_that_matches_no_pattern_is_still_redacted(fake_server: FakeServer) -> None:
    key = "plainvalue42"
    fake_server.script(Fail(403, body={"error": {"message": f"key {key} is not allowed here"}}))
    err = failure(fake_server, api_key=key)
    assert key not in str(err) and key not in repr(err) and err.status_code == 403


def test_cost_arithmetic(fake_server: FakeServer) -> None:
    prices = Prices(input_per_mtok=2.5, output_per_mtok=10.0)
    assert prices.cost(Usage(prompt_tokens=1_000_000, completion_tokens=500_000)) == pytest.approx(7.5)
    assert prices.cost(Usage(prompt_tokens=400, completion_tokens=0)) == pytest.approx(0.001)

    async def use(client: ChatClient) -> tuple[list[ChatReply], Any]:
        return [await chat(client) for _ in range(3)], client.totals

    replies, totals = with_client(fake_server, use, prices=prices)
    assert totals.cost == pytest.approx(sum(prices.cost(r.usage) for r in replies))
    assert totals.cost == pytest.approx((totals.prompt_tokens * 2.5 + totals.completion_tokens * 10.0) / 1e6)


def test_missing_key_for_remote_url_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        ChatClient("m")
    with pytest.raises(ConfigError, match="MY_JUDGE_KEY"):
        ChatClient("m", base_url="https://judge.example/v1", api_key_env="MY_JUDGE_KEY")


def test_env_url_and_key_and_local_dummy_key(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_server.base_url)

    async def main(**kw: Any) -> None:
        async with ChatClient("m", **kw) as client:
            await chat(client)

    asyncio.run(main())
    monkeypatch.setenv("MY_JUDGE_KEY", "from-env-key")
    asyncio.run(main(api_key_env="MY_JUDGE_KEY"))
    keys = [r["headers"]["authorization"] for r in fake_server.posts]
    assert keys == ["Bearer local-no-key", "Bearer from-env-key"]


def test_injected_http_client_is_used_and_left_open(fake_server: FakeServer) -> None:
    async def main() -> bool:
        async with httpx.AsyncClient(headers={"x-probe": "1"}) as http:
            async with ChatClient("m", base_url=fake_server.base_url, http_client=http) as client:
                await chat(client)
            return http.is_closed

    assert asyncio.run(main()) is False
    assert fake_server.posts[0]["headers"]["x-probe"] == "1"


def test_complete_models_and_extra_fields(fake_server: FakeServer) -> None:
    async def use(client: ChatClient) -> tuple[ChatReply, list[str]]:
        await chat(client, extra={"top_p": 0.5, "stop": ["\n"]})
        return await client.complete("def f():", max_tokens=2), await client.models()

    reply, models = with_client(fake_server, use)
    assert reply.text == "echo: de" and reply.finish_reason == "length" and models == ["fake-judge"]
    assert fake_server.posts[0]["json"]["top_p"] == 0.5 and fake_server.posts[0]["json"]["stop"] == ["\n"]
    assert fake_server.posts[1]["path"] == "/v1/completions"


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="concurrency"):
        ChatClient("m", base_url="http://127.0.0.1:1/v1", concurrency=0)
