"""Headless Chromium (Debian's ``chromium`` + ``chromium-driver``) driven through selenium.

Selenium over chromedriver rather than raw CDP: it is the maintained, documented driver, waits and
element queries come with it, and through ``execute_cdp_cmd`` it still reaches CDP where a test needs
it (installing a dialog trap before any page script runs). It never downloads a driver here because
both paths are given explicitly.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

DRIVER = Path("/usr/bin/chromedriver")
BINARIES = (Path("/usr/lib/chromium/chromium"), Path("/usr/bin/chromium"))
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--window-size=1280,1600",
    "--hide-scrollbars",
)
INSTALL = "apt-get update && apt-get install -y chromium chromium-driver && pip install -e '.[dev]'"

# Runs before any page script (CDP bypasses the page's CSP): records every dialog a page opens.
DIALOG_TRAP = """
window.__dialogs = [];
for (const name of ["alert", "confirm", "prompt", "print", "open"]) {
  const original = window[name];
  window[name] = function (...args) { window.__dialogs.push([name, String(args[0])]); };
}
"""


def _binary() -> Path | None:
    return next((b for b in BINARIES if b.exists()), None)


def require_chromium() -> Path:
    """Chromium's binary; skip when it and its driver are absent, but fail loudly in CI."""
    binary = _binary()
    try:
        import selenium  # noqa: F401
    except ImportError:
        binary = None
    if binary is not None and DRIVER.exists() and shutil.which("chromedriver"):
        return binary
    message = f"headless Chromium, chromedriver or selenium missing; install with: {INSTALL}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def start(profile: Path) -> Any:
    """A fresh headless Chromium with its own profile folder and the dialog trap installed."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(require_chromium())
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(DRIVER)))
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": DIALOG_TRAP})
    return driver


def wait_ready(driver: Any, timeout: float = 10.0) -> int:
    """Wait until the audit view has drawn; returns the number of rows it loaded."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return document.documentElement.getAttribute('data-audit-ready')")
    )
    return int(driver.execute_script("return document.documentElement.getAttribute('data-audit-ready')"))
