"""The browser tests install Chromium when it is missing: the decision, with a fake installer."""

import sys
from pathlib import Path

import pytest

from tests.support.browser import INSTALLER, BrowserUnavailable, ensure_browser, missing_binaries


def fake_installer(script: str) -> tuple[str, ...]:
    return (sys.executable, "-c", script)


def creates(*paths: Path) -> tuple[str, ...]:
    """An installer that puts executables at ``paths`` and records that it ran."""
    names = [str(p) for p in paths]
    return fake_installer(
        "import os, sys\n"
        f"for name in {names!r}:\n"
        "    open(name, 'w').write('#!/bin/sh\\n')\n"
        "    os.chmod(name, 0o755)\n"
        "print('installed')\n"
    )


@pytest.fixture
def binaries(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "chromium", tmp_path / "chromedriver"


def test_the_installer_runs_when_the_binaries_are_missing(binaries):
    assert missing_binaries(binaries) == list(binaries)
    assert ensure_browser(binaries, creates(*binaries)) is True
    assert missing_binaries(binaries) == []


def test_the_installer_runs_when_only_chromedriver_is_missing(binaries):
    chromium, chromedriver = binaries
    ensure_browser((chromium,), creates(chromium))
    assert ensure_browser(binaries, creates(chromedriver)) is True
    assert missing_binaries(binaries) == []


def test_nothing_runs_when_both_binaries_are_there(binaries):
    ensure_browser(binaries, creates(*binaries))
    would_fail = fake_installer("raise SystemExit(3)")
    assert ensure_browser(binaries, would_fail) is False


def test_a_file_that_is_not_executable_counts_as_missing(binaries):
    chromium, _ = binaries
    chromium.write_text("not a program")
    assert chromium in missing_binaries(binaries)


def test_a_failing_installer_fails_with_its_exit_code_and_output(binaries):
    failing = fake_installer("import sys; print('apt-get: no network', file=sys.stderr); sys.exit(100)")
    with pytest.raises(BrowserUnavailable) as raised:
        ensure_browser(binaries, failing)
    assert "exited 100" in str(raised.value)
    assert "apt-get: no network" in str(raised.value)
    assert str(binaries[0]) in str(raised.value)


def test_an_installer_that_leaves_a_binary_missing_fails_naming_it(binaries):
    chromium, chromedriver = binaries
    with pytest.raises(BrowserUnavailable, match="chromedriver is still missing"):
        ensure_browser(binaries, creates(chromium))


def test_an_installer_that_cannot_start_fails(binaries, tmp_path):
    with pytest.raises(BrowserUnavailable, match="could not run"):
        ensure_browser(binaries, (str(tmp_path / "no-such-installer"),))


def test_an_installer_that_hangs_fails_after_the_timeout(binaries):
    hangs = fake_installer("import time; time.sleep(30)")
    with pytest.raises(BrowserUnavailable, match="could not run"):
        ensure_browser(binaries, hangs, timeout=0.5)


def test_the_real_installer_is_the_ci_browser_script():
    assert INSTALLER[0] == "bash"
    script = Path(INSTALLER[1])
    assert script.name == "ci_browser.sh" and script.is_file()
    assert "apt-get install" in script.read_text() and "chromium-driver" in script.read_text()
