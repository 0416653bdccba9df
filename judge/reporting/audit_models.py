"""The audit by model: the comparisons of every pairing that involves one model.

A several-models run keeps each pairing's audit in its own folder (``pairings/<name>/audit.jsonl``);
``judge audit RUN_DIR --model NAME`` reads those of every pairing with that model. Rows stay as the
pairing wrote them (blind: which model was A is shown only when revealed). ``--result`` is read from
the chosen model's side, so "loss" means the comparisons that model lost, whichever side it was on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from judge.errors import ConfigError
from judge.records import AuditRow, Result, Role
from judge.reporting.audit import filter_rows
from judge.runfolder import RunFolder
from judge.summary_several import SeveralSummary

__all__ = ["PairingRows", "filter_groups", "pairing_rows", "resolve_model"]

_FLIP: dict[str, Result] = {"win": "loss", "loss": "win", "tie": "tie"}


@dataclass(frozen=True)
class PairingRows:
    """One pairing's audit rows and who its two sides were."""

    name: str
    names: dict[Role, str]  # role -> model name (finetuned: the pairing's candidate)
    rows: list[AuditRow]
    flipped: bool = False  # the model asked for is on the base side: its win is the row's loss


def resolve_model(names: dict[str, str], wanted: str) -> str:
    """The model key ``wanted`` names (a key or a display name).

    Raises:
        ConfigError: no model by that name; the message lists them.
    """
    if wanted in names:
        return wanted
    keys = [k for k, name in names.items() if name == wanted]
    if len(keys) == 1:
        return keys[0]
    listed = ", ".join(f"{k} ({n})" if n != k else k for k, n in names.items())
    raise ConfigError(f"--model {wanted}: no such model in this run; its models are {listed}")


def pairing_rows(folder: RunFolder, summary: SeveralSummary, model: str | None = None) -> list[PairingRows]:
    """Every pairing's audit rows (only the pairings with ``model``, a key or a name, when given).

    Raises:
        ConfigError: ``model`` names no model of the run.
        InputError: a pairing's audit.jsonl is not valid.
    """
    names = {m.key: m.name for m in summary.models}
    key = resolve_model(names, model) if model is not None else None
    out = []
    for p in summary.pairings:
        if key is not None and key not in (p.candidate, p.other):
            continue
        rows = folder.pairing(p.name).read_audit()
        sides: dict[Role, str] = {"finetuned": names[p.candidate], "base": names[p.other]}
        out.append(PairingRows(p.name, sides, rows, flipped=key == p.other))
    return out


def filter_groups(
    groups: Sequence[PairingRows], *, result: str | None = None, **filters: Any
) -> list[PairingRows]:
    """Each group's rows that pass ``filter_rows``' filters; ``result`` from the chosen model's side."""
    out = []
    for g in groups:
        wanted = _FLIP[result] if result is not None and g.flipped and result in _FLIP else result
        out.append(PairingRows(g.name, g.names, filter_rows(g.rows, result=wanted, **filters), g.flipped))
    return out
