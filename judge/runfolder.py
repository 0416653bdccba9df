"""The run folder: its layout, every read and every atomic write, in one place.

``results/<run>/`` holds what one comparison produced. Nothing else in judge names these files or
writes into the folder: the pipeline, the importer of other tools' verdicts, ``judge report``,
``judge audit``, ``judge perplexity --run`` and :func:`judge.load_run` all go through
:class:`RunFolder`. Every write is atomic (a temporary file in the same folder, fsynced, then
renamed), so a reader sees the old file or the new one, never a part.

==================  ===========================================================================
file                what it holds
==================  ===========================================================================
config.toml         the config as written (when the run came from a file)
config.json         the validated config (paths absolute; never a key)
generations.jsonl   every output, with the checks' findings
pairs.jsonl         what the judge saw: blind pairs (no model names)
key.jsonl           the blinding key: which model was A, per pair
judgments.jsonl     one judgment per pair sent: verdict or failure with its reason
outcomes.jsonl      un-blinded results per item, from the fine-tune's side
audit.jsonl         one row per judged comparison: texts, verdict, rationale, raw reply, checks
summary.json        the statistics and the answer in words (docs/summary.schema.json)
report.md/.html     the reports, rendered from summary.json and audit.jsonl
ledger.sqlite       every request and raw reply, for resuming without paying twice
settings.json       the settings that change verdicts (a changed one is refused)
invocations.jsonl   each invocation's new calls, tokens, cost, recovered pairs and exit code
run.lock            held by the one judge process writing the folder
<name>.json         side results attached later (perplexity.json)
pairings/<name>/    several models: each pairing's own two-model run folder (the run's summary.json
                    is then a SeveralSummary, ``"kind": "several"``)
==================  ===========================================================================

The results folder above the run folders holds ``index.html``, the list of every run
(:mod:`judge.reporting.index`).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from judge.errors import InputError
from judge.records import AuditRow, Generation, Outcome
from judge.summary import Summary, load_summary
from judge.summary_several import SeveralSummary, is_several

__all__ = ["RunFolder", "write_atomic", "write_jsonl"]

M = TypeVar("M", bound=BaseModel)


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: str | Path, records: Iterable[BaseModel | dict[str, Any]]) -> None:
    """Atomically write records as JSON lines."""
    lines = [
        r.model_dump_json() if isinstance(r, BaseModel) else json.dumps(r, ensure_ascii=False)
        for r in records
    ]
    write_atomic(path, "".join(line + "\n" for line in lines))


def _invalid(path: Path, line: int | None, what: str, exc: ValidationError) -> InputError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "document"
    return InputError(path, line, f"not {what}: {where}: {first['msg']}")


class RunFolder:
    """One run's folder (see the module docstring for its files).

    Args:
        path: ``results/<run>/``; it need not exist yet.
    """

    CONFIG_TOML = "config.toml"
    CONFIG_JSON = "config.json"
    GENERATIONS = "generations.jsonl"
    PAIRS = "pairs.jsonl"
    KEY = "key.jsonl"
    JUDGMENTS = "judgments.jsonl"
    OUTCOMES = "outcomes.jsonl"
    AUDIT = "audit.jsonl"
    SUMMARY = "summary.json"
    REPORT_MD = "report.md"
    REPORT_HTML = "report.html"
    LEDGER = "ledger.sqlite"
    SETTINGS = "settings.json"
    INVOCATIONS = "invocations.jsonl"
    LOCK = "run.lock"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    @property
    def name(self) -> str:
        """The run's folder name (its id)."""
        return self.path.name

    def is_run(self) -> bool:
        """Whether the folder holds a finished run (a summary.json)."""
        return (self.path / self.SUMMARY).is_file()

    # -- writes --------------------------------------------------------------------------------------
    def write_text(self, name: str, text: str) -> Path:
        """Write one file of the folder atomically; returns its path."""
        path = self.path / name
        write_atomic(path, text)
        return path

    def write_records(self, name: str, records: Iterable[BaseModel | dict[str, Any]]) -> Path:
        """Write records as JSON lines, atomically; returns the path."""
        path = self.path / name
        write_jsonl(path, records)
        return path

    def write_json(self, name: str, payload: BaseModel | dict[str, Any]) -> Path:
        """Write one JSON document (indented, newline-terminated), atomically."""
        text = (
            payload.model_dump_json(indent=2)
            if isinstance(payload, BaseModel)
            else json.dumps(payload, indent=2, ensure_ascii=False)
        )
        return self.write_text(name, text + "\n")

    def write_summary(self, summary: Summary) -> Path:
        """Write summary.json."""
        return self.write_json(self.SUMMARY, summary)

    # -- reads ---------------------------------------------------------------------------------------
    def read_summary(self) -> Summary:
        """summary.json as a :class:`~judge.summary.Summary` (an older schema is upgraded).

        Raises:
            InputError: the file is missing (the message says how to make one) or not a summary.
        """
        path = self.path / self.SUMMARY
        raw = self._summary_bytes()
        if is_several(raw):
            pairings = sorted(
                p.name for p in (self.path / "pairings").glob("*") if (p / self.SUMMARY).is_file()
            )
            example = self.path / "pairings" / (pairings[0] if pairings else "<candidate>-vs-<other>")
            raise InputError(
                path,
                None,
                f"a several-models run ({len(pairings)} pairings); this takes a two-model run "
                f"folder: give one pairing's, e.g. {example}",
            )
        try:
            return load_summary(raw)
        except ValidationError as exc:
            raise _invalid(path, None, "a summary", exc) from None

    def _summary_bytes(self) -> bytes:
        path = self.path / self.SUMMARY
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise InputError(
                path, None, "no summary.json: not a finished run folder (run `judge run CONFIG` first)"
            ) from None

    def is_several(self) -> bool:
        """Whether the folder holds a finished several-models run (its pairings under ``pairings/``)."""
        path = self.path / self.SUMMARY
        return path.is_file() and is_several(path.read_bytes())

    def read_several(self) -> SeveralSummary:
        """summary.json of a several-models run.

        Raises:
            InputError: the file is missing or not a several-models summary.
        """
        try:
            return SeveralSummary.model_validate_json(self._summary_bytes())
        except ValidationError as exc:
            raise _invalid(self.path / self.SUMMARY, None, "a several-models summary", exc) from None

    def read_any_summary(self) -> Summary | SeveralSummary:
        """summary.json as whichever it is: a two-model or a several-models summary."""
        return self.read_several() if self.is_several() else self.read_summary()

    def pairing(self, name: str) -> RunFolder:
        """One pairing's own two-model run folder (``pairings/<name>/``) of a several-models run."""
        return RunFolder(self.path / "pairings" / name)

    def read_records(self, name: str, model: type[M], *, required: bool = True) -> list[M]:
        """One JSONL file of the folder as records (an absent optional file reads as []).

        Raises:
            InputError: the file is required and missing, or a line is not a valid record (its
                1-based line number is given).
        """
        path = self.path / name
        if not path.exists():
            if required:
                raise InputError(path, None, f"missing from the run folder {self.path}")
            return []
        out = []
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    out.append(model.model_validate_json(line))
                except ValidationError as exc:
                    raise _invalid(path, number, f"a {model.__name__} row", exc) from None
        return out

    def read_audit(self) -> list[AuditRow]:
        """audit.jsonl (empty when the run has none)."""
        return self.read_records(self.AUDIT, AuditRow, required=False)

    def read_outcomes(self) -> list[Outcome]:
        """outcomes.jsonl (empty when the run has none)."""
        return self.read_records(self.OUTCOMES, Outcome, required=False)

    def read_generations(self) -> list[Generation]:
        """generations.jsonl (empty for imported verdict files, which have no generations)."""
        return self.read_records(self.GENERATIONS, Generation, required=False)

    def read_config_text(self) -> str | None:
        """The config.toml snapshot, if the run came from a file."""
        path = self.path / self.CONFIG_TOML
        return path.read_text(encoding="utf-8") if path.exists() else None

    def read_json(self, name: str) -> dict[str, Any] | None:
        """A side result (``<name>.json``), or None when absent."""
        path = self.path / name
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InputError(path, None, f"not valid JSON: {exc}") from None
        return data if isinstance(data, dict) else None
