"""The injection screen: outputs that imitate the judge prompt or address the judge.

An output is pasted into a batch prompt beside other pairs' outputs. The boundary codes (see
:func:`judge.judging.boundary_code`) stop it from forging structure, and the reply parser takes
only the verdict list that answers the request; this screen is the third layer. An output that
carries the prompt's structure (comparison or response tags, a verdicts object) or instructions
addressed to the judge is flagged here, recorded in its checks (so the audit shows it), and its
pair is judged alone, in a batch of one, where it can steer nothing but itself.

The patterns err on the side of flagging: a false alarm costs one extra judge call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from judge.findings import Injection

__all__ = ["isolate_flagged", "screen_injection"]

_SIGNALS: dict[str, re.Pattern[str]] = {
    "prompt tags": re.compile(r"</?\s*(comparison|response_[ab]|prompt|reference)\b[^>\n]{0,80}>", re.I),
    "verdict object": re.compile(r"[\"']\s*(verdicts|winner)\s*[\"']\s*:|[\"']v[\"']\s*:\s*\[\s*\[", re.I),
    "part lines": re.compile(r"^\[\d*\s*(\d{3}|A|B|checks|reference|end)\]\s*$", re.M),  # compact layout
    "ignore instructions": re.compile(
        r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|above|prior|earlier|all|other|system)\b"
        r".{0,40}\b(instructions?|prompts?|rules|criteria|comparisons?)\b",
        re.I | re.S,
    ),
    "addresses the judge": re.compile(
        r"\b(dear|attention|note to|message to|instructions? (for|to))\s+(the\s+)?"
        r"(judge|evaluator|grader|reviewer|assessor)s?\b"
        r"|\b(judge|evaluator|grader)s?\b.{0,60}\b(must|should|shall|have to|are required to)\b"
        r".{0,40}\b(prefer|choose|pick|select|rate|score|declare|output|return|mark)\b"
        r"|\b(response|answer|assistant)\s+[ab]\b.{0,20}\b(is the winner|wins|must win|is better)\b",
        re.I | re.S,
    ),
    "system prompt": re.compile(r"\b(system prompt|you are an impartial|new instructions?)\b", re.I),
}
_Pair = TypeVar("_Pair")


def screen_injection(text: str) -> Injection:
    """Which injection signals ``text`` carries (names from the patterns above, in order)."""
    signals = [name for name, pattern in _SIGNALS.items() if pattern.search(text)]
    return Injection(flagged=bool(signals), signals=signals)


def isolate_flagged(
    batches: Sequence[list[_Pair]], texts: Callable[[_Pair], tuple[str, str]]
) -> list[list[_Pair]]:
    """Batches with every pair whose output is flagged moved into a batch of its own.

    Args:
        batches: the batches as built for the judge.
        texts: ``pair -> (output_a, output_b)``.

    Returns:
        The unflagged pairs of each batch (order kept), then one single-pair batch per flagged pair.
    """
    kept: list[list[_Pair]] = []
    alone: list[list[_Pair]] = []
    for batch in batches:
        flagged = [p for p in batch if any(screen_injection(t).flagged for t in texts(p))]
        rest = [p for p in batch if p not in flagged]
        kept += [rest] if rest else []
        alone += [[p] for p in flagged]
    return kept + alone
