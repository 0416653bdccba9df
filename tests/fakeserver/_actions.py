"""What the fake server says: scripted actions, the verdict policy, judge-prompt parsing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_CRITERIA",
    "Action",
    "Auto",
    "CallPolicy",
    "Content",
    "Drop",
    "Fail",
    "Policy",
    "Stall",
    "default_policy",
    "error_body",
    "last_user_text",
    "parse_comparisons",
    "quoted",
    "text_of",
    "verdict_payload",
    "wrap",
]

DEFAULT_CRITERIA = ("correctness", "reasoning_quality", "completeness", "mathematical_accuracy", "clarity")
Policy = Callable[[str, str, str], str]

# A block as the shipped templates render it: every part starts with a line carrying the call's
# boundary code (``b``); a block ends where the next comparison (or the end marker) starts.
_BLOCK = re.compile(
    r"\[(?P<b>\d{12}) (?P<id>\d{3})\]\n(?P<prompt>.*?)\n(?:\[(?P=b) reference\]\n.*?\n)?"
    r"\[(?P=b) A\]\n(?P<a>.*?)\n\[(?P=b) B\]\n(?P<b_text>.*?)\n(?:\[(?P=b) checks\]\n.*?\n)?"
    r"(?=\[(?P=b) (?:\d{3}|end)\])",
    re.DOTALL,
)
_CRITERIA = re.compile(r"^Criteria, in order: (.*)\.$", re.MULTILINE)


@dataclass(frozen=True)
class Fail:
    """Answer with ``status``; ``body`` None means an OpenAI-style error object."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | str | None = None

    @classmethod
    def quota(cls) -> Fail:
        """A 429 that retrying cannot fix: the account is out of credit."""
        err = {"message": "You exceeded your current quota.", "type": "insufficient_quota"}
        return cls(429, body={"error": {**err, "code": "insufficient_quota", "param": None}})


@dataclass(frozen=True)
class Stall:
    """Wait ``seconds`` (released early by ``stop()``), then do ``then`` or auto mode."""

    seconds: float
    then: Action | None = None


@dataclass(frozen=True)
class Drop:
    """Close the connection without sending a response."""


@dataclass(frozen=True)
class Content:
    """A 200 reply whose message content is exactly ``text``."""

    text: str


@dataclass(frozen=True)
class Auto:
    """Auto-mode verdicts, wrapped or with ids removed, added or repeated.

    ``quote``: a judge that first quotes, verbatim, every response containing this text, then
    gives its own verdicts (as a careless judge quoting an injected output would).
    """

    wrap: str = "plain"
    missing: int = 0
    extra: int = 0
    duplicate: int = 0
    quote: str = ""


Action = Fail | Stall | Drop | Content | Auto


class CallPolicy:
    """A policy that sees the whole call: ``decide([(prompt, a, b), ...]) -> [winner, ...]`` in order.

    Plants effects a per-comparison policy cannot: a bias for the first slot, verdicts that change
    when a comparison is judged alone. Also usable where a per-comparison policy is expected (as a
    call of one comparison).
    """

    def __init__(self, decide: Callable[[list[tuple[str, str, str]]], list[str]]) -> None:
        self.decide = decide

    def __call__(self, prompt: str, a: str, b: str) -> str:
        return self.decide([(prompt, a, b)])[0]


def default_policy(prompt: str, a: str, b: str) -> str:
    """The response holding the marker ``[good]`` wins; both or neither is a tie."""
    del prompt
    good_a, good_b = "[good]" in a, "[good]" in b
    return "A" if good_a and not good_b else "B" if good_b and not good_a else "tie"


def parse_comparisons(text: str) -> list[tuple[str, str, str, str]]:
    """Return ``(id, prompt, response_a, response_b)`` for each comparison block in ``text``."""
    return [(m["id"], m["prompt"], m["a"], m["b_text"]) for m in _BLOCK.finditer(text)]


def text_of(content: Any) -> str:
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content or "")


def last_user_text(body: dict[str, Any]) -> str:
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return text_of(users[-1].get("content")) if users else ""


def _criteria(text: str) -> list[str]:
    found = _CRITERIA.search(text)
    if found is None:
        return list(DEFAULT_CRITERIA)
    return [part.split(" (", 1)[0].strip() for part in found[1].split("; ")]


def wrap(payload: dict[str, Any], style: str) -> str:
    raw = json.dumps(payload)
    return {
        "plain": raw,
        "prose": f"Here is my assessment of the comparisons.\n{raw}\nI hope this helps.",
        "fenced": f"```json\n{raw}\n```",
        "not_json": "I think response A is better overall, because it is clearer.",
    }[style]


def verdict_payload(text: str, policy: Policy, action: Auto) -> dict[str, Any]:
    """The auto-mode verdicts for a judge prompt in the compact reply format, altered as ``action`` says."""
    names = _criteria(text)
    items: list[list[str]] = []
    found = parse_comparisons(text)
    if isinstance(policy, CallPolicy):
        said_all = policy.decide([(prompt, a, b) for _, prompt, a, b in found])
    else:
        said_all = [policy(prompt, a, b) for _, prompt, a, b in found]
    for (cid, _, _, _), said in zip(found, said_all, strict=True):
        winner = "=" if said == "tie" else said
        items.append([cid, f"Policy chose {winner}.", winner * len(names), winner, "h"])
    items = items[: len(items) - action.missing] if action.missing else items
    items += items[: action.duplicate]
    items += [[f"unknown-{i}", *(items or [["", "", "", "A", "h"]])[0][1:]] for i in range(action.extra)]
    return {"v": items}


def quoted(text: str, marker: str) -> str:
    """The responses in a judge prompt that contain ``marker``, quoted one after another."""
    found = [r for _, _, a, b in parse_comparisons(text) for r in (a, b) if marker in r]
    return "".join(f"One response says:\n{r}\n\n" for r in found)


def error_body(message: str, kind: str) -> dict[str, Any]:
    """An OpenAI-style error object."""
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}
