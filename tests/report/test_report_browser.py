"""report.html in a real headless Chromium: hostile text never runs, the page reads and filters."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from alpaca import DATA, load_alpaca
from browser import wait_ready
from hostile import MARK, PAYLOADS, write_hostile_run

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
except ImportError:  # the chromium fixture then skips, or in CI fails with the install command
    By = Select = None

from judge.reporting import filter_rows, headline, write_reports

pytestmark = pytest.mark.browser

PROBE = """return {pwned: window.__pwned, parentPwned: window.parent.__pwned, title: document.title,
  dialogs: window.__dialogs, injected: document.querySelectorAll(
    'main img, main iframe, main textarea, main svg[onload], a[href^="javascript"], [onerror]').length};"""


def _assert_nothing_ran(driver: Any, title: str) -> None:
    probe = driver.execute_script(PROBE)
    assert probe == {"pwned": None, "parentPwned": None, "title": title, "dialogs": [], "injected": 0}


def _shown(driver: Any) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, "#audit-list article.cmp"))


def _count_text(driver: Any) -> str:
    return str(driver.find_element(By.ID, "audit-count").text)


def test_detector_catches_a_page_that_does_run_script(chromium: Any, tmp_path: Path) -> None:
    # Positive control: the same probe must see a payload that is allowed to execute.
    page = tmp_path / "unsafe.html"
    page.write_text(f"<html><body>{PAYLOADS[0]}{PAYLOADS[1]}</body></html>", encoding="utf-8")
    chromium.get(page.as_uri())
    time.sleep(0.3)
    probe = chromium.execute_script(PROBE)
    assert probe["pwned"] in (1, 2) and probe["title"] == "pwned" and ["alert", "2"] in probe["dialogs"]


def test_hostile_text_never_executes_and_page_works(chromium: Any, tmp_path: Path) -> None:
    summary, rows = write_hostile_run(tmp_path / "run")
    page = write_reports(tmp_path / "run")[1]
    chromium.get(page.as_uri())
    assert wait_ready(chromium) == len(rows)
    title = f"Does {PAYLOADS[0]} beat {PAYLOADS[1]}?"
    _assert_nothing_ran(chromium, title)
    # The page shows the answer, styled (the CSP let our own stylesheet and script through).
    assert chromium.find_element(By.ID, "headline").text == headline(summary)
    bg = chromium.execute_script(
        "return getComputedStyle(document.querySelector('header.top')).backgroundColor"
    )
    assert bg == "rgb(31, 41, 55)"
    body = chromium.find_element(By.TAG_NAME, "body").text
    assert PAYLOADS[3] in body and "window.__pwned = 12" in body  # shown as text, literally
    assert chromium.execute_script("return document.documentElement.scrollWidth") <= 1300  # long line wraps
    # Open everything the reader can open: raw replies, reveal buttons; still nothing runs.
    for details in chromium.find_elements(By.CSS_SELECTOR, "#audit-list details"):
        chromium.execute_script("arguments[0].open = true", details)
    for button in chromium.find_elements(By.CSS_SELECTOR, "button.reveal"):
        button.click()
    assert "A = fine-tuned" in chromium.find_element(By.ID, "audit-list").text
    _assert_nothing_ran(chromium, title)
    png = tmp_path / "hostile.png"
    assert chromium.save_screenshot(str(png)) and png.stat().st_size > 10_000
    _check_filters(chromium, rows)
    _assert_nothing_ran(chromium, title)
    assert not [e for e in chromium.get_log("browser") if "Content Security Policy" in e["message"]]


def _check_filters(driver: Any, rows: list) -> None:
    form = driver.find_element(By.ID, "filters")
    assert _shown(driver) == len(rows)
    form.find_element(By.NAME, "failed").click()
    assert _shown(driver) == len(filter_rows(rows, failed=True)) == 2
    form.find_element(By.NAME, "failed").click()
    form.find_element(By.NAME, "check_disagrees").click()
    assert _shown(driver) == len(filter_rows(rows, check_disagrees=True))
    form.find_element(By.NAME, "check_disagrees").click()
    Select(form.find_element(By.NAME, "result")).select_by_value("win")
    assert _shown(driver) == len(filter_rows(rows, result="win"))
    Select(form.find_element(By.NAME, "result")).select_by_value("")
    form.find_element(By.NAME, "search").send_keys(MARK.lower())
    assert _shown(driver) == len(filter_rows(rows, search=MARK)) == 1
    assert f"Showing 1 of 1 matching comparisons ({len(rows)} in all)." == _count_text(driver)
    form.find_element(By.NAME, "search").clear()
    form.find_element(By.NAME, "inconsistent").click()
    assert _shown(driver) == len(filter_rows(rows, inconsistent=True)) == 1
    form.find_element(By.NAME, "inconsistent").click()


def test_stable_link_opens_one_comparison(chromium: Any, tmp_path: Path) -> None:
    _, rows = write_hostile_run(tmp_path / "run")
    page = write_reports(tmp_path / "run")[1]
    chromium.get(page.as_uri())
    wait_ready(chromium)
    links = chromium.find_elements(By.CSS_SELECTOR, "#audit-list a.link")
    href = links[9].get_attribute("href")  # item 9 has a payload in its id
    chromium.get("about:blank")
    chromium.get(href)
    wait_ready(chromium)
    cards = chromium.find_elements(By.CSS_SELECTOR, "#audit-list article.cmp")
    assert len(cards) == 1 and "target" in cards[0].get_attribute("class")
    assert cards[0].find_element(By.CSS_SELECTOR, ".id").text == rows[9].item_id
    _assert_nothing_ran(chromium, chromium.title)
    chromium.find_element(By.LINK_TEXT, "Show all comparisons").click()
    assert _shown(chromium) == len(rows)


@pytest.mark.skipif(not (DATA / "alpaca-7b.cot.jsonl.gz").exists(), reason="shared AlpacaEval data absent")
def test_real_alpaca_eval_page_loads_and_filters_fast(chromium: Any, tmp_path: Path) -> None:
    _, rows, run = load_alpaca(DATA / "alpaca-7b.cot.jsonl.gz", tmp_path)
    page = run / "report.html"
    start = time.perf_counter()
    chromium.get(page.as_uri())
    assert wait_ready(chromium) == 805
    loaded = time.perf_counter() - start
    assert loaded < 2.0, f"page took {loaded:.2f} s to load"
    assert "LOSES" in chromium.find_element(By.ID, "headline").text
    start = time.perf_counter()
    Select(chromium.find_element(By.NAME, "category")).select_by_value("koala")
    chromium.find_element(By.NAME, "search").send_keys("python")
    expected = len(filter_rows(rows, category="koala", search="python"))
    assert _count_text(chromium).endswith(f"of {expected} matching comparisons (805 in all).")
    assert time.perf_counter() - start < 2.0
    rationale = chromium.find_element(By.CSS_SELECTOR, "#audit-list .rationale").text
    assert rationale in {r.rationale for r in rows}


def test_page_leads_with_the_answer_and_filters_contradicting_verdicts(chromium: Any, tmp_path: Path) -> None:
    from report_factory import make_row, make_summary

    from judge.reporting.narrator import lead

    def row(i: int) -> Any:  # shown as A and as B in turn; three verdicts contradict their criteria
        r = make_row(i, "win" if i % 3 else "loss", a_role="finetuned" if i % 2 else "base")
        said, other = r.judge_label, "B" if r.judge_label == "A" else "A"
        criteria = (
            {"correctness": other, "clarity": other, "completeness": said} if i < 3 else {"clarity": said}
        )
        return r.model_copy(update={"criteria": criteria})

    rows = [row(i) for i in range(12)]
    summary = make_summary(rows)
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").write_text(summary.model_dump_json(), encoding="utf-8")
    (run / "audit.jsonl").write_text("".join(r.model_dump_json() + "\n" for r in rows), encoding="utf-8")
    chromium.get(write_reports(run)[1].as_uri())
    assert wait_ready(chromium) == 12
    first = chromium.find_element(By.ID, "lead")
    assert first.text == lead(summary) and "The judge is USE WITH CARE" in first.text
    assert first.location["y"] < chromium.find_element(By.ID, "results").location["y"]
    assert (
        "contradicted its own criteria majority in 3 of 12"
        in chromium.find_element(By.ID, "reliability").text
    )
    chromium.find_element(By.NAME, "rationale_disagrees").click()
    assert _shown(chromium) == len(filter_rows(rows, rationale_disagrees=True)) == 3
    assert len(chromium.find_elements(By.XPATH, "//span[text()='contradicts its criteria']")) == 3
