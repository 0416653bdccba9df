"""``judge audit RUN`` in the terminal: one readable block per comparison, never interpreting its text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from judge.records import AuditRow, Role
from judge.reporting.audit import check_disagrees, check_verdict, injection_suspected, rationale_disagrees

__all__ = ["clean", "plain", "print_audit"]

# Control characters (ANSI escapes, BEL, ...) and bidi overrides in model text could rewrite the
# terminal or hide text; they are shown as visible escapes instead. Newline and tab are kept.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_RESULT_STYLE = {"win": "bold green", "loss": "bold red", "tie": "bold yellow"}


def clean(text: str, max_lines: int | None = None) -> str:
    """Text made safe for a terminal, cut to ``max_lines`` lines (with a note of what was cut)."""
    text = _UNSAFE.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}", text
    )
    if max_lines is None:
        return text
    lines = text.splitlines()
    if len(lines) <= max_lines:
        return text
    return "\n".join(lines[:max_lines]) + f"\n… ({len(lines) - max_lines} more lines)"


def plain(text: str) -> Text:
    """``text`` as a rich renderable that is printed literally: no markup, control characters escaped."""
    return Text(clean(text))


def _header(row: AuditRow, reveal: bool, names: Mapping[Role, str] | None = None) -> Text:
    head = Text(f"{clean(row.item_id)}  round {row.round}  [{clean(row.category)}]  ", style="bold")
    if row.status == "failed":
        return head.append(f"FAILED: {clean(row.reason or 'no reason recorded')}", style="bold red")
    head.append(f"judge: {row.judge_label or '—'}")
    head.append(f" ({row.confidence})" if row.confidence else "")
    if reveal:
        a = clean(names.get(row.a_role, row.a_role)) if names else row.a_role
        head.append(f"  A = {a}  →  ")
        head.append(row.result or "—", style=_RESULT_STYLE.get(row.result or "", ""))
        if names and row.result is not None:
            head.append(f" for {clean(names.get('finetuned', 'finetuned'))}")
    if row.status == "decided_by_check":
        head.append(f"  decided by check: {clean(row.reason or '')}", style="cyan")
    return head


def _flags(row: AuditRow, reveal: bool) -> Text | None:
    flags = []
    if row.position_consistent is False:
        flags.append("position-inconsistent")
    if injection_suspected(row):
        flags.append("injection suspected (judged alone)")
    if check_disagrees(row):
        flags.append(f"check disagrees (checks say {check_verdict(row)})" if reveal else "check disagrees")
    if rationale_disagrees(row):
        flags.append("contradicts its criteria")
    return Text("  ".join(flags), style="bold magenta") if flags else None


def _outputs(row: AuditRow, max_lines: int | None) -> Table:
    grid = Table(show_header=True, expand=True, box=None, padding=(0, 1))
    grid.add_column("Output A", ratio=1, overflow="fold")
    grid.add_column("Output B", ratio=1, overflow="fold")
    grid.add_row(Text(clean(row.output_a, max_lines)), Text(clean(row.output_b, max_lines)))
    return grid


def _body(row: AuditRow, reveal: bool, max_lines: int | None, names: Mapping[Role, str] | None) -> Group:
    parts: list[Text | Table] = [_header(row, reveal, names)]
    flags = _flags(row, reveal)
    if flags is not None:
        parts.append(flags)
    parts += [
        Text("Prompt", style="bold underline"),
        Text(clean(row.prompt, max_lines)),
        _outputs(row, max_lines),
    ]
    if row.criteria:
        parts.append(Text("Criteria: " + ", ".join(f"{clean(k)} {v}" for k, v in row.criteria.items())))
    if row.rationale:
        parts += [Text("Rationale", style="bold underline"), Text(clean(row.rationale, max_lines))]
    if row.raw_reply and (max_lines is None or row.status == "failed"):
        parts += [Text("Raw reply", style="bold underline"), Text(clean(row.raw_reply, max_lines))]
    return Group(*parts)


def print_audit(
    rows: Iterable[AuditRow],
    console: Console,
    *,
    reveal: bool = False,
    max_lines: int | None = 12,
    names: Mapping[Role, str] | None = None,
) -> int:
    """Print audit rows, one panel each; model and judge text is printed literally, never as markup.

    Args:
        rows: the rows to show (typically filter_rows' result).
        console: where to print.
        reveal: show which role was A and the un-blinded result (blind by default).
        max_lines: cut each text to this many lines; None prints everything and the raw reply.
        names: role -> model name, to name the models when revealing (a several-models pairing).

    Returns:
        The number of rows printed.
    """
    count = 0
    for count, row in enumerate(rows, start=1):
        console.print(Panel(_body(row, reveal, max_lines, names), title=f"#{count}", title_align="left"))
    console.print(Text(f"{count} comparison(s) shown.", style="dim"))
    return count
