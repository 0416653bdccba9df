"""Reading judge replies: the compact JSON we ask for, and a tolerant parser for what comes back.

The reply format is a compact verdict list, one array per comparison, rationale first::

    {"v": [["481", "B prints the right value; A's program fails.", "BB=BB", "B", "h"], ...]}

(call-local id, rationale, one letter per criterion in the order asked, winner, confidence;
``=`` is a tie, ``h``/``m``/``l`` high/medium/low). Its overhead is about 13 tokens per
comparison besides the rationale; the older object form (``{"verdicts": [{"id": ..., "winner":
...}]}``) is still read, so replies stored by earlier versions parse.

Servers with structured output return clean JSON; others wrap it in prose or code fences,
change the case of labels, or drop and repeat ids. :func:`parse_reply` accepts the JSON
wherever it is, normalises harmless variations ("a" -> "A", "draw" -> "tie"), and then
holds every verdict to the exactly-once rule: one valid verdict per id sent, none for ids
not sent. A judge may quote an output that carries a forged verdict list: only the list
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from judge.records import Verdict

__all__ = ["ParsedReply", "parse_reply", "rationale_chars", "reply_schema", "schema_ids"]

_OPEN = re.compile(r"[\[{]")
_WINNER = {"a": "A", "b": "B", "tie": "tie", "=": "tie", "t": "tie", "draw": "tie", "equal": "tie",
           "none": "tie", "both": "tie"}  # fmt: skip
_CONFIDENCE = {"high": "high", "h": "high", "medium": "medium", "med": "medium", "m": "medium",
               "moderate": "medium", "low": "low", "l": "low"}  # fmt: skip
_FIELDS = ("id", "rationale", "criteria", "winner", "confidence")  # the order of a compact verdict


def rationale_chars(words: int) -> int:
    """The schema's bound on a rationale of ``words`` words (generous: 8 characters a word)."""
    return 8 * words


def _verdict_schema(ids: list[str], criteria: tuple[str, ...], rationale_words: int) -> dict[str, Any]:
    return {
        "type": "array",
        "prefixItems": [
            {"enum": ids},
            {"type": "string", "maxLength": rationale_chars(rationale_words)},
            {"pattern": f"^[AB=]{{{len(criteria)}}}$"},
            {"enum": ["A", "B", "="]},
            {"enum": ["h", "m", "l"]},
        ],  # a tuple of exactly these five (llama.cpp's grammar and validators read prefixItems so)
    }


def reply_schema(
    ids: list[str], criteria: tuple[str, ...], rationale_words: int = 25, *, ordered: bool = False
) -> dict[str, Any]:
    """JSON schema of the compact reply for one batch (ids enumerated; rationale before the verdict).

    ``ordered``: the i-th verdict must answer the i-th id. A judge on 127.0.0.1 gets this one: its
    server makes a grammar of it (no prompt tokens), and a small model otherwise repeats the first id.
    """
    n = len(ids)
    verdicts: dict[str, Any]
    if ordered:
        verdicts = {
            "type": "array",
            "prefixItems": [_verdict_schema([i], criteria, rationale_words) for i in ids],
        }
    else:
        verdicts = {"type": "array", "items": _verdict_schema(ids, criteria, rationale_words)}
    return {
        "type": "object",
        "properties": {"v": {**verdicts, "minItems": n, "maxItems": n}},
        "required": ["v"],
    }


def schema_ids(schema: dict[str, Any]) -> list[str]:
    """The ids a :func:`reply_schema` asks for, in order."""
    verdicts = schema["properties"]["v"]
    if "prefixItems" in verdicts:
        return [str(v["prefixItems"][0]["enum"][0]) for v in verdicts["prefixItems"]]
    return [str(i) for i in verdicts["items"]["prefixItems"][0]["enum"]]


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


def _is_entry(value: Any) -> bool:
    return (isinstance(value, dict) and "id" in value) or (isinstance(value, list) and len(value) >= 4)


def _verdict_list(value: Any) -> list[Any] | None:
    if isinstance(value, dict):
        for key in ("v", "verdicts", "comparisons", "results", "judgments"):
            if isinstance(value.get(key), list):
                return list(value[key])
        if "id" in value and "winner" in value:
            return [value]
    if isinstance(value, list) and value and all(map(_is_entry, value)):
        return value
    return None


def _entry_id(entry: Any, names: Mapping[str, str]) -> str:
    """An entry's id in pair-id terms (a call-local id shown to the judge maps to its pair)."""
    if isinstance(entry, dict):
        raw = entry.get("id", "")
    elif isinstance(entry, list) and entry:
        raw = entry[0]
    else:
        raw = ""
    said = str(raw).strip()
    return names.get(said, said)


