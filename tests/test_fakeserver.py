"""The scripted fake server itself, over real HTTP on loopback (httpx and the openai SDK)."""

from __future__ import annotations

import concurrent.futures
import json
import time
from pathlib import Path
from string import Template
from typing import Any

import httpx
import openai
import pytest
from fakeserver import DEFAULT_CRITERIA, Auto, Content, Drop, Fail, FakeServer, Stall, parse_comparisons

PROMPTS = Path(__file__).resolve().parents[1] / "judge" / "judging" / "prompts"


def judge_prompt(
    items: list[tuple[str, str, str, str]], criteria: list[str] | None = None, reference: str | None = None
) -> str:
    """Render a batch exactly as the shipped templates say: (id, prompt, a, b) per comparison.

    The ids given stand for the call-local ids the stage shows (3 digits)."""
    block = Template((PROMPTS / "comparison.md").read_text())
    code = "012345678901"
    ref = f"[{code} reference]\n{reference}\n" if reference else ""
    blocks = "\n".join(
        block.substitute(
            id=i, boundary=code, prompt=p, reference=ref, output_a=a, output_b=b, evidence=""
        ).strip()
        for i, p, a, b in items
    )
    crit = "; ".join(f"{c} (what to look for)" for c in criteria or DEFAULT_CRITERIA)
    return Template((PROMPTS / "batch.md").read_text()).substitute(
        n=len(items),
        boundary=code,
        criteria=crit,
        comparisons=blocks,
        ids=", ".join(i for i, *_ in items),
        rationale="at most 25 words",
        parts="",
    )


def verdicts(text: str) -> list[dict[str, Any]]:
    """The compact reply as mappings (id, rationale, criteria, winner, confidence)."""
    keys = ("id", "rationale", "criteria", "winner", "confidence")
    return [dict(zip(keys, v, strict=True)) for v in json.loads(text)["v"]]


def post(
    server: FakeServer, body: dict[str, Any], path: str = "/chat/completions", timeout: float = 5.0
) -> httpx.Response:
    return httpx.post(server.base_url + path, json=body, timeout=timeout)


def chat_body(text: str, **extra: Any) -> dict[str, Any]:
    messages = [{"role": "system", "content": "sys"}, {"role": "user", "content": text}]
    return {"model": "m", "messages": messages, **extra}


def content(resp: httpx.Response) -> str:
    assert resp.status_code == 200, resp.text
    return str(resp.json()["choices"][0]["message"]["content"])


ITEMS = [
    ("101", "Q1", "x [good]", "y"),
    ("102", "Q2", "x", "y [good]"),
    ("103", "Q3\nmulti", "x", "y"),
    ("104", "Q4", "[good]", "[good]"),
]


def test_auto_verdicts_follow_the_default_policy_and_criteria(fake_server: FakeServer) -> None:
    text = judge_prompt(ITEMS, criteria=["accuracy", "style_x"], reference="R")
    data = verdicts(content(post(fake_server, chat_body(text))))
    got = {v["id"]: v["winner"] for v in data}
    assert got == {"101": "A", "102": "B", "103": "=", "104": "="}
    assert all(len(v["criteria"]) == 2 for v in data)  # one letter per criterion asked
    assert all(v["confidence"] == "h" and v["rationale"] for v in data)


def test_default_criteria_and_realistic_usage(fake_server: FakeServer) -> None:
    text = judge_prompt(ITEMS[:1])
    resp = post(fake_server, chat_body(text))
    verdict = verdicts(content(resp))[0]
    assert len(verdict["criteria"]) == len(DEFAULT_CRITERIA)
    usage = resp.json()["usage"]
    assert usage["prompt_tokens"] == len("sys" + text) // 4
    assert usage["completion_tokens"] == len(content(resp)) // 4
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_parse_comparisons_reads_rendered_blocks_verbatim() -> None:
    assert parse_comparisons(judge_prompt(ITEMS, reference="ref")) == ITEMS


def test_custom_policy_sees_prompt_and_both_responses() -> None:
    seen: list[tuple[str, str, str]] = []

    def policy(prompt: str, a: str, b: str) -> str:
        seen.append((prompt, a, b))
        return "B"

    with FakeServer(policy=policy) as server:
        data = verdicts(content(post(server, chat_body(judge_prompt(ITEMS[:2])))))
    assert [v["winner"] for v in data] == ["B", "B"]
    assert seen == [("Q1", "x [good]", "y"), ("Q2", "x", "y [good]")]


def test_plain_generation_is_echoed_and_truncated_at_max_tokens(fake_server: FakeServer) -> None:
    assert content(post(fake_server, chat_body("hello"))) == "echo: hello"
    resp = post(fake_server, chat_body("a long question " * 10, max_tokens=3))
    assert resp.json()["choices"][0]["finish_reason"] == "length" and len(content(resp)) == 12
    comp = post(fake_server, {"model": "m", "prompt": "def f():"}, path="/completions").json()
    assert comp["choices"][0]["text"] == "echo: def f():" and comp["object"] == "text_completion"


