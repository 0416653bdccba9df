"""Read other tools' pairwise verdict files into :class:`~judge.records.Outcome` records.

Accepted (CSV, JSONL or a JSON array, optionally .gz, chosen by the file suffix):

* a ``winner`` column naming a side: ``model``/``finetuned`` (win), ``baseline``/``base``
  (loss), ``tie``/``draw``, or ``failed`` for a pair the judge never decided;
* blind ``winner`` labels ``A``/``B``/``tie`` plus which label the model had: a
  ``finetuned_label`` (or ``model_label``) column, or a key file (``key_path``) with ``id``
  (or ``pair_id``/``item_id``) and ``finetuned_label``/``model_label`` (A/B) or ``a_role``;
* AlpacaEval annotations: ``preference`` 1 = output_1 (the baseline) preferred -> loss,
  2 = output_2 (the model) -> win, 0 or 1.5 = draw -> tie; a weighted preference in (1, 2) goes
  to the nearer side (AlpacaEval's discrete win rate); a null preference (AlpacaEval drops it)
  becomes a *failed* outcome, never a loss. ``dataset`` is the category.

Optional columns: ``id``, ``category``, ``confidence`` (high/medium/low), ``rationale``,
``cluster`` (judge call; without it each row is its own cluster). A bad row raises InputError
naming the file and line and saying what to fix.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from judge.errors import InputError
from judge.records import Outcome
from judge.summary import AlpacaEvalNumbers

__all__ = ["alpaca_eval_preference", "file_models", "is_alpaca_eval", "load_verdicts", "read_rows"]

_SIDES = {"model": "win", "finetuned": "win", "baseline": "loss", "base": "loss", "tie": "tie", "draw": "tie"}
_LABEL_COLUMNS = ("finetuned_label", "model_label")
_KEY_ID_COLUMNS = ("id", "pair_id", "item_id")
_ROLES = {"finetuned": "A", "model": "A", "base": "B", "baseline": "B"}  # a_role -> finetuned label
_CONFIDENCES = ("high", "medium", "low")


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    kind = suffixes[-1] if suffixes else ""
    if kind not in (".csv", ".jsonl", ".json"):
        raise InputError(path, None, "unknown file type: name it .csv, .jsonl or .json, maybe .gz")
    return kind


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based line, row) for every record; CSV records count from their first line."""
    if not path.is_file():
        raise InputError(path, None, "file not found: check the path")
    kind = _kind(path)
    try:
        with _open(path) as handle:
            if kind == ".csv":
                yield from _csv_rows(path, handle)
            else:
                yield from _json_rows(path, handle)
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise InputError(path, None, f"cannot read the file ({exc}): is it UTF-8 text or gzip?") from exc


def read_rows(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based line, raw row) of a verdict file, for callers that need fields beyond the verdict."""
    return _rows(Path(path))


def _csv_rows(path: Path, handle: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(handle)
    start = reader.line_num + 2  # header is line 1
    for row in reader:
        if None in row:
            raise InputError(
                path, start, f"more fields than the {len(reader.fieldnames or [])} in the header"
            )
        yield start, row
        start = reader.line_num + 1


def _json_array_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Elements of a JSON array (AlpacaEval's annotations.json), each with the line it starts on."""
    decoder, pos, line = json.JSONDecoder(), text.index("[") + 1, 1
    while True:
        start, pos = pos, len(text) - len(text[pos:].lstrip(" \t\r\n,"))
        line += text.count("\n", start, pos)
        if text.startswith("]", pos):
            return
        try:
            row, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InputError(path, exc.lineno, f"not valid JSON ({exc.msg}): fix the array element") from None
        if not isinstance(row, dict):
            raise InputError(path, line, f"expected a JSON object, got {type(row).__name__}")
        yield line, row
        line += text.count("\n", pos, end)
        pos = end


