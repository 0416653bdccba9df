"""Runs as a collection: two real runs, `judge runs`, results/index.html, `judge view` in Chromium."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from browser import start
from fakeserver import FakeServer
from spine import write_project

from judge.cli import main
from judge.config import load_config
from judge.run.pipeline import CompareResult, run_comparison

ROOT = Path(__file__).resolve().parents[2]


def _two_runs(tmp_path: Path, server: FakeServer) -> Path:
    results = tmp_path / "results"
    for name, ft_good in (("lora-v2", {0, 1, 2}), ("lora-v3", {0, 1, 2, 3, 4, 5, 6, 7})):
        folder = tmp_path / name
        folder.mkdir()
        config = write_project(folder, server.base_url, n=10, ft_good=ft_good, base_good={8, 9})
        text = config.read_text().replace('name = "spine"', f'name = "{name}"')
        config.write_text(text.replace('results = "results"', f'results = "{results}"'))
        result = run_comparison(load_config(config), show_progress=False)
        assert isinstance(result, CompareResult)
    return results


def test_runs_lists_both_and_writes_the_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeServer() as server:
        results = _two_runs(tmp_path, server)
    capsys.readouterr()
    assert main(["runs", "--results", str(results), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted(r["run"] for r in listed) == ["lora-v2", "lora-v3"]
    assert {r["pairs"] for r in listed} == {10}
    page = (results / "index.html").read_text()
    assert page.count("<tr>") == 3  # header + two runs
    assert 'href="lora-v2/report.html"' in page and 'href="lora-v3/report.html"' in page
    assert "<script" not in page and "script-src" not in page and "default-src 'none'" in html.unescape(page)
    assert main(["runs", "--results", str(tmp_path / "nothing-here")]) == 0
    assert "no finished run" in capsys.readouterr().out


@pytest.mark.browser
def test_view_serves_the_index_and_each_report(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    with FakeServer() as server:
        results = _two_runs(tmp_path, server)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "judge", "view", "--results", str(results), "--no-browser"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    driver: Any = None
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/index\.html", line)
        assert url is not None, line
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url.group(0), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        driver = start(tmp_path / "profile")
        driver.get(url.group(0))
        rows = driver.find_elements(By.CSS_SELECTOR, "#runs tbody tr")
        assert len(rows) == 2
        assert {r.find_element(By.TAG_NAME, "a").text for r in rows} == {"lora-v2", "lora-v3"}
        driver.find_element(By.LINK_TEXT, "lora-v3").click()
        assert driver.current_url.endswith("/lora-v3/report.html")
        assert "beat" in driver.title
    finally:
        if driver is not None:
            driver.quit()
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