@pytest.mark.parametrize(
    ("wrap", "check"),
    [
        ("prose", lambda t: not t.startswith("{") and '{"v": [[' in t),
        ("fenced", lambda t: t.startswith("```json\n") and t.endswith("\n```")),
        ("not_json", lambda t: '"v"' not in t),
    ],
)
def test_auto_wraps(fake_server: FakeServer, wrap: str, check: Any) -> None:
    fake_server.script(Auto(wrap=wrap))
    text = content(post(fake_server, chat_body(judge_prompt(ITEMS[:2]))))
    assert check(text)
    with pytest.raises(ValueError):
        json.loads(text)


def test_missing_extra_and_duplicate_ids(fake_server: FakeServer) -> None:
    fake_server.script(Auto(missing=1), Auto(extra=2), Auto(duplicate=1))
    text = judge_prompt(ITEMS[:3])
    replies = [verdicts(content(post(fake_server, chat_body(text)))) for _ in range(3)]
    ids = [[v["id"] for v in reply] for reply in replies]
    assert ids == [
        ["101", "102"],
        ["101", "102", "103", "unknown-0", "unknown-1"],
        ["101", "102", "103", "101"],
    ]
    assert len(verdicts(content(post(fake_server, chat_body(text))))) == 3  # script used up


def test_fail_statuses_headers_and_quota_body(fake_server: FakeServer) -> None:
    fake_server.script(Fail(429, {"Retry-After": "1"}), Fail(500), Fail(401, body="nope"), Fail.quota())
    first = post(fake_server, chat_body("x"))
    assert first.status_code == 429 and first.headers["retry-after"] == "1"
    assert first.json()["error"]["type"] == "rate_limit_exceeded"
    assert post(fake_server, chat_body("x")).status_code == 500
    assert post(fake_server, chat_body("x")).text == "nope"
    quota = post(fake_server, chat_body("x"))
    assert quota.status_code == 429 and quota.json()["error"]["code"] == "insufficient_quota"
    assert fake_server.pending == 0 and content(post(fake_server, chat_body("x"))) == "echo: x"


def test_content_action_is_sent_verbatim(fake_server: FakeServer) -> None:
    fake_server.script(Content("not json at all"))
    assert content(post(fake_server, chat_body(judge_prompt(ITEMS[:1])))) == "not json at all"


def test_structured_output_off_rejects_json_schema_only() -> None:
    schema = {"type": "json_schema", "json_schema": {"name": "v", "schema": {"type": "object"}}}
    with FakeServer(structured_output=False) as server:
        server.script(Content("scripted"))
        assert post(server, chat_body("x", response_format=schema)).status_code == 400
        assert server.pending == 1, "a rejected response_format consumes no scripted action"
        assert content(post(server, chat_body("x", response_format={"type": "json_object"}))) == "scripted"
    with FakeServer(structured_output=True) as server:
        assert content(post(server, chat_body("x", response_format=schema))) == "echo: x"


def test_drop_closes_without_reply(fake_server: FakeServer) -> None:
    fake_server.script(Drop())
    with pytest.raises(httpx.RemoteProtocolError):
        post(fake_server, chat_body("x"))
    assert content(post(fake_server, chat_body("x"))) == "echo: x"


def test_stall_exceeds_a_client_timeout_and_stop_releases_it() -> None:
    server = FakeServer().start()
    server.script(Stall(30))
    with pytest.raises(httpx.ReadTimeout):
        post(server, chat_body("x"), timeout=0.2)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2


def test_stall_then_action(fake_server: FakeServer) -> None:
    fake_server.script(Stall(0.2, then=Fail(503)))
    started = time.monotonic()
    assert post(fake_server, chat_body("x")).status_code == 503
    assert time.monotonic() - started >= 0.2


def test_request_log_and_reset(fake_server: FakeServer) -> None:
    auth = {"Authorization": "Bearer k"}
    httpx.post(fake_server.base_url + "/chat/completions", json=chat_body("x"), headers=auth)
    httpx.get(fake_server.base_url + "/models")
    log = fake_server.requests
    assert [(r["method"], r["path"]) for r in log] == [
        ("POST", "/v1/chat/completions"),
        ("GET", "/v1/models"),
    ]
    assert log[0]["headers"]["authorization"] == "Bearer k" and log[0]["json"]["model"] == "m"
    assert log[0]["time"] <= log[1]["time"] and len(fake_server.posts) == 1
    fake_server.script(Drop())
    fake_server.reset()
    assert fake_server.requests == [] and fake_server.pending == 0


def test_official_sdk_talks_to_it(fake_server: FakeServer) -> None:
    with openai.OpenAI(base_url=fake_server.base_url, api_key="k", max_retries=0) as sdk:
        reply = sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content == "echo: hi" and reply.usage is not None
        assert [m.id for m in sdk.models.list()] == ["fake-judge"]
        assert sdk.completions.create(model="m", prompt="p").choices[0].text == "echo: p"


def test_concurrent_requests_are_served_in_parallel() -> None:
    latency, n = 0.3, 8
    url = "/chat/completions"
    with (
        FakeServer(latency=latency) as server,
        httpx.Client(base_url=server.base_url) as http,
        concurrent.futures.ThreadPoolExecutor(n) as pool,
    ):
        started = time.monotonic()
        codes = list(pool.map(lambda _: http.post(url, json=chat_body("x")).status_code, range(n)))
        elapsed = time.monotonic() - started
        assert codes == [200] * n
        assert server.max_in_flight == n
    assert elapsed < latency * n / 2, f"{n} requests of {latency}s took {elapsed:.2f}s: not parallel"
