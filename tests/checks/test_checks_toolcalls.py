"""Tool-call parsing in the four formats of seeds 000 and 002, and scoring against the truth."""

from __future__ import annotations

import pytest

from judge.checks.toolcalls import parse_tool_calls, score_tool_call

XML = (
    "<tool_call><function=execute_code>\n<parameter=code>\nresult = read_file('a.txt')\nprint(result)\n"
    "</parameter>\n</function></tool_call>"
)


def test_tool_call_tag_json() -> None:
    parsed = parse_tool_calls('<tool_call>{"name": "read_file", "arguments": {"path": "a.txt"}}</tool_call>')
    assert parsed.format == "tool_call_tag" and parsed.error is None
    assert [(c.name, c.arguments) for c in parsed.calls] == [("read_file", {"path": "a.txt"})]


def test_json_code_fence_with_string_arguments() -> None:
    text = 'Sure:\n```json\n{"name": "read_file", "arguments": "{\\"path\\": \\"a.txt\\"}"}\n```'
    parsed = parse_tool_calls(text)
    assert parsed.format == "code_fence"
    assert parsed.calls[0].arguments == {"path": "a.txt"}


def test_qwen_xml() -> None:
    parsed = parse_tool_calls(XML)
    assert parsed.format == "xml"
    assert parsed.calls[0].name == "execute_code"
    assert parsed.calls[0].arguments == {"code": "result = read_file('a.txt')\nprint(result)"}


@pytest.mark.parametrize(
    "text",
    [
        "<tool_call><function=execute_code>\n<parameter=code>\nprint(1)\n",
        "<function=execute_code><parameter=code>print(1)</function>",
        "<function=execute_code><parameter=code>print(1)</parameter>",
    ],
)
def test_broken_xml_is_recovered_and_marked(text: str) -> None:
    parsed = parse_tool_calls(text)
    assert parsed.format == "xml_broken"
    assert parsed.calls[0].arguments == {"code": "print(1)"}


def test_two_xml_calls() -> None:
    text = "<function=a><parameter=x>1</parameter></function><function=b></function>"
    assert [c.name for c in parse_tool_calls(text).calls] == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('<tool_call>{"name": "x", "arguments": {', "invalid JSON"),
        ('```json\n{"tool": "read_file", "arguments": {}}\n```', "'tool' instead of 'name'"),
        ('<tool_call>{"arguments": {}}</tool_call>', "no 'name'"),
        ('<tool_call>{"name": "x", "arguments": "not json"}</tool_call>', "arguments string is not JSON"),
        ("<function=><parameter=a>1</parameter></function>", "without a tool name"),
    ],
)
def test_parse_errors_carry_their_reason(text: str, reason: str) -> None:
    parsed = parse_tool_calls(text)
    assert parsed.calls == [] and parsed.error is not None and reason in parsed.error


def test_direct_answer_has_no_calls_and_no_error() -> None:
    parsed = parse_tool_calls('The file holds 3 lines. In JSON: ```json\n{"lines": 3}\n```')
    assert parsed.calls == [] and parsed.error is None


EXPECTED = {"name": "add", "arguments": {"a": 3, "b": 4}}


def test_score_right_call_in_xml_compares_values_through_json() -> None:
    score = score_tool_call(
        "<function=add><parameter=a>3</parameter><parameter=b>4</parameter></function>", EXPECTED
    )
    assert score.correct and score.right_tool and score.right_arguments


def test_score_wrong_tool_wrong_arguments_and_direct() -> None:
    wrong_tool = score_tool_call(
        '<tool_call>{"name": "sub", "arguments": {"a": 3, "b": 4}}</tool_call>', EXPECTED
    )
    assert (wrong_tool.right_tool, wrong_tool.right_arguments, wrong_tool.correct) == (
        False,
        True,
        False,
    )
    wrong_args = score_tool_call('<tool_call>{"name": "add", "arguments": {"a": 3}}</tool_call>', EXPECTED)
    assert (wrong_args.right_tool, wrong_args.right_arguments) == (True, False)
    direct = score_tool_call("It is 7.", EXPECTED)
    assert (direct.got, direct.right_kind, direct.correct) == ("direct", False, False)


def test_score_discrimination_when_direct_answer_is_right() -> None:
    assert score_tool_call("Paris.", None).correct is True
    called = score_tool_call('<tool_call>{"name": "search", "arguments": {}}</tool_call>', None)
    assert (called.expected, called.got, called.correct) == ("direct", "tool", False)
    broken = score_tool_call("<tool_call>{oops</tool_call>", EXPECTED)
    assert broken.got == "parse_error" and not broken.correct and broken.error
