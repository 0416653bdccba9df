"""Value objects of the client: prices, one reply, running totals."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Literal

from judge.records import Usage

__all__ = ["ChatReply", "FormatMode", "Meter", "Prices", "Totals"]

FormatMode = Literal["json_schema", "json_object", "none"]
"""How a JSON reply was asked for: structured output, JSON mode, or by the prompt only."""


@dataclass(frozen=True)
class Prices:
    """Price of one million tokens, in any currency (USD for the usual endpoints)."""

    input_per_mtok: float
    output_per_mtok: float

    def cost(self, usage: Usage) -> float:
        """Cost of the tokens in ``usage``.

        Args:
            usage: tokens billed for one or more calls.

        Returns:
            ``prompt_tokens * input_per_mtok / 1e6 + completion_tokens * output_per_mtok / 1e6``.
        """
        prompt = usage.prompt_tokens * self.input_per_mtok
        return (prompt + usage.completion_tokens * self.output_per_mtok) / 1e6


@dataclass(frozen=True)
class ChatReply:
    """One successful reply.

    Attributes:
        text: the message content (completion text for ``complete``), "" when the server sent none.
        usage: tokens billed for the successful attempt.
        model: model name the server reported.
        finish_reason: "stop", "length", ... as the server said.
        latency_s: wall time of the whole call, retries and backoff included.
        response_format_used: how JSON was asked for in the attempt that succeeded.
        attempts: HTTP attempts the successful format mode took (1 without retries).
    """

    text: str
    usage: Usage
    model: str
    finish_reason: str | None
    latency_s: float
    response_format_used: FormatMode
    attempts: int = 1


@dataclass(frozen=True)
class Totals:
    """Running totals since the client was made.

    Attributes:
        calls: successful calls.
        attempts: HTTP requests sent, failed ones included.
        retries: backoff sleeps taken.
        prompt_tokens: prompt tokens billed by successful calls.
        completion_tokens: completion tokens billed by successful calls.
        cost: estimated cost, None when the client has no prices.
    """

    calls: int = 0
    attempts: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None


class Meter:
    """Thread-safe running totals (calls may finish on any thread or task)."""

    def __init__(self, prices: Prices | None) -> None:
        self.prices = prices
        self._lock = threading.Lock()
        self._totals = Totals(cost=0.0 if prices else None)

    def snapshot(self) -> Totals:
        """The totals so far."""
        with self._lock:
            return self._totals

    def add_call(self, usage: Usage) -> None:
        """Count one successful call and the tokens it billed."""
        cost = self.prices.cost(usage) if self.prices else None
        with self._lock:
            t = self._totals
            self._totals = replace(
                t,
                calls=t.calls + 1,
                prompt_tokens=t.prompt_tokens + usage.prompt_tokens,
                completion_tokens=t.completion_tokens + usage.completion_tokens,
                cost=None if t.cost is None or cost is None else t.cost + cost,
            )

    def add(self, attempts: int = 0, retries: int = 0) -> None:
        """Count HTTP attempts and backoff sleeps."""
        with self._lock:
            t = self._totals
            self._totals = replace(t, attempts=t.attempts + attempts, retries=t.retries + retries)
