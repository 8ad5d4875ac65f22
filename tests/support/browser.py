"""Debian's Chromium and chromedriver for the browser tests: installed when missing.

`uv run pytest` on a fresh machine has neither, and nothing may download a browser build of
its own, so the tests run scripts/ci_browser.sh (apt-get install chromium chromium-driver)
themselves. When that cannot work the browser tests fail with the installer's output; they
never skip.
"""

import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
BROWSER_BINARIES = (CHROMIUM, CHROMEDRIVER)
INSTALLER = ("bash", str(REPO_ROOT / "scripts" / "ci_browser.sh"))
# apt-get update plus the chromium packages; a slow mirror takes minutes, not tens of them.
INSTALL_TIMEOUT_SECONDS = 900
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class BrowserUnavailable(RuntimeError):
    """Chromium or chromedriver is missing and could not be installed."""


def missing_binaries(binaries: Sequence[Path]) -> list[Path]:
    """The binaries that do not exist as executables (what ci_browser.sh checks with -x)."""
    return [path for path in binaries if not os.access(path, os.X_OK)]


def ensure_browser(
    binaries: Sequence[Path] = BROWSER_BINARIES,
    installer: Sequence[str] = INSTALLER,
    *,
    timeout: float = INSTALL_TIMEOUT_SECONDS,
) -> bool:
    """Run ``installer`` when a binary is missing. True when it installed, False when not needed.

    Raises:
        BrowserUnavailable: the installer failed, timed out, or left a binary missing.
    """
    missing = missing_binaries(binaries)
    if not missing:
        return False
    command = " ".join(installer)
    try:
        result = subprocess.run(
            list(installer), capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BrowserUnavailable(
            f"{_names(missing)} missing; `{command}` could not run: {exc}"
        ) from exc
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise BrowserUnavailable(
            f"{_names(missing)} missing; `{command}` exited {result.returncode}:\n{output}"
        )
    still_missing = missing_binaries(binaries)
    if still_missing:
        raise BrowserUnavailable(
            f"`{command}` succeeded but {_names(still_missing)} is still missing:\n{output}"
        )
    return True


def _names(paths: Sequence[Path]) -> str:
    return ", ".join(str(path) for path in paths)


@contextmanager
def headless_chromium(binaries: Sequence[Path] = BROWSER_BINARIES) -> Iterator[WebDriver]:
    """Chromium driven by chromedriver, with a throw-away profile."""
    chromium, chromedriver = binaries
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    profile = tempfile.TemporaryDirectory(prefix="codehealer-chromium-")
    for flag in (*CHROME_FLAGS, f"--user-data-dir={profile.name}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(chromedriver)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        profile.cleanup()
