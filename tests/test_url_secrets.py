"""A key inside base_url (user:key@host, ?api-key=...) is written nowhere: run folder, reports, errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fakeserver import FakeServer
from spine import write_project

from judge.client import ChatClient, RetryPolicy
from judge.config import load_config
from judge.errors import APIError, redact_url
from judge.reporting import write_reports
from judge.run.pipeline import CompareResult, run_comparison

USER_SECRET = "sk-userinfo-0123456789"
QUERY_SECRET = "querysecret-9876543210"


@pytest.mark.parametrize(
    ("url", "want"),
    [
        ("https://bob:sk-abc12345@host.example/v1", "https://***@host.example/v1"),
        ("https://h/v1?api-key=SECRET&x=1", "https://h/v1?api-key=***&x=1"),
        ("https://h/v1?access_token=t0k3n#frag", "https://h/v1?access_token=***#frag"),
        ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
    ],
)
def test_redact_url(url: str, want: str) -> None:
    assert redact_url(url) == want


def test_a_key_in_base_url_reaches_no_file_of_the_run(tmp_path: Path, fake_server: FakeServer) -> None:
    host = fake_server.base_url.split("://", 1)[1]
    url = f"http://judge:{USER_SECRET}@{host}"
    config_path = write_project(tmp_path, url, top_extra=f"# endpoint http://x/v1?api_key={QUERY_SECRET}")
    result = run_comparison(load_config(config_path), show_progress=False)
    assert isinstance(result, CompareResult) and fake_server.posts
    write_reports(result.run_dir)
    written = {
        p.name: p.read_bytes() for p in result.run_dir.rglob("*") if p.is_file() and p.suffix != ".sqlite"
    }
    assert {"config.json", "config.toml", "summary.json", "report.html", "report.md"} <= set(written)
    for name, data in written.items():
        assert USER_SECRET.encode() not in data and QUERY_SECRET.encode() not in data, name
    assert b"http://***@" in written["summary.json"] and b"http://***@" in written["config.json"]


def test_errors_and_repr_hold_no_url_credentials() -> None:
    async def call() -> APIError:
        client = ChatClient(
            "m",
            base_url=f"http://u:{USER_SECRET}@127.0.0.1:9/v1?key={QUERY_SECRET}",  # nothing listens on 9
            api_key="sk-test-key-000000",
            timeout=2,
            retry=RetryPolicy(attempts=1),
        )
        assert USER_SECRET not in repr(client)
        try:
            with pytest.raises(APIError) as caught:
                await client.chat([{"role": "user", "content": "hi"}])
        finally:
            await client.aclose()
        return caught.value

    error = asyncio.run(call())
    assert USER_SECRET not in str(error) and QUERY_SECRET not in str(error) and "***@127.0.0.1" in str(error)
