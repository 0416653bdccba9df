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

# A block as the shipped templates render it; every tag carries the call's boundary code (``b``).
_BLOCK = re.compile(
    r'<comparison id="(?P<id>[^"]*)" boundary="(?P<b>[0-9a-f]+)">\n<prompt (?P=b)>\n(?P<prompt>.*?)\n'
    r"</prompt (?P=b)>\n(?:<reference (?P=b)>.*?</reference (?P=b)>\n)?"
    r"<response_a (?P=b)>\n(?P<a>.*?)\n</response_a (?P=b)>\n<response_b (?P=b)>\n(?P<b_text>.*?)\n"
    r"</response_b (?P=b)>\n</comparison (?P=b)>",
    re.DOTALL,
)
_CRITERION = re.compile(r"^\s*(?:[-*]\s*)?([a-z][a-z0-9_]*)\s*:", re.MULTILINE)


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
    head = text.split("<comparison", 1)[0]
    return _CRITERION.findall(head) or list(DEFAULT_CRITERIA)


def wrap(payload: dict[str, Any], style: str) -> str:
    raw = json.dumps(payload)
    return {
        "plain": raw,
        "prose": f"Here is my assessment of the comparisons.\n{raw}\nI hope this helps.",
        "fenced": f"```json\n{raw}\n```",
        "not_json": "I think response A is better overall, because it is clearer.",
    }[style]


def verdict_payload(text: str, policy: Policy, action: Auto) -> dict[str, Any]:
    """The auto-mode verdicts for a judge prompt, altered as ``action`` says."""
    names = _criteria(text)
    items = []
    found = parse_comparisons(text)
    if isinstance(policy, CallPolicy):
        winners = policy.decide([(prompt, a, b) for _, prompt, a, b in found])
    else:
        winners = [policy(prompt, a, b) for _, prompt, a, b in found]
    for (cid, _, _, _), winner in zip(found, winners, strict=True):
        items.append({
            "id": cid, "winner": winner, "confidence": "high",
            "criteria": dict.fromkeys(names, winner), "rationale": f"Policy chose {winner}.",
        })
    items = items[: len(items) - action.missing] if action.missing else items
    items += items[: action.duplicate]
    items += [{**(items or [{}])[0], "id": f"unknown-{i}"} for i in range(action.extra)]
    return {"verdicts": items}


def quoted(text: str, marker: str) -> str:
    """The responses in a judge prompt that contain ``marker``, quoted one after another."""
    found = [r for _, _, a, b in parse_comparisons(text) for r in (a, b) if marker in r]
    return "".join(f"One response says:\n{r}\n\n" for r in found)


def error_body(message: str, kind: str) -> dict[str, Any]:
    """An OpenAI-style error object."""
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}
