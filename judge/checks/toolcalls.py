"""Tool calls in model text (seeds 000, 002): parse four formats, score against the expected call.

Formats, tried in this order:

* ``xml``: Qwen-style ``<function=NAME><parameter=K>V</parameter></function>``, bare or inside
  ``<tool_call>``; an unterminated block (missing ``</parameter>`` / ``</function>``) is recovered up
  to the next tag or the end of the text and reported as ``xml_broken``.
* ``tool_call_tag``: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` (a missing
  closing tag is tolerated when the JSON inside is complete).
* ``code_fence``: a ```` ```json ```` fence holding such an object (or a list of them).

``arguments`` may also be a JSON-encoded string (OpenAI style) and ``parameters`` is accepted for
``arguments``. Text with none of these is a direct answer: no calls and no error. Text that tries
a call and fails (bad JSON, no name, the old ``"tool"`` key) gives no calls and the reason.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from judge.findings import ToolCallScore

__all__ = ["ParsedCalls", "ToolCall", "parse_tool_calls", "score_tool_call"]

_FUNCTION = re.compile(r"<function=([^>\n]*)>")
_FUNCTION_END = re.compile(r"</function>|<function=|</tool_call>")
_PARAMETER = re.compile(r"<parameter=([^>\n]*)>")
_PARAMETER_END = re.compile(r"</parameter>|<parameter=")
_TAG = re.compile(r"<tool_call>(.*?)(</tool_call>|\Z)", re.DOTALL)
_FENCE = re.compile(r"```(json|JSON)?[ \t]*\n(.*?)```", re.DOTALL)


class ToolCall(BaseModel):
    """One call: a tool name and its arguments."""

    model_config = ConfigDict(frozen=True)

    name: str
    arguments: dict[str, Any]


class ParsedCalls(BaseModel):
    """What the parser found: calls, or a parse error with its reason, or neither (direct answer)."""

    model_config = ConfigDict(frozen=True)

    calls: list[ToolCall] = []
    format: str | None = None
    error: str | None = None


def _strip_value(value: str) -> str:
    # The XML format puts values on their own lines; the newlines are layout, not content.
    return value.removeprefix("\n").removesuffix("\n")


def _xml_params(body: str) -> tuple[dict[str, Any], bool]:
    params: dict[str, Any] = {}
    broken = False
    for match in _PARAMETER.finditer(body):
        end = _PARAMETER_END.search(body, match.end())
        stop = end.start() if end else len(body)
        broken |= end is None or end.group() != "</parameter>"
        params[match.group(1).strip()] = _strip_value(body[match.end() : stop])
    return params, broken


def _parse_xml(text: str) -> ParsedCalls:
    calls: list[ToolCall] = []
    broken = False
    for match in _FUNCTION.finditer(text):
        name = match.group(1).strip()
        if not name:
            return ParsedCalls(format="xml", error="<function=> tag without a tool name")
        end = _FUNCTION_END.search(text, match.end())
        broken |= end is None or end.group() != "</function>"
        params, broken_params = _xml_params(text[match.end() : end.start() if end else len(text)])
        broken |= broken_params
        calls.append(ToolCall(name=name, arguments=params))
    return ParsedCalls(calls=calls, format="xml_broken" if broken else "xml")


def _to_call(obj: Any) -> ToolCall | str:
    if not isinstance(obj, dict):
        return f"expected a JSON object, got {type(obj).__name__}"
    if "name" not in obj:
        return "JSON object uses 'tool' instead of 'name'" if "tool" in obj else "JSON object has no 'name'"
    args = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except json.JSONDecodeError as exc:
            return f"arguments string is not JSON: {exc}"
    if not isinstance(obj["name"], str) or not obj["name"].strip() or not isinstance(args, dict):
        return "'name' must be a non-empty string and 'arguments' an object"
    return ToolCall(name=obj["name"].strip(), arguments=args)


def _from_json(raw: str, fmt: str) -> ParsedCalls:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return ParsedCalls(format=fmt, error=f"invalid JSON in {fmt}: {exc}")
    calls: list[ToolCall] = []
    for obj in data if isinstance(data, list) else [data]:
        call = _to_call(obj)
        if isinstance(call, str):
            return ParsedCalls(format=fmt, error=call)
        calls.append(call)
    return ParsedCalls(calls=calls, format=fmt)


def _parse_tags(text: str) -> ParsedCalls:
    calls: list[ToolCall] = []
    for match in _TAG.finditer(text):
        parsed = _from_json(match.group(1).strip(), "tool_call_tag")
        if parsed.error:
            return parsed
        calls += parsed.calls
    return ParsedCalls(calls=calls, format="tool_call_tag")


def _parse_fences(text: str) -> ParsedCalls:
    for match in _FENCE.finditer(text):
        body = match.group(2).strip()
        looks_like_call = '"name"' in body or '"tool"' in body
        if looks_like_call and (match.group(1) or body.startswith(("{", "["))):
            return _from_json(body, "code_fence")
    return ParsedCalls()


def parse_tool_calls(text: str) -> ParsedCalls:
    """Find the tool calls in a model's output.

    Args:
        text: the output, verbatim.

    Returns:
        The calls and their format; or an ``error`` naming why an attempted call could not be
        read; or nothing at all for a direct answer.
    """
    if _FUNCTION.search(text):
        return _parse_xml(text)
    if "<tool_call>" in text:
        return _parse_tags(text)
    return _parse_fences(text)


def _same(got: Any, want: Any) -> bool:
    if isinstance(got, str) and not isinstance(want, str):
        # XML parameters arrive as text; compare "3" with 3 through JSON.
        try:
            got = json.loads(got)
        except json.JSONDecodeError:
            return False
    if isinstance(got, str) and isinstance(want, str):
        return got.strip() == want.strip()
    return bool(got == want)


def score_tool_call(output: str, expected: dict[str, Any] | None) -> ToolCallScore:
    """Score one output against the prompt set's expected call (seed 000's discrimination).

    Args:
        output: the model's output.
        expected: ``{"name": ..., "arguments": {...}}``, or None when a direct answer is right.

    Returns:
        A :class:`~judge.findings.ToolCallScore`: ``expected``, ``got`` (``"tool"`` / ``"direct"`` /
        ``"parse_error"``),
        ``right_kind``, ``right_tool`` and ``right_arguments`` (None when not applicable; arguments
        must match exactly, strings compared after stripping), ``correct``, ``error``, ``format``,
        ``calls``. The first call is the one scored.
    """
    parsed = parse_tool_calls(output)
    got: Literal["tool", "direct", "parse_error"] = (
        "parse_error" if parsed.error else ("tool" if parsed.calls else "direct")
    )
    want: Literal["tool", "direct"] = "direct" if expected is None else "tool"
    right_tool = right_args = None
    if expected is not None and parsed.calls:
        first = parsed.calls[0]
        right_tool = first.name == expected.get("name")
        want_args: dict[str, Any] = expected.get("arguments") or {}
        right_args = first.arguments.keys() == want_args.keys() and all(
            _same(first.arguments[k], v) for k, v in want_args.items()
        )
    correct = got == want and (want == "direct" or bool(right_tool and right_args))
    return ToolCallScore(
        expected=want, got=got, right_kind=got == want, right_tool=right_tool,
        right_arguments=right_args, correct=correct, error=parsed.error, format=parsed.format,
        calls=[c.model_dump() for c in parsed.calls],
    )  # fmt: skip
