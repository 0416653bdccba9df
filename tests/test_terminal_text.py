"""Text from files reaches the terminal as text: rich markup is not interpreted, escapes are shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge.cli import main


def test_stats_prints_hostile_category_and_id_literally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "verdicts.csv"
    category = "odd[/]cat[bold]\x1b[2J\x07"
    winners = ["model"] * 6 + ["baseline"] * 4
    rows = "".join(f"q{i},{w},{category if i % 2 else 'plain'}\n" for i, w in enumerate(winners))
    path.write_text("id,winner,category\n" + rows)
    assert main(["stats", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "odd[/]cat[bold]\\x1b[2J\\x07" in out