def _json_rows(path: Path, handle: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    text = handle.read()
    if text.lstrip().startswith("["):
        yield from _json_array_rows(path, text)
        return
    # split on "\n" only: str.splitlines would also split inside strings at U+2028 and friends
    for number, chunk in enumerate(text.split("\n"), 1):
        if not chunk.strip():
            continue
        try:
            row = json.loads(chunk)
        except json.JSONDecodeError as exc:
            msg = f"not valid JSON ({exc.msg}, column {exc.colno}): write one JSON object per line"
            raise InputError(path, number, msg) from None
        if not isinstance(row, dict):
            raise InputError(path, number, f"expected a JSON object, got {type(row).__name__}")
        yield number, row


def _text(row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value).strip()


def is_alpaca_eval(path: str | Path) -> bool:
    """Whether ``path`` holds AlpacaEval annotations (a ``preference`` and ``output_1``/``generator_1``)."""
    for _, row in _rows(Path(path)):
        return "preference" in row and ("generator_1" in row or "output_1" in row)
    return False


def file_models(path: str | Path) -> dict[str, str]:
    """The two models' names as the file carries them (role -> name).

    AlpacaEval: ``generator_2`` (the model, scored) and ``generator_1`` (the reference); other
    files: an optional ``model`` / ``baseline`` column pair, else the words "model" and "baseline".
    """
    for _, row in _rows(Path(path)):
        model = _text(row, "generator_2") or _text(row, "model_name") or "model"
        reference = _text(row, "generator_1") or _text(row, "baseline_name") or "baseline"
        return {"finetuned": model, "base": reference}
    return {"finetuned": "model", "base": "baseline"}


def _alpaca_value(path: Path, line: int, row: dict[str, Any]) -> float | None:
    """The preference as AlpacaEval reads it (0 -> 1.5), None when null; InputError when invalid."""
    raw = row.get("preference")
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.inf
    if math.isnan(value):
        return None
    value = 1.5 if value == 0 else value
    if not 1 <= value <= 2:
        raise InputError(path, line, f"preference {raw!r} must be 1 (output_1), 2 (output_2), 0/1.5 (draw)")
    return value


def _alpaca_outcome(path: Path, line: int, row: dict[str, Any]) -> Outcome:
    value = _alpaca_value(path, line, row)
    raw = row.get("raw_completion")
    rationale = str(raw.get("concise_explanation", "")) if isinstance(raw, dict) else _text(row, "rationale")
    common: dict[str, Any] = {
        "item_id": _text(row, "id") or str(line),
        "category": _text(row, "dataset") or _text(row, "category") or "all",
        "cluster": _text(row, "cluster") or f"row:{line}",
        "rationale": rationale,
    }
    if value is None:
        return Outcome.model_validate(common | {"status": "failed", "reason": "preference is null"})
    result = "win" if value > 1.5 else "loss" if value < 1.5 else "tie"
    return Outcome.model_validate(common | {"status": "judged", "result": result})


def _load_key(key_path: Path) -> dict[str, str]:
    """id -> the label (A/B) the fine-tuned model had."""
    key: dict[str, str] = {}
    for line, row in _rows(key_path):
        ident = next((_text(row, c) for c in _KEY_ID_COLUMNS if _text(row, c)), "")
        label = next((_text(row, c).upper() for c in _LABEL_COLUMNS if _text(row, c)), "")
        if not label and _text(row, "a_role").lower() in _ROLES:
            label = _ROLES[_text(row, "a_role").lower()]
        if not ident or label not in ("A", "B"):
            raise InputError(
                key_path, line, "a key row needs an id and finetuned_label A/B (or a_role finetuned/base)"
            )
        if ident in key:
            raise InputError(key_path, line, f"id {ident!r} appears twice in the key")
        key[ident] = label
    return key


def _blind_result(path: Path, line: int, winner: str, label: str) -> str:
    if label not in ("A", "B"):
        raise InputError(
            path,
            line,
            f"winner {winner!r} is a blind label but which label the model had is unknown: add a "
            "finetuned_label column (A/B) or give a key file with this row's id",
        )
    return "tie" if winner == "TIE" else "win" if winner == label else "loss"


def _confidence(path: Path, line: int, row: dict[str, Any]) -> str | None:
    value = _text(row, "confidence").lower()
    if value and value not in _CONFIDENCES:
        raise InputError(path, line, f"confidence {value!r} must be high, medium, low or empty")
    return value or None


def _winner_outcome(path: Path, line: int, row: dict[str, Any], key: dict[str, str]) -> Outcome:
    winner = _text(row, "winner")
    ident = _text(row, "id") or str(line)
    common: dict[str, Any] = {
        "item_id": ident,
        "category": _text(row, "category") or "all",
        "cluster": _text(row, "cluster") or f"row:{line}",
        "rationale": _text(row, "rationale"),
        "confidence": _confidence(path, line, row),
    }
    if winner.lower() == "failed":
        reason = _text(row, "reason") or "failed in the source file"
        return Outcome.model_validate(common | {"status": "failed", "reason": reason})
    label = next((_text(row, c).upper() for c in _LABEL_COLUMNS if _text(row, c)), key.get(ident, ""))
    if winner.lower() in _SIDES:
        # A blind tie keeps its labels (when known) so position views can count it.
        blind_tie = winner.lower() in ("tie", "draw") and label in ("A", "B")
        extra = {"finetuned_label": label, "judge_label": "tie"} if blind_tie else {}
        return Outcome.model_validate(common | extra | {"status": "judged", "result": _SIDES[winner.lower()]})
    if winner.upper() not in ("A", "B"):
        msg = f"winner {winner!r} must be model/finetuned, baseline/base, tie, failed, or A/B with a key"
        raise InputError(path, line, msg)
    result = _blind_result(path, line, winner.upper(), label)
    blind = {"status": "judged", "result": result, "finetuned_label": label, "judge_label": winner.upper()}
    return Outcome.model_validate(common | blind)


def load_verdicts(path: str | Path, *, key_path: str | Path | None = None) -> list[Outcome]:
    """Read a file of pairwise verdicts as Outcomes from the fine-tuned (model) side.

    Args:
        path: CSV or JSONL (optionally .gz) in one of the formats of the module docstring.
        key_path: key file for blind A/B winners.

    Returns:
        One Outcome per row, in file order: status "judged" with result win/loss/tie, or
        "failed" where the source recorded no verdict.

    Raises:
        InputError: a malformed row (with file and line), a missing file, or duplicate ids.
    """
    path = Path(path)
    key = _load_key(Path(key_path)) if key_path is not None else {}
    outcomes: list[Outcome] = []
    seen: dict[str, int] = {}
    for line, row in _rows(path):
        if "preference" in row and "winner" not in row:
            outcome = _alpaca_outcome(path, line, row)
        elif "winner" in row:
            outcome = _winner_outcome(path, line, row, key)
        else:
            raise InputError(
                path, line, f"no 'winner' (or AlpacaEval 'preference') field; found {sorted(row)}"
            )
        if outcome.item_id in seen:
            raise InputError(
                path, line, f"id {outcome.item_id!r} already used on line {seen[outcome.item_id]}"
            )
        seen[outcome.item_id] = line
        outcomes.append(outcome)
    if not outcomes:
        raise InputError(path, None, "no verdicts in the file")
    return outcomes


def alpaca_eval_preference(path: str | Path) -> AlpacaEvalNumbers:
    """Preference and standard error computed the way AlpacaEval computes them.

    Draws (0 or 1.5) count as half, null preferences are dropped, ``win_rate`` is the mean of
    (preference - 1) in percent, ``standard_error`` its standard error (ddof = 1) in percent.

    Returns:
        ``win_rate``, ``standard_error`` (percent, AlpacaEval's scale), ``preference`` and
        ``preference_se`` (fractions; None where undefined), ``n_wins``, ``n_wins_base``,
        ``n_draws``, ``n_total``.
    """
    path = Path(path)
    values = [v - 1 for line, row in _rows(path) if (v := _alpaca_value(path, line, row)) is not None]
    n = len(values)
    mean = sum(values) / n if n else None
    se = None
    if mean is not None and n > 1:
        se = math.sqrt(sum((x - mean) ** 2 for x in values) / (n - 1) / n)
    return AlpacaEvalNumbers(
        win_rate=None if mean is None else 100 * mean,
        standard_error=None if se is None else 100 * se,
        preference=mean,
        preference_se=se,
        n_wins=sum(x > 0.5 for x in values),
        n_wins_base=sum(x < 0.5 for x in values),
        n_draws=sum(x == 0.5 for x in values),
        n_total=n,
    )
