"""Reading the user's files: prompt sets (JSONL or CSV) and outputs files (JSONL).

Every problem is an :class:`~judge.errors.InputError` naming the file, the 1-based line and
what to do; nothing is written before all inputs have been read and checked.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from judge.errors import InputError
from judge.records import Generation, PromptItem, Role

__all__ = ["load_outputs", "load_prompts", "match_outputs", "read_text"]

_PROMPT_FIELDS = {"id", "prompt", "reference", "category", "metadata"}


def read_text(path: Path) -> str:
    """Read a UTF-8 file (BOM tolerated), or raise InputError saying how to fix the encoding."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, None, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, None, "is a folder: give the file inside it") from None
    except OSError as exc:
        raise InputError(path, None, f"cannot be read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            path, line, f"not UTF-8 (byte {raw[exc.start]:#04x}); re-save the file as UTF-8"
        ) from None


def _lines(text: str) -> list[str]:
    """Lines split at \\n only: str.splitlines() also splits at U+2028/U+2029, which JSON allows raw."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(_lines(read_text(path)), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(path, number, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(row, dict):
            raise InputError(path, number, 'each line must be a JSON object like {"id": ..., ...}')
        yield number, row


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    try:
        if not reader.fieldnames:
            raise InputError(path, 1, "empty CSV: the first line must name the columns (id,prompt,...)")
        for row in reader:
            if None in row:
                raise InputError(
                    path, reader.line_num, "more values than column names; quote fields holding commas"
                )
            yield reader.line_num, {k: v for k, v in row.items() if v not in (None, "")}
    except csv.Error as exc:
        raise InputError(path, reader.line_num, f"not readable as CSV ({exc})") from None


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix in (".jsonl", ".json", ".ndjson"):
        return _jsonl_rows(path)
    raise InputError(path, None, f"unknown file type {suffix!r}: use .jsonl or .csv")


def _prompt_item(path: Path, number: int, row: dict[str, Any]) -> PromptItem:
    found = ", ".join(map(str, row)) or "nothing"
    if "id" not in row or str(row["id"]).strip() == "":
        raise InputError(path, number, f"no 'id' field: every prompt needs a unique id; found {found}")
    if "prompt" not in row:
        raise InputError(path, number, f"prompt {row['id']!r}: no 'prompt' field; found {found}")
    if not isinstance(row.get("prompt"), str) or not row["prompt"].strip():
        raise InputError(path, number, f"prompt {row['id']!r} has no 'prompt' text")
    metadata = row.get("metadata", {})
    if isinstance(metadata, str):  # CSV: metadata as a JSON object in one cell
        try:
            metadata = json.loads(metadata)
        except json.JSONDecodeError:
            raise InputError(path, number, "'metadata' must be a JSON object") from None
    category = row.get("category")
    if category is not None and (isinstance(category, bool) or not isinstance(category, (str, int, float))):
        raise InputError(
            path, number, f"prompt {row['id']!r}: 'category' must be a name like \"math\", not {category!r}"
        )
    reference = row.get("reference")
    if reference is not None and not isinstance(reference, (str, int, float)):
        raise InputError(path, number, f"prompt {row['id']!r}: 'reference' must be text, not {reference!r}")
    if isinstance(row["id"], (dict, list)):
        raise InputError(path, number, f"'id' must be a string or number, not {row['id']!r}")
    extras = {k: v for k, v in row.items() if k not in _PROMPT_FIELDS}
    try:
        return PromptItem(
            id=str(row["id"]),
            prompt=row["prompt"],
            reference=None if row.get("reference") is None else str(row["reference"]),
            category=str(row.get("category") or "all"),
            metadata={**extras, **metadata} if isinstance(metadata, dict) else metadata,
        )
    except ValidationError as exc:
        raise InputError(path, number, exc.errors()[0]["msg"]) from None


def load_prompts(path: str | Path, *, limit: int | None = None) -> list[PromptItem]:
    """Read a prompt set.

    Args:
        path: JSONL (one object per line) or CSV with columns id, prompt and optional
            reference, category, metadata (a JSON object); other columns go to metadata.
        limit: keep only the first N prompts.

    Returns:
        The prompts in file order.

    Raises:
        InputError: on a malformed line, a missing field, a duplicate id, a bad encoding or an
            empty file.
    """
    path = Path(path)
    items: list[PromptItem] = []
    seen: dict[str, int] = {}
    for number, row in _rows(path):
        item = _prompt_item(path, number, row)
        if item.id in seen:
            raise InputError(path, number, f"duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise InputError(path, None, "no prompts in file")
    return items[:limit] if limit else items


def load_outputs(path: str | Path, role: Role, *, model: str = "") -> dict[str, Generation]:
    """Read a model's outputs: JSONL lines ``{"id": ..., "output": ...}``.

    Raises:
        InputError: malformed line, missing id/output, empty output, duplicate id.
    """
    path = Path(path)
    found: dict[str, Generation] = {}
    lines: dict[str, int] = {}
    for number, row in _rows(path):
        if "id" not in row or isinstance(row["id"], (dict, list)) or row["id"] is None:
            keys = ", ".join(map(str, row)) or "nothing"
            raise InputError(
                path, number, f"no 'id' field: each line needs the prompt id it answers; found {keys}"
            )
        item_id = str(row["id"])
        output = row.get("output")
        if "output" not in row:
            keys = ", ".join(map(str, row)) or "nothing"
            raise InputError(path, number, f"id {item_id!r}: no 'output' field; found {keys}")
        if not isinstance(output, str):
            raise InputError(
                path, number, f"id {item_id!r}: 'output' must be a string, not {type(output).__name__}"
            )
        if not output.strip():
            raise InputError(path, number, f"id {item_id!r}: empty output (remove the line or regenerate it)")
        if item_id in found:
            raise InputError(path, number, f"duplicate id {item_id!r} (first on line {lines[item_id]})")
        lines[item_id] = number
        found[item_id] = Generation(item_id=item_id, role=role, output=output, model=model)
    return found


def match_outputs(prompts: list[PromptItem], outputs: dict[str, Generation], path: str | Path) -> None:
    """Check that an outputs file answers exactly the prompt set's ids.

    Raises:
        InputError: naming the first missing or unknown ids and the file to fix.
    """
    wanted = {item.id for item in prompts}
    missing = sorted(wanted - outputs.keys())
    unknown = sorted(outputs.keys() - wanted)
    if missing:
        raise InputError(path, None, f"no output for {len(missing)} prompt id(s), e.g. {missing[:5]}")
    if unknown:
        raise InputError(path, None, f"{len(unknown)} id(s) not in the prompt set, e.g. {unknown[:5]}")
