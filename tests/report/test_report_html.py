"""report.html without a browser: self-contained, policy matches its inline code, data inert."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from hostile import MARK, write_hostile_run
from report_factory import make_row, make_summary

from judge.errors import InputError
from judge.reporting import render_html, write_reports
from judge.reporting.html import script_json


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.fixture
def page(tmp_path: Path) -> str:
    write_hostile_run(tmp_path)
    paths = write_reports(tmp_path)
    assert [p.name for p in paths][:2] == ["report.md", "report.html"]
    assert "chart-results.svg" in [p.name for p in paths]  # the charts, also as files
    return paths[1].read_text(encoding="utf-8")


def test_policy_allows_exactly_the_inline_script_and_style(page: str) -> None:
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    policy = csp.group(1).replace("&#x27;", "'")
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
    assert len(scripts) == 1 and len(styles) == 1
    assert f"script-src {_sha(scripts[0])};" in policy and f"style-src {_sha(styles[0])};" in policy
    assert "default-src 'none'" in policy and "unsafe" not in policy


def test_self_contained_no_remote_reference(page: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page


def test_data_block_is_inert_and_round_trips(page: str) -> None:
    block = re.search(r'<script type="application/json" id="audit-data">(.*?)</script>', page, flags=re.S)
    assert block is not None
    raw = block.group(1)
    assert "<" not in raw and ">" not in raw and "&" not in raw and "\u2028" not in raw
    data = json.loads(raw)
    assert "</script><script>window.__pwned = 4; alert(4)</script>" in data["rows"][3]["output_a"]
    assert "line\u2028separator\u2029paragraph" in data["rows"][7]["prompt"]
    assert any(MARK in r["output_a"] for r in data["rows"])
    assert script_json({"x": "</script>&\u2029"}) == '{"x":"\\u003c/script\\u003e\\u0026\\u2029"}'


def test_static_text_is_escaped_and_config_secret_redacted(page: str) -> None:
    outside = re.sub(r'<script type="application/json".*?</script>', "", page, flags=re.S)
    outside = re.sub(r"<script>.*?</script>", "", outside, flags=re.S)
    assert "<script" not in outside and "<img" not in outside and "<iframe" not in outside
    assert "&lt;script&gt;window.__pwned = 1" in outside  # the model name, shown as text
    assert "sk-live-abcdefghijklmnop" not in page and "api_key = &quot;***&quot;" in page


def test_minimal_summary_without_rows_or_config(tmp_path: Path) -> None:
    s = make_summary([make_row(0, "win")], position_bias=None, per_category=[], extras={}, confidence={})
    page = render_html(s, [], None)
    assert "Can this judge be trusted here?" in page and "No checks in this run" in page
    assert "No config snapshot" in page


def test_write_reports_needs_a_summary(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no summary\.json"):
        write_reports(tmp_path)
    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="not a summary"):
        write_reports(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_confidence_chart_from_rows_and_table_from_summary() -> None:
    rows = [make_row(i, ("win", "loss", "tie")[i % 3], confidence=("high", "low")[i % 2]) for i in range(12)]
    page = render_html(make_summary(rows), rows, None)
    assert 'aria-label="Verdicts by confidence"' in page and "confidence low" in page
    assert "<td>high</td><td>6</td>" in page
    page = render_html(make_summary(rows), [], None)  # no audit rows: counts only, no chart
    assert 'aria-label="Verdicts by confidence"' not in page and "<td>high</td><td>6</td>" in page
