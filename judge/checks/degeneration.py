"""Degeneration screen (seed 003): is an output text at all, or collapsed, looping or noise?

Labels, tried in this order (the first that fits wins):

* ``empty``: nothing but whitespace.
* ``mode_collapse``: one character dominates: the most common non-space character is at least
  ``collapse_share`` (0.8) of them. Seed 003: ``",,,,,,,,…"``.
* ``repetitive``: the text loops: among the character 4-grams of its last 256 characters
  (whitespace runs collapsed) at least ``repetition_ratio`` (0.7) repeat an earlier one, or at
  least ``repeated_ngrams`` (0.6) of its word 4-grams repeat one (with 20 words or more).
  Seed 003: ``"....RRRR…"``. The tail window keeps long, healthy answers from counting as loops
  just because a long text reuses more 4-grams, and catches the usual failure: a loop at the end.
* ``noise``: letters without words: at least ``noise_share`` (0.2) of alphabetic words hold a run of
  three identical letters or are 25+ letters long (and at least two such words); or, for code,
  no keyword, operator or bracket at all. Seed 003: ``"::: tttool''' orrrre…"``.
* ``good``: none of the above.

Outputs shorter than ``min_length`` (32) visible characters, and a lone number however long, are
never called degenerate (except empty): "42", "True" and "Yes." are legitimate answers and too
short to judge by statistics.
"""

from __future__ import annotations

import keyword
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from judge.findings import Checks, DegenerationLabel, Screen
from judge.records import Result

__all__ = ["DegenerationLabel", "Screen", "Thresholds", "decide_pair", "is_degenerate", "screen"]

_KEYWORDS = frozenset(keyword.kwlist) | {"print", "self", "len", "range"}
_OPERATOR = re.compile(r"[=+\-*/%<>]|\band\b|\bor\b|\bnot\b")
_BRACKET = re.compile(r"[()\[\]{}]")
_WORD = re.compile(r"[A-Za-z_]+")
_TRIPLE = re.compile(r"([A-Za-z])\1\1")
_TAIL = 256
_NUMBER = re.compile(r"-?[1-9][0-9_,]*(\.[0-9]+)?")


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs of the screen; see the module docstring for what each one means."""

    min_length: int = 32
    collapse_share: float = 0.8
    repetition_ratio: float = 0.7
    repeated_ngrams: float = 0.6
    min_words: int = 20
    noise_share: float = 0.2


def _top_share(visible: str) -> float:
    if not visible:
        return 0.0
    return Counter(visible).most_common(1)[0][1] / len(visible)


def _repeat_share(grams: list[Any]) -> float:
    # Share of n-grams that repeat one seen earlier: 0 for all-distinct, near 1 for a loop.
    return 0.0 if not grams else 1.0 - len(set(grams)) / len(grams)


def _char_repetition(text: str) -> float:
    tail = " ".join(text.split())[-_TAIL:]
    return _repeat_share([tail[i : i + 4] for i in range(len(tail) - 3)])


def _word_repetition(words: list[str]) -> float:
    return _repeat_share([tuple(words[i : i + 4]) for i in range(len(words) - 3)])


def _weird_words(text: str) -> tuple[float, int]:
    words = _WORD.findall(text)
    weird = sum(1 for w in words if _TRIPLE.search(w) or (len(w) >= 25 and w.islower()))
    return (weird / len(words) if words else 0.0), weird


def _label(s: dict[str, Any], weird: int, n_words: int, t: Thresholds) -> DegenerationLabel:
    if s["length"] == 0:
        return "empty"
    if s["length"] < t.min_length or s["number"]:
        return "good"
    if s["top_char_share"] >= t.collapse_share:
        return "mode_collapse"
    looping_words = n_words >= t.min_words and s["repeated_ngrams"] >= t.repeated_ngrams
    if s["repetition_ratio"] >= t.repetition_ratio or looping_words:
        return "repetitive"
    if s["weird_word_share"] >= t.noise_share and weird >= 2:
        return "noise"
    if s["code"] and not (s["has_keyword"] or s["has_operator"] or s["has_bracket"]):
        return "noise"
    return "good"


def screen(text: str, *, code: bool = False, thresholds: Thresholds | None = None) -> Screen:
    """Screen one output for degeneration.

    Args:
        text: the model's output, verbatim.
        code: whether the prompt asks for code (enables the keyword/operator/bracket rule).
        thresholds: cut-offs; defaults to :class:`Thresholds`.

    Returns:
        The label and its figures.
    """
    t = thresholds or Thresholds()
    visible = "".join(text.split())
    words = text.split()
    weird_share, weird = _weird_words(text)
    figures: dict[str, Any] = {
        "length": len(visible),
        "unique_chars": len(set(visible)),
        "top_char_share": round(_top_share(visible), 4),
        "repetition_ratio": round(_char_repetition(text), 4),
        "repeated_ngrams": round(_word_repetition(words), 4),
        "weird_word_share": round(weird_share, 4),
        "has_keyword": any(w in _KEYWORDS for w in _WORD.findall(text)),
        "has_operator": bool(_OPERATOR.search(text)),
        "has_bracket": bool(_BRACKET.search(text)),
        "code": code,
    }
    # A long number ("1000…0") is an answer, not a collapse onto "0".
    number = bool(_NUMBER.fullmatch(text.strip()))
    return Screen(label=_label({**figures, "number": number}, weird, len(words), t), **figures)


def is_degenerate(checks: Checks) -> bool:
    """Whether an output's checks (``Generation.checks``) mark it as degenerate (False: not screened)."""
    return checks.degenerate


def decide_pair(finetuned: Checks, base: Checks) -> tuple[Result, str] | None:
    """Decide a pair from its checks alone, for the run option ``decide_degenerate = true``.

    Args:
        finetuned: the fine-tuned output's checks.
        base: the base output's checks.

    Returns:
        ``(result, reason)`` from the fine-tuned side when at least one side is degenerate: the
        other side wins, or a tie when both are. None when both are fine (the judge decides).
    """
    ft_bad, base_bad = finetuned.degenerate, base.degenerate
    if not (ft_bad or base_bad):
        return None
    ft_label = finetuned.degeneration.label if finetuned.degeneration else None
    base_label = base.degeneration.label if base.degeneration else None
    if ft_bad and base_bad:
        return "tie", f"both outputs degenerate (finetuned: {ft_label}, base: {base_label})"
    if ft_bad:
        return "loss", f"finetuned output degenerate ({ft_label})"
    return "win", f"base output degenerate ({base_label})"
