"""Procedural problems with known answers (seed 004), and the checker that runs the model's code.

Three kinds, each with difficulty 1-10:

* ``arithmetic``: an integer expression of ``d + 1`` literals with ``+ - *`` and parentheses;
  literals grow from one digit (d <= 3) to three (d >= 8). Answer: its value.
* ``rpn``: the same kind of expression in Reverse Polish Notation. Answer: its value.
* ``brackets``: a string of ``()[]{}`` of length ``2d + 2``, balanced or not (even odds).
  Answer: ``True`` or ``False``.

Splits do not overlap by construction: an item belongs to ``train`` / ``val`` / ``test`` (70/15/15)
by a hash of its kind and input, so no seed can put the same problem in two splits. The
generator computes answers with its own tree/stack evaluators (tests confirm them with Python's).
"""

from __future__ import annotations

import hashlib
import os
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from judge.checks.sandbox import ExecResult, SandboxLimits, run_programs
from judge.records import PromptItem

__all__ = [
    "KINDS",
    "Kind",
    "Split",
    "check_answers",
    "extract_python",
    "generate_problems",
    "write_problems",
]

Kind = Literal["arithmetic", "rpn", "brackets"]
Split = Literal["train", "val", "test"]
KINDS: tuple[Kind, ...] = ("arithmetic", "rpn", "brackets")
_MAX_TRIES = 2000
_PAIRS = {")": "(", "]": "[", "}": "{"}
_FENCE = re.compile(r"```[ \t]*(python|py|python3)?[ \t]*\n(.*?)(```|\Z)", re.DOTALL | re.IGNORECASE)
_FORMAT = "Reply with the program in one ```python code block."
_PROMPTS: dict[Kind, str] = {
    "arithmetic": "Write a short Python program that prints the value of this integer expression:\n{x}\n"
    "Print only the number.",
    "rpn": "Write a short Python program that evaluates this Reverse Polish Notation expression "
    "(integers; + - * are binary operators) and prints the result:\n{x}\nPrint only the number.",
    "brackets": "Write a short Python program that prints True if the brackets in this string are "
    "balanced and properly nested, else False:\n{x}\nPrint only True or False.",
}

# An expression tree: an int leaf, or (operator, left, right).
_Tree = int | tuple[str, "_Tree", "_Tree"]


def _tree(rng: random.Random, leaves: int, d: int) -> _Tree:
    if leaves == 1:
        return rng.randint(1, 9 if d <= 3 else 99 if d <= 7 else 999)
    ops = "+-" if d <= 2 else "+-*"
    left = rng.randint(1, leaves - 1)
    return (rng.choice(ops), _tree(rng, left, d), _tree(rng, leaves - left, d))


def _value(t: _Tree) -> int:
    if isinstance(t, int):
        return t
    op, a, b = t
    x, y = _value(a), _value(b)
    return x + y if op == "+" else x - y if op == "-" else x * y


def _infix(t: _Tree, parent: str = "", right: bool = False) -> str:
    if isinstance(t, int):
        return str(t)
    op, a, b = t
    text = f"{_infix(a, op)} {op} {_infix(b, op, right=True)}"
    # Parentheses only where precedence or left-associativity of "-" needs them.
    weaker = op in "+-" and parent == "*"
    needs = weaker or (right and parent == "-" and op in "+-")
    return f"({text})" if needs else text


def _postfix(t: _Tree) -> str:
    if isinstance(t, int):
        return str(t)
    op, a, b = t
    return f"{_postfix(a)} {_postfix(b)} {op}"


def _balanced(s: str) -> bool:
    stack: list[str] = []
    for ch in s:
        if ch in "([{":
            stack.append(ch)
        elif not stack or stack.pop() != _PAIRS[ch]:
            return False
    return not stack


def _dyck(rng: random.Random, length: int) -> str:
    out: list[str] = []
    stack: list[str] = []
    for i in range(length):
        if stack and (len(stack) == length - i or rng.random() < 0.5):
            out.append({"(": ")", "[": "]", "{": "}"}[stack.pop()])
        else:
            stack.append(rng.choice("([{"))
            out.append(stack[-1])
    return "".join(out)


def _brackets(rng: random.Random, d: int) -> tuple[str, str]:
    s = _dyck(rng, 2 * d + 2)
    if rng.random() < 0.5:
        while _balanced(s):
            chars = list(s)
            chars[rng.randrange(len(chars))] = rng.choice("()[]{}")
            s = "".join(chars)
    return s, str(_balanced(s))


