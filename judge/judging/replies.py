"""Reading judge replies: the JSON schema we ask for, and a tolerant parser for what comes back.

Servers with structured output return clean JSON; others wrap it in prose or code fences,
change the case of labels, or drop and repeat ids. :func:`parse_reply` accepts the JSON
wherever it is, normalises harmless variations ("a" -> "A", "draw" -> "tie"), and then
holds every verdict to the exactly-once rule: one valid verdict per id sent, none for ids
not sent. A judge may quote an output that carries a forged verdict object: only the list
that answers the request (exactly the ids sent) is taken, and a reply with two different
such lists, or several partial ones, is ambiguous and re-asked rather than guessed at. It
never invents a verdict: anything it cannot read becomes a *problem* with a reason, to be
re-asked or recorded as failed, never a loss.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from judge.records import Verdict

__all__ = ["ParsedReply", "parse_reply", "reply_schema"]

_OPEN = re.compile(r"[\[{]")
_WINNER = {"a": "A", "b": "B", "tie": "tie", "draw": "tie", "equal": "tie", "none": "tie", "both": "tie"}
_CONFIDENCE = {"high": "high", "medium": "medium", "med": "medium", "moderate": "medium", "low": "low"}


def reply_schema(ids: list[str], criteria: tuple[str, ...]) -> dict[str, Any]:
    """JSON schema of the reply for one batch (ids enumerated; rationale before the verdict)."""
    label = {"type": "string", "enum": ["A", "B", "tie"]}
    verdict = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "enum": ids},
            "rationale": {"type": "string", "maxLength": 600},  # bounds a rambling local judge
            "criteria": {
                "type": "object",
                "properties": {name: label for name in criteria},
                "required": list(criteria),
            },
            "winner": label,
            "confidence": {"type": "string", "enum": ["high", "medium", "low"]},
        },
        "required": ["id", "rationale", "criteria", "winner", "confidence"],
    }
    return {
        "type": "object",
        "properties": {
            "verdicts": {"type": "array", "items": verdict, "minItems": len(ids), "maxItems": len(ids)}
        },
        "required": ["verdicts"],
    }


@dataclass
class ParsedReply:
    """Valid verdicts by id, and a reason for every id sent that has none."""

    verdicts: dict[str, Verdict] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _outermost_json(text: str) -> list[Any]:
    """Every top-level JSON object or array in ``text``, in order; nested ones are part of theirs."""
    found: list[Any] = []
    decoder = json.JSONDecoder()
    pos = 0
    while (match := _OPEN.search(text, pos)) is not None:
        try:
            value, end = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            pos = match.start() + 1
            continue
        found.append(value)
        pos = end
    return found


def _json_candidates(text: str) -> list[Any]:
    with contextlib.suppress(json.JSONDecodeError):
        return [json.loads(text)]  # the whole reply is one JSON value: structured output
    return _outermost_json(text)  # in prose or code fences, each value whole


def _verdict_list(value: Any) -> list[Any] | None:
    if isinstance(value, dict):
        for key in ("verdicts", "comparisons", "results", "judgments"):
            if isinstance(value.get(key), list):
                return list(value[key])
        if "id" in value and "winner" in value:
            return [value]
    if isinstance(value, list) and value and all(isinstance(v, dict) and "id" in v for v in value):
        return value
    return None


def _ids(entries: list[Any]) -> list[str]:
    return [str(e.get("id", "")).strip() if isinstance(e, dict) else "" for e in entries]


def _choose(lists: list[list[Any]], expected: list[str]) -> tuple[list[Any] | None, str | None]:
    """The one verdict list that answers the request, or a reason why there is none.

    A judge may quote an output that holds a verdict-looking object before giving its own. Only a
    list whose ids are exactly the ids sent (each once) is a full answer; two full answers that
    differ make the reply ambiguous (every id is re-asked), and a lone partial list is used only
    when no other list in the reply names any of the same ids differently.
    """
    full = [entries for entries in lists if sorted(_ids(entries)) == sorted(expected)]
    if full:
        distinct = {json.dumps(entries, sort_keys=True, default=str) for entries in full}
        if len(distinct) > 1:
            return None, f"ambiguous reply: {len(distinct)} different verdict lists for the ids sent"
        return full[-1], None
    if not lists:
        return None, None
    if len(lists) > 1:
        return None, f"ambiguous reply: {len(lists)} partial verdict lists"
    return lists[0], None


def _normalise(entry: dict[str, Any], criteria: tuple[str, ...]) -> Verdict:
    def label(value: Any) -> Any:
        return _WINNER.get(str(value).strip().lower(), value)

    crit = entry.get("criteria") or {}
    return Verdict.model_validate(
        {
            "id": str(entry.get("id", "")).strip(),
            "winner": label(entry.get("winner")),
            "confidence": _CONFIDENCE.get(
                str(entry.get("confidence", "")).strip().lower(), entry.get("confidence")
            ),
            "criteria": {k: label(v) for k, v in crit.items() if k in criteria}
            if isinstance(crit, dict)
            else {},
            "rationale": str(entry.get("rationale") or entry.get("reason") or ""),
        }
    )


def parse_reply(text: str, expected: list[str], criteria: tuple[str, ...]) -> ParsedReply:
    """Read the verdicts in a judge reply and apply the exactly-once rule.

    Args:
        text: the raw reply content.
        expected: the ids sent in this call.
        criteria: the criteria names asked for (others are dropped).

    Returns:
        Valid verdicts for ids sent exactly once; a reason for every other expected id.
    """
    parsed = ParsedReply()
    lists = [v for v in map(_verdict_list, _json_candidates(text)) if v is not None]
    entries, ambiguous = _choose(lists, expected)
    if entries is None:
        reason = ambiguous or "reply holds no readable JSON verdicts"
        parsed.problems = dict.fromkeys(expected, reason)
        parsed.notes.append(reason)
        return parsed
    ids = _ids(entries)
    counts = Counter(ids)
    unknown = sorted({i for i in ids if i not in expected})
    if unknown:
        parsed.notes.append(f"rejected verdicts for ids not sent: {unknown}")
    for entry, entry_id in zip(entries, ids, strict=True):
        if entry_id not in expected:
            continue
        if counts[entry_id] > 1:
            parsed.problems[entry_id] = f"id returned {counts[entry_id]} times"
            continue
        try:
            parsed.verdicts[entry_id] = _normalise(entry, criteria)
        except ValidationError as exc:
            first = exc.errors()[0]
            parsed.problems[entry_id] = f"invalid verdict: {'.'.join(map(str, first['loc']))} {first['msg']}"
    for entry_id in expected:
        if entry_id not in parsed.verdicts and entry_id not in parsed.problems:
            parsed.problems[entry_id] = "missing from the reply"
    return parsed
