"""Browser tests get Debian's Chromium: installed before the first test runs, when missing."""

from pathlib import Path

import pytest

from tests.support.browser import BROWSER_BINARIES, BrowserUnavailable, ensure_browser

_BROWSER_PROBLEM = pytest.StashKey[str | None]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Install before the tests, outside any test's timeout (apt-get may take minutes)."""
    config = session.config
    if config.option.collectonly or not any(
        item.get_closest_marker("browser") for item in session.items
    ):
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    say = reporter.write_line if reporter is not None else print
    try:
        if ensure_browser():
            say("browser tests: installed Debian's chromium and chromium-driver")
        config.stash[_BROWSER_PROBLEM] = None
    except BrowserUnavailable as exc:
        config.stash[_BROWSER_PROBLEM] = str(exc)
        say(f"browser tests: cannot install Chromium: {exc}")


@pytest.fixture(scope="session")
def browser_binaries(request: pytest.FixtureRequest) -> tuple[Path, ...]:
    """Chromium and chromedriver, present; a browser test fails (never skips) without them."""
    problem = request.config.stash.get(_BROWSER_PROBLEM, None)
    if problem is None:
        try:
            ensure_browser()  # a run the hook did not prepare (e.g. a plugin reordered items)
        except BrowserUnavailable as exc:
            problem = str(exc)
    if problem is not None:
        pytest.fail(f"Chromium is not available: {problem}", pytrace=False)
    return BROWSER_BINARIES
