"""Judging with evidence (``[judge] evidence = true``): the checks' verified facts, in words, per response.

Where a check produced a fact that needs no opinion — what a program printed against the expected
answer, a tool call that does not parse, a degenerate output — the judge may be shown it beside
the response. The text is ours: model-written parts (a program's stdout) are quoted, cut short and
kept on one line, so they cannot pose as structure; the blocks they sit in carry the call's
boundary code like every other part. Nothing names a model: a fact is about one blind label.
"""

from __future__ import annotations

import json

from judge.findings import Checks
from judge.records import PromptItem

__all__ = ["evidence_for"]

_QUOTE = 40  # characters of model-written text (a program's output) quoted in a fact


def _quote(text: str) -> str:
    text = text.strip()
    cut = text[:_QUOTE] + ("..." if len(text) > _QUOTE else "")
    return json.dumps(cut, ensure_ascii=False)  # one line, escaped: no newline, no bare quote


def _execution(item: PromptItem, checks: Checks) -> str | None:
    run = checks.procedural
    if run is None or run.status == "not_run":
        return None
    expected = item.metadata.get("answer")
    want = f", expected {_quote(str(expected))}" if expected is not None else ""
    if run.status == "no_code":
        return "WRONG: no program in the response"
    if run.status in ("ok", "wrong"):
        last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
        return f"{'RIGHT' if run.correct else 'WRONG'}: its program printed {_quote(last)}{want}"
    return f"WRONG: its program failed ({run.status}){want}"


def _toolcall(checks: Checks) -> str | None:
    call = checks.toolcall
    if call is None:
        return None
    if call.got == "parse_error":
        return "WRONG: its tool call does not parse"
    if not call.right_kind:
        return (
            f"WRONG: expected a {'tool call' if call.expected == 'tool' else 'direct answer'}, got the other"
        )
    if call.right_tool is False:
        return "WRONG: calls the wrong tool"
    if call.right_arguments is False:
        return "WRONG: right tool, wrong arguments"
    return "RIGHT: tool call verified" if call.correct else None


def evidence_for(item: PromptItem, checks: Checks) -> str | None:
    """The verified facts about one response, on one line, verdict word first; None when none."""
    facts = [f for f in (_execution(item, checks), _toolcall(checks)) if f]
    if checks.degeneration is not None and checks.degenerate:
        facts.append(f"DEGENERATE output ({checks.degeneration.label.replace('_', ' ')})")
    return "; ".join(facts) or None