def _draw(kind: Kind, rng: random.Random, d: int) -> tuple[str, str]:
    if kind == "brackets":
        return _brackets(rng, d)
    tree = _tree(rng, d + 1, d)
    return (_infix(tree) if kind == "arithmetic" else _postfix(tree)), str(_value(tree))


def _split_of(kind: str, text: str) -> Split:
    bucket = int(hashlib.sha256(f"{kind}:{text}".encode()).hexdigest(), 16) % 20
    return "train" if bucket < 14 else "val" if bucket < 17 else "test"


def _item(kind: Kind, text: str, answer: str, d: int, split: Split) -> PromptItem:
    digest = hashlib.sha256(f"{kind}:{text}".encode()).hexdigest()[:10]
    return PromptItem(
        id=f"{kind}-{split}-d{d}-{digest}",
        prompt=_PROMPTS[kind].format(x=text) + "\n" + _FORMAT,
        reference=None,  # the judge is not told the answer: judge-vs-truth measures it unaided
        category=kind,
        metadata={"check": "procedural", "kind": kind, "difficulty": d, "split": split,
                  "input": text, "answer": answer},
    )  # fmt: skip


def generate_problems(
    n: int,
    *,
    seed: int,
    kinds: Sequence[Kind] = KINDS,
    difficulty: tuple[int, int] = (1, 10),
    split: Split = "test",
) -> list[PromptItem]:
    """Generate ``n`` distinct problems of one split, reproducibly.

    Args:
        n: number of items.
        seed: the same seed (and arguments) gives the same items.
        kinds: problem kinds, used in turn.
        difficulty: inclusive range within 1-10; difficulties are spread evenly over it.
        split: which split the items must belong to.

    Returns:
        PromptItems with ``metadata`` ``{"check": "procedural", "kind", "difficulty", "split",
        "input", "answer"}``. ``reference`` stays None so the judge works unaided; copy the
        answer into it to measure a judge that is given the answer.

    Raises:
        ValueError: bad arguments, or fewer than ``n`` distinct problems exist for them.
    """
    lo, hi = difficulty
    if not 1 <= lo <= hi <= 10:
        raise ValueError(f"difficulty must satisfy 1 <= lo <= hi <= 10, got {difficulty}")
    if n < 0 or not kinds or any(k not in KINDS for k in kinds):
        raise ValueError(f"n must be >= 0 and kinds a non-empty subset of {KINDS}, got {n}, {kinds}")
    items: list[PromptItem] = []
    seen: set[tuple[str, str]] = set()
    for i in range(n):
        kind, d = kinds[i % len(kinds)], lo + (i // len(kinds)) % (hi - lo + 1)
        rng = random.Random(f"{seed}:{split}:{i}")
        for _ in range(_MAX_TRIES):
            text, answer = _draw(kind, rng, d)
            if (kind, text) not in seen and _split_of(kind, text) == split:
                break
        else:
            raise ValueError(f"ran out of distinct {kind} problems at difficulty {d}; ask for fewer than {n}")
        seen.add((kind, text))
        items.append(_item(kind, text, answer, d, split))
    return items


def write_problems(items: Sequence[PromptItem], path: str | Path) -> None:
    """Write items as JSONL (one PromptItem per line), atomically.

    Args:
        items: the problems.
        path: destination file; replaced only once fully written.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(item.model_dump_json() + "\n" for item in items), encoding="utf-8")
    os.replace(tmp, path)


def extract_python(text: str) -> str | None:
    """The first ```python fenced block in ``text`` (else the first bare fence), or None."""
    blocks = [(m.group(1), m.group(2)) for m in _FENCE.finditer(text)]
    tagged = [body for tag, body in blocks if tag]
    chosen = tagged or [body for _, body in blocks]
    return chosen[0] if chosen and chosen[0].strip() else None


def check_answers(
    pairs: Sequence[tuple[PromptItem, str]], *, limits: SandboxLimits | None = None, workers: int = 2
) -> list[ExecResult]:
    """Run each output's Python code in the sandbox and compare what it prints with the answer.

    Args:
        pairs: ``(procedural item, model output)``.
        limits: sandbox limits per program.
        workers: programs running at once.

    Returns:
        One result per pair, in order; ``no_code`` when the output holds no code block.
    """
    jobs = [(extract_python(out), str(item.metadata["answer"])) for item, out in pairs]
    return run_programs(jobs, limits=limits, workers=workers)
