"""The one exception hierarchy of `judge`.

::

    JudgeError                 root: catch this to catch everything judge raises on purpose
    ├── ConfigError            a run config (TOML) or option is wrong       -> exit code 2
    ├── InputError             a prompt / outputs / verdicts file is wrong  -> exit code 2
    │                          (carries path and 1-based line)
    ├── APIError               a model or judge endpoint failed for good    -> exit code 3
    │                          (after retries, or a non-retryable 4xx)
    └── SandboxError           the execution sandbox itself could not run

An unreadable judge reply is not an exception: it is a recorded failure with its reason (see
``judge.judging.replies``), re-asked, and never counted as a verdict.

Messages never hold API keys: :func:`redact` is applied to every message built from
text that came from outside (HTTP bodies, exception strings).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = [
    "APIError",
    "ConfigError",
    "InputError",
    "JudgeError",
    "SandboxError",
    "redact",
    "redact_url",
]

# Credentials inside URLs: user:secret@host, and query parameters that carry keys or tokens.
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@?#\"'<>]+@")
_URL_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:[a-z0-9_\-]*(?:key|token|secret|password|passwd|pwd|auth|signature|sig|credential)"
    r"[a-z0-9_\-]*)=)[^&#\s\"'<>]+"
)
# A value that looks like a credential: 8+ key characters with a digit in them, or 20+ of them.
# Random keys almost always hold a digit; ordinary words ("environment", "variable") never do, so
# "set the OPENAI_API_KEY environment variable" keeps its words.
_SECRET = r"(?=[A-Za-z0-9_\-\.]*\d)[A-Za-z0-9_\-\.]{8,}|[A-Za-z0-9_\-\.]{20,}"
_KEY_PATTERNS = (
    re.compile(r"sk-[A-Za-z0-9_\-]{8,}"),
    re.compile(rf"(?i)(bearer\s+)(?:{_SECRET})"),
    re.compile(rf"(?i)(api[_-]?key[\"'=:\s]+)(?:{_SECRET})"),
)


def redact_url(url: str) -> str:
    """``url`` without credentials: ``user:key@`` becomes ``***@`` and key-like query values ``***``.

    Args:
        url: a URL, or any text holding URLs (each one is redacted).

    Returns:
        The same text with every embedded credential replaced.
    """
    url = _URL_USERINFO.sub(lambda m: m.group(1) + "***@", url)
    return _URL_SECRET_PARAM.sub(lambda m: m.group(1) + "***", url)


def redact(text: str, *secrets: str | None) -> str:
    """Remove API keys from ``text`` (including credentials inside URLs).

    Args:
        text: any message that may have passed through an HTTP layer.
        *secrets: exact secret values to remove in addition to the patterns
            (``OPENAI_API_KEY`` from the environment is always included).

    Returns:
        The text with every secret replaced by ``***``.
    """
    known = [s for s in (*secrets, os.environ.get("OPENAI_API_KEY")) if s and len(s) >= 4]
    for secret in known:
        text = text.replace(secret, "***")
    for pattern in _KEY_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return redact_url(text)


class JudgeError(Exception):
    """Root of every error `judge` raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


class ConfigError(JudgeError):
    """A run configuration or option is invalid; the message says what to change."""

    exit_code = 2


class InputError(JudgeError):
    """An input file is invalid at a given line; nothing has been written.

    Attributes:
        path: the offending file.
        line: 1-based line number, or None when the problem is the whole file.
    """

    exit_code = 2

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        where = f"{self.path}:{line}" if line is not None else f"{self.path}"
        super().__init__(f"{where}: {message}")


class APIError(JudgeError):
    """A call to a model endpoint failed for good.

    Attributes:
        status_code: HTTP status when there was a response, else None.
        retryable: whether the failure class is one that retrying could fix.
    """

    exit_code = 3

    def __init__(self, message: str, *, status_code: int | None = None, retryable: bool = False) -> None:
        self.status_code = status_code
        self.retryable = retryable
        super().__init__(message)


class SandboxError(JudgeError):
    """The sandbox that runs model-written code could not be started."""
