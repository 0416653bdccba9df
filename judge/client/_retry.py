"""What to retry and how long to wait: the classifier and backoff used with tenacity."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass

import httpx
import openai
from tenacity import RetryCallState, wait_exponential, wait_random

__all__ = ["BackoffWait", "RetryEvent", "RetryPolicy", "is_quota", "is_retryable", "retry_after"]

# 408/409 are transient by HTTP's own definition (the SDK retries them too); 429 unless quota.
_RETRY_STATUS = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """Retry budget and backoff.

    Attributes:
        attempts: total tries per call, the first included.
        initial: first backoff in seconds (doubled each retry).
        maximum: cap on one exponential backoff.
        jitter: up to this many seconds of random jitter added to each backoff.
        retry_after_cap: cap on a server's Retry-After, in seconds.
    """

    attempts: int = 6
    initial: float = 1.0
    maximum: float = 30.0
    jitter: float = 1.0
    retry_after_cap: float = 60.0


@dataclass(frozen=True)
class RetryEvent:
    """Told to ``on_retry`` before each backoff sleep.

    Attributes:
        attempt: number of the attempt that just failed (1-based).
        wait_s: seconds the client will sleep before the next attempt.
        status_code: HTTP status of the failure, None for timeouts and connection errors.
        reason: short description, with secrets redacted.
    """

    attempt: int
    wait_s: float
    status_code: int | None
    reason: str


def is_quota(exc: openai.APIStatusError) -> bool:
    """Whether a status error says the account is out of credit (retrying cannot help)."""
    return "insufficient_quota" in f"{exc.code} {exc.type} {exc.body} {exc.message}"


def is_retryable(exc: BaseException) -> bool:
    """Whether another attempt could succeed where ``exc`` failed."""
    if isinstance(exc, openai.APIConnectionError):  # APITimeoutError is one of these
        return True
    if isinstance(exc, openai.APIStatusError):
        transient = exc.status_code >= 500 or exc.status_code in _RETRY_STATUS
        return transient and not is_quota(exc)
    return False


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, or Retry-After seconds or HTTP date)."""
    if (ms := _number(headers.get("retry-after-ms"))) is not None:
        return ms / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    if (seconds := _number(value)) is not None:
        return seconds
    try:
        return email.utils.parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError):
        return None


def _number(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


class BackoffWait:
    """tenacity wait: the server's Retry-After (capped) when it gave one, else exponential + jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        # wait_exponential + wait_random rather than wait_exponential_jitter, whose arguments moved in 9.x
        exponential = wait_exponential(multiplier=policy.initial, max=policy.maximum)
        self.backoff = exponential + wait_random(0, policy.jitter)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, openai.APIStatusError):
            after = retry_after(exc.response.headers)
            if after is not None:
                return min(max(after, 0.0), self.policy.retry_after_cap)
        return float(self.backoff(state))
