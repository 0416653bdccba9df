"""A several-models report in a real headless Chromium: hostile model names, categories and outputs
never run, the page loads without console errors, and each pairing's report (with its audit) opens
from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from browser import wait_ready
from fakeserver import FakeServer
from several_project import quality_policy, write_several

from judge.config import load_config
from judge.run.pipeline import CompareResult, run_comparison
from judge.summary_several import SeveralSummary

pytestmark = pytest.mark.browser

NAME = "<img src=x onerror=window.__pwned=1>big</style><script>window.__pwned=2</script>"
CATEGORY = "</td><script>window.__pwned=3</script><svg onload=window.__pwned=4>"
OUTPUT = '<script>window.__pwned=5</script><img src=x onerror="window.__pwned=6;alert(6)">'
PROBE = """return {pwned: window.__pwned, dialogs: window.__dialogs, injected: document.querySelectorAll(
  'main img, main iframe, main script, main svg[onload], [onerror], a[href^="javascript"]').length};"""


def _hostile_run(root: Path) -> CompareResult:
    quality = {"base": lambda i: 3, "lora": lambda i: 2 + 2 * (i % 4 == 0), "big": lambda i: 2 + (i % 3 == 0)}
    with FakeServer(policy=quality_policy) as server:
        config = write_several(root, server.base_url, quality, n=24)
        config.write_text(config.read_text().replace("[models.big]\n", f"[models.big]\nname = '{NAME}'\n"))
        prompts = root / "prompts.jsonl"
        rows = [json.loads(line) for line in prompts.read_text().splitlines()]
        hostile = [{**r, "category": r["category"].replace("math", CATEGORY)} for r in rows]
        prompts.write_text("".join(json.dumps(r) + "\n" for r in hostile))
        outputs = root / "big.jsonl"
        rows = [json.loads(line) for line in outputs.read_text().splitlines()]
        outputs.write_text(
            "".join(json.dumps({**r, "output": f"{OUTPUT} {r['output']}"}) + "\n" for r in rows)
        )
        result = run_comparison(load_config(config), show_progress=False)
    assert isinstance(result, CompareResult) and isinstance(result.summary, SeveralSummary)
    return result


def _assert_clean(driver: Any) -> None:
    assert driver.execute_script(PROBE) == {"pwned": None, "dialogs": [], "injected": 0}
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_several_report_shows_hostile_names_as_text_and_opens_each_pairing(
    chromium: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    result = _hostile_run(tmp_path)
    summary = result.summary
    assert isinstance(summary, SeveralSummary)
    chromium.get((result.run_dir / "report.html").as_uri())
    _assert_clean(chromium)
    assert chromium.find_element(By.ID, "headline").text == summary.conclusion.split("\n\n")[0]
    body = chromium.find_element(By.TAG_NAME, "main").text
    assert NAME in body and CATEGORY in body  # shown literally
    board = chromium.find_element(By.CSS_SELECTOR, "#leaderboard table").text
    assert all(m.name in board for m in summary.models)
    cells = chromium.find_elements(By.CSS_SELECTOR, "table.matrix td.m-2, table.matrix td.m2")
    bg = {c.value_of_css_property("background-color") for c in cells}
    assert len(cells) >= 2 and "rgba(0, 0, 0, 0)" not in bg  # the shades came through the CSP
    assert chromium.find_elements(By.CSS_SELECTOR, "#leaderboard svg.chart circle")
    png = tmp_path / "several.png"
    assert chromium.save_screenshot(str(png)) and png.stat().st_size > 10_000
    chromium.find_element(By.CSS_SELECTOR, 'a[href="pairings/big-vs-base/report.html#audit"]').click()
    assert wait_ready(chromium) == 24
    _assert_clean(chromium)
    for button in chromium.find_elements(By.CSS_SELECTOR, "button.reveal"):
        button.click()
    assert OUTPUT in chromium.find_element(By.ID, "audit-list").text
    _assert_clean(chromium)