def _ids(entries: list[Any], names: Mapping[str, str]) -> list[str]:
    return [_entry_id(e, names) for e in entries]


def _choose(
    lists: list[list[Any]], expected: list[str], names: Mapping[str, str]
) -> tuple[list[Any] | None, str | None]:
    """The one verdict list that answers the request, or a reason why there is none.

    A judge may quote an output that holds a verdict-looking list before giving its own. Only a
    list whose ids are exactly the ids sent (each once) is a full answer; two full answers that
    differ make the reply ambiguous (every id is re-asked), and a lone partial list is used only
    when no other list in the reply names any of the same ids differently.
    """
    full = [entries for entries in lists if sorted(_ids(entries, names)) == sorted(expected)]
    if full:
        distinct = {json.dumps(_canonical(e, names), sort_keys=True, default=str) for e in full}
        if len(distinct) > 1:
            return None, f"ambiguous reply: {len(distinct)} different verdict lists for the ids sent"
        return full[-1], None
    if not lists:
        return None, None
    if len(lists) > 1:
        return None, f"ambiguous reply: {len(lists)} partial verdict lists"
    return lists[0], None


def _canonical(entries: list[Any], names: Mapping[str, str]) -> list[Any]:
    return [_as_dict(e, names) if isinstance(e, list) else e for e in entries]


def _as_dict(entry: list[Any] | dict[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """A verdict entry as a mapping (a compact array's fields by position)."""
    found = dict(zip(_FIELDS, entry, strict=False)) if isinstance(entry, list) else dict(entry)
    found["id"] = _entry_id(entry, names)
    return found


def _criteria(value: Any, criteria: tuple[str, ...]) -> dict[str, Any]:
    """Per-criterion labels: a compact string ("AB=AA", one letter per criterion asked) or a mapping."""
    if isinstance(value, str):
        letters = value.strip()
        if len(letters) != len(criteria):
            raise ValueError(f"criteria {letters!r}: {len(criteria)} letters expected")
        return dict(zip(criteria, letters, strict=True))
    if isinstance(value, list) and len(value) == len(criteria):
        return dict(zip(criteria, value, strict=True))
    return {k: v for k, v in value.items() if k in criteria} if isinstance(value, dict) else {}


def _normalise(entry: dict[str, Any], criteria: tuple[str, ...]) -> Verdict:
    def label(value: Any) -> Any:
        return _WINNER.get(str(value).strip().lower(), value)

    crit = _criteria(entry.get("criteria") or {}, criteria)
    return Verdict.model_validate(
        {
            "id": entry["id"],
            "winner": label(entry.get("winner")),
            "confidence": _CONFIDENCE.get(
                str(entry.get("confidence", "")).strip().lower(), entry.get("confidence")
            ),
            "criteria": {k: label(v) for k, v in crit.items()},
            "rationale": str(entry.get("rationale") or entry.get("reason") or ""),
        }
    )


def parse_reply(
    text: str, expected: list[str], criteria: tuple[str, ...], names: Mapping[str, str] | None = None
) -> ParsedReply:
    """Read the verdicts in a judge reply and apply the exactly-once rule.

    Args:
        text: the raw reply content.
        expected: the pair ids sent in this call.
        criteria: the criteria names asked for, in order (others are dropped).
        names: the call-local id shown to the judge -> its pair id (ids not in it are taken as
            pair ids, as in replies stored by earlier versions).

    Returns:
        Valid verdicts for ids sent exactly once, by pair id; a reason for every other expected id.
    """
    names = names or {}
    parsed = ParsedReply()
    lists = [v for v in map(_verdict_list, _json_candidates(text)) if v is not None]
    entries, ambiguous = _choose(lists, expected, names)
    if entries is None:
        reason = ambiguous or "reply holds no readable JSON verdicts"
        parsed.problems = dict.fromkeys(expected, reason)
        parsed.notes.append(reason)
        return parsed
    ids = _ids(entries, names)
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
        parsed_entry = _read_entry(entry, names, criteria)
        if isinstance(parsed_entry, str):
            parsed.problems[entry_id] = parsed_entry
        else:
            parsed.verdicts[entry_id] = parsed_entry
    for entry_id in expected:
        if entry_id not in parsed.verdicts and entry_id not in parsed.problems:
            parsed.problems[entry_id] = "missing from the reply"
    return parsed


def _read_entry(entry: Any, names: Mapping[str, str], criteria: tuple[str, ...]) -> Verdict | str:
    """One verdict, or why it is invalid."""
    try:
        return _normalise(_as_dict(entry, names), criteria)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"invalid verdict: {'.'.join(map(str, first['loc']))} {first['msg']}"
    except ValueError as exc:
        return f"invalid verdict: {exc}"
