"""Regenerate docs/report-alpaca.png: the report on real AlpacaEval verdicts, in headless Chromium.

Run from the repository root: ``.venv/bin/python tests/report/make_screenshot.py [FILE.jsonl.gz]``.
Imports the file with `judge report` (run folder results/<name>/) and writes two images under docs/.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alpaca import DATA, load_alpaca
from browser import start, wait_ready

ROOT = Path(__file__).resolve().parents[2]


def main(name: str = "alpaca-7b.cot.jsonl.gz") -> None:
    _, rows, run = load_alpaca(DATA / name, ROOT / "results")
    page = run / "report.html"
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
