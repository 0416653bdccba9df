"""Shared fixtures: real servers on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakeserver import FakeServer


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    """A scripted OpenAI-compatible server on 127.0.0.1, stopped after the test."""
    with FakeServer() as server:
        yield server
