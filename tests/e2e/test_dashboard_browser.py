"""The dashboard in a real headless Chromium, against the real app served by uvicorn, with
incidents that went through the whole pipeline (signed webhooks → worker → mocked GitHub).

Needs Debian's ``chromium`` and ``chromium-driver``: tests/e2e/conftest.py runs
scripts/ci_browser.sh when they are missing; when that fails these tests fail, they do not skip.
Screenshots land in ``test-output/``.
"""

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from app.bootstrap import Container, build_container
from app.services.dashboard import format_duration, format_rate
from tests.conftest import _truncate, make_settings
from tests.support.browser import headless_chromium
from tests.support.dashboard import RUNS, dashboard_app, seed_through_pipeline

pytestmark = pytest.mark.browser

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
API_KEY = "dashboard-browser-test-key-4f1c9a"
LAPTOP = (1366, 900)
PHONE = (390, 844)


@pytest.fixture(scope="module")
def seeded(database_url) -> Iterator[tuple[Container, dict[int, int]]]:
    """A container with API_KEY set, and incidents seeded through the real pipeline."""
    settings = make_settings(
        database_url,
        api_key=API_KEY,
        github_token="ghp_" + "c" * 36,
        dry_run=False,
        strategy="hybrid",
        confidence_threshold=0.5,
        approval_threshold=0.3,
    )
    container = build_container(settings, database_url=database_url)
    try:
        yield container, seed_through_pipeline(container)
    finally:
        _truncate(container)
        container.close()


@pytest.fixture(scope="module")
def base_url(seeded) -> Iterator[str]:
    """The app served by uvicorn on a free port in a thread (started after the seeding)."""
    container, _ = seeded
    config = uvicorn.Config(
        dashboard_app(container), host="127.0.0.1", port=0, log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium(browser_binaries) -> Iterator[WebDriver]:
    with headless_chromium(browser_binaries) as driver:
        yield driver


@pytest.fixture
def browser(chromium: WebDriver) -> WebDriver:
    """The shared Chromium, signed out, at laptop size."""
    chromium.delete_all_cookies()
    chromium.set_window_size(*LAPTOP)
    return chromium


def sign_in(browser: WebDriver, base_url: str, key: str) -> None:
    browser.get(f"{base_url}/dashboard")
    field = WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "api_key")))
    field.send_keys(key)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 10).until(
        lambda b: (
            b.find_elements(By.CSS_SELECTOR, "[data-kpi]") or b.find_elements(By.ID, "login-error")
        )
    )


def screenshot(browser: WebDriver, name: str) -> Path:
    """The whole page: the window grows to the document's height first."""
    width = browser.get_window_size()["width"]
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(width, min(int(height) + 140, 12000))
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / name
    assert browser.save_screenshot(str(path)), f"could not save {path}"
    return path


def tiles(browser: WebDriver) -> dict[str, tuple[object, str]]:
    return {
        tile.get_attribute("data-kpi"): (
            json.loads(tile.get_attribute("data-value")),
            tile.find_element(By.CSS_SELECTOR, ".kpi-value").text,
        )
        for tile in browser.find_elements(By.CSS_SELECTOR, "[data-kpi]")
    }


def test_the_dashboard_sends_a_signed_out_browser_to_the_login_form(browser, base_url):
    browser.get(f"{base_url}/dashboard")
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "api_key")))
    assert "/dashboard/login" in browser.current_url
    assert API_KEY not in browser.current_url
    assert browser.find_elements(By.CSS_SELECTOR, "[data-kpi]") == []


def test_signed_in_kpi_tiles_equal_the_metrics_api(browser, base_url, seeded):
    sign_in(browser, base_url, API_KEY)
    shown = tiles(browser)
    api = httpx.get(
        f"{base_url}/api/v1/metrics/summary", headers={"X-API-Key": API_KEY}, timeout=10
    ).json()
    screenshot(browser, "dashboard.png")

    assert api["incidents_24h"] >= len(RUNS)
    expected_text = {
        "incidents_24h": str(api["incidents_24h"]),
        "incidents_7d": str(api["incidents_7d"]),
        "auto_resolution_rate": format_rate(api["auto_resolution_rate"]),
        "false_positive_rate": format_rate(api["false_positive_rate"]),
        "mttr_seconds": format_duration(api["mttr_seconds"]),
        "pending_approvals": str(api["pending_approvals"]),
        "remediations_last_hour": f"{api['remediations_last_hour']} / {api['hourly_budget']}",
    }
    assert {key: value for key, (value, _) in shown.items()} == {k: api[k] for k in expected_text}
    assert {key: text for key, (_, text) in shown.items()} == expected_text


def test_an_incident_opens_from_the_table_with_its_excerpt_and_timeline(browser, base_url, seeded):
    _, ids = seeded
    resolved = ids[RUNS[0].run_id]
    sign_in(browser, base_url, API_KEY)
    browser.find_element(
        By.CSS_SELECTOR, f'tr[data-incident-id="{resolved}"] a.incident-link'
    ).click()
    heading = WebDriverWait(browser, 10).until(
        ec.presence_of_element_located((By.ID, "incident-title"))
    )
    assert heading.text.startswith(f"#{resolved} ")
    assert "ECONNRESET" in browser.find_element(By.ID, "excerpt").text
    assert browser.find_elements(By.CSS_SELECTOR, ".timeline li")
    screenshot(browser, "incident.png")
    assert browser.current_url == f"{base_url}/dashboard/incidents/{resolved}"


def test_the_dashboard_fits_a_phone_screen_without_sideways_scrolling(browser, base_url):
    browser.set_window_size(*PHONE)
    sign_in(browser, base_url, API_KEY)
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    screenshot(browser, "dashboard-phone.png")
    assert overflow <= 0
    assert browser.find_elements(By.CSS_SELECTOR, "[data-kpi]")


def test_a_wrong_key_shows_the_login_form_again_with_an_error_and_no_data(browser, base_url):
    sign_in(browser, base_url, "not-the-key")
    assert browser.find_element(By.ID, "login-error").is_displayed()
    assert browser.find_elements(By.ID, "api_key")
    assert browser.find_elements(By.CSS_SELECTOR, "[data-kpi]") == []
    assert browser.find_elements(By.CSS_SELECTOR, "table.incidents") == []
    assert browser.get_cookies() == []
