"""The terminal audit: reading audit.jsonl, filters, rich output that cannot be hijacked, export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from report_factory import COLLAPSED, RIGHT, WRONG_CALL, checks_for, make_row
from rich.console import Console

from judge.errors import ConfigError, InputError
from judge.reporting import check_verdict, export_rows, filter_rows, print_audit, read_audit

GOOD = "The capital of France is Paris, a city on the Seine with about two million people."


def _rows() -> list:
    return [
        make_row(
            0,
            "win",
            category="code",
            checks={"finetuned": checks_for(RIGHT, None), "base": checks_for(WRONG_CALL, None)},
        ),
        make_row(
            1,
            "loss",
            category="code",
            checks={"finetuned": checks_for(RIGHT, None), "base": checks_for(WRONG_CALL, None)},
        ),
        make_row(2, "tie", category="chat", confidence="low", position_consistent=False),
        make_row(3, None, category="chat"),
        make_row(
            4,
            "win",
            category="chat",
            checks={"finetuned": checks_for(COLLAPSED), "base": checks_for(GOOD)},
            rationale="Needle here",
        ),
        make_row(5, "loss", category="chat", a_role="base", confidence="medium"),
    ]


def _ids(rows: list) -> list[str]:
    return [r.item_id[-1] for r in rows]


def test_each_filter_and_their_combination() -> None:
    rows = _rows()
    assert _ids(filter_rows(rows)) == list("012345")
    assert _ids(filter_rows(rows, category="code")) == ["0", "1"]
    assert _ids(filter_rows(rows, result="loss")) == ["1", "5"]
    assert _ids(filter_rows(rows, confidence="low")) == ["2"]
    assert _ids(filter_rows(rows, inconsistent=True)) == ["2"]
    assert _ids(filter_rows(rows, check_disagrees=True)) == ["1", "4"]
    assert _ids(filter_rows(rows, failed=True)) == ["3"]
    assert _ids(filter_rows(rows, search="nEEDLE")) == ["4"]
    assert _ids(filter_rows(rows, category="chat", result="win", check_disagrees=True)) == ["4"]
    assert filter_rows(rows, category="code", result="tie") == []


def test_check_verdict_needs_the_checks_to_separate_the_sides() -> None:
    rows = _rows()
    assert [check_verdict(r) for r in rows] == ["win", "win", None, None, "loss", None]
    same = make_row(9, "win", checks={"finetuned": checks_for(RIGHT, None), "base": checks_for(RIGHT, None)})
    assert check_verdict(same) is None


def test_read_audit_reports_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    good = [r.model_dump_json() for r in _rows()[:2]]
    path.write_text(good[0] + "\n\n" + good[1] + "\n", encoding="utf-8")
    assert len(read_audit(path)) == 2
    path.write_text(good[0] + "\n" + json.dumps({"item_id": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_audit(path)
    assert err.value.line == 2 and "not an audit row" in str(err.value)


def test_terminal_output_is_literal_and_blind_until_revealed() -> None:
    hostile = make_row(
        7,
        "win",
        output_a="[bold red]fake[/] \x1b[2J\x1b]0;title\x07 \u202eevil",
        rationale="[link=http://x]click[/link]",
    )
    console = Console(record=True, width=120, force_terminal=True, color_system="truecolor")
    assert print_audit([hostile, *_rows()], console) == 7
    out = console.export_text()
    assert "[bold red]fake[/]" in out and "[link=http://x]click[/link]" in out
    assert "\\x1b[2J" in out and "\\x07" in out and "\\u202e" in out
    assert "A = finetuned" not in out and "FAILED: reply had no verdict" in out
    assert "position-inconsistent" in out and "check disagrees" in out
    revealed = Console(record=True, width=120)
    print_audit([hostile], revealed, reveal=True)
    assert "A = finetuned" in revealed.export_text()


def test_terminal_escape_bytes_never_reach_the_terminal() -> None:
    buf = io.StringIO()
    console = Console(file=buf, width=100, force_terminal=False, color_system=None)
    print_audit([make_row(1, "win", output_b="\x1b[31mred\x1b[0m")], console)
    assert "\x1b" not in buf.getvalue() and "\\x1b[31mred" in buf.getvalue()


def test_long_text_is_cut_unless_full() -> None:
    row = make_row(1, "win", output_a="\n".join(f"line {i}" for i in range(40)), raw_reply="RAW-REPLY")
    short, full = Console(record=True, width=100), Console(record=True, width=100)
    print_audit([row], short, max_lines=5)
    print_audit([row], full, max_lines=None)
    cut, whole = short.export_text(), full.export_text()
    assert "(35 more lines)" in cut and "line 39" not in cut and "RAW-REPLY" not in cut
    assert "line 39" in whole and "RAW-REPLY" in whole


def test_export_jsonl_round_trips_and_csv_is_spreadsheet_safe(tmp_path: Path) -> None:
    evil = make_row(8, "win", output_a='=HYPERLINK("http://x")', output_b="+1", prompt="@SUM(A1)")
    rows = [*_rows(), evil]
    assert export_rows(rows, tmp_path / "rows.jsonl") == 7
    assert read_audit(tmp_path / "rows.jsonl") == rows
    assert export_rows(filter_rows(rows, category="code"), tmp_path / "code.CSV") == 2
    with open(tmp_path / "code.CSV", newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert [t["item_id"] for t in table] == ["item-000", "item-001"]
    assert table[1]["check_verdict"] == "win" and table[1]["check_disagrees"] == "True"
    assert json.loads(table[1]["checks"])["base"]["toolcall"]["correct"] is False
    export_rows(rows[-1:], tmp_path / "evil.csv")
    with open(tmp_path / "evil.csv", newline="", encoding="utf-8") as fh:
        evil = next(csv.DictReader(fh))
    assert evil["output_a"] == '\'=HYPERLINK("http://x")' and evil["output_b"] == "'+1"
    assert evil["prompt"] == "'@SUM(A1)"


def test_export_refuses_unknown_suffix_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\.csv or \.jsonl"):
        export_rows(_rows(), tmp_path / "rows.xlsx")
    assert list(tmp_path.iterdir()) == []
