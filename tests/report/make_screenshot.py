"""Regenerate docs/report-alpaca.png: the report on real AlpacaEval verdicts, in headless Chromium.

Run from the repository root: ``.venv/bin/python tests/report/make_screenshot.py [FILE.jsonl.gz]``.
Writes the run folder to results/alpaca-screenshot/ and two images under docs/.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alpaca import DATA, load_alpaca
from browser import start, wait_ready

from judge.report import write_reports

ROOT = Path(__file__).resolve().parents[2]


def main(name: str = "alpaca-7b.cot.jsonl.gz") -> None:
    summary, rows = load_alpaca(DATA / name)
    run = ROOT / "results" / "alpaca-screenshot"
    run.mkdir(parents=True, exist_ok=True)
    (run / "summary.json").write_text(summary.model_dump_json(indent=2), encoding="utf-8")
    (run / "audit.jsonl").write_text("".join(r.model_dump_json() + "\n" for r in rows), encoding="utf-8")
    page = write_reports(run)[1]
    driver = start(Path(tempfile.mkdtemp(prefix="chromium-")))
    try:
        driver.set_window_size(1280, 1500)
        driver.get(page.as_uri())
        wait_ready(driver)
        driver.save_screenshot(str(ROOT / "docs" / "report-alpaca.png"))
        driver.get(page.as_uri() + "#c=" + rows[3].item_id + "%2F0")
        wait_ready(driver)
        driver.execute_script("document.querySelector('button.reveal').click()")
        driver.execute_script("document.getElementById('audit').scrollIntoView()")
        driver.save_screenshot(str(ROOT / "docs" / "report-alpaca-audit.png"))
    finally:
        driver.quit()


if __name__ == "__main__":
    main(*sys.argv[1:])
