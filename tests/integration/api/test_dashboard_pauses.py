"""The dashboard's banner of the pauses in force: what is paused, by whom, when and why, and
the command that ends each; no banner when nothing is paused."""

import html
import re

import pytest
from fastapi.testclient import TestClient

from app.core.enums import ActionKind, IncidentSource
from tests.support.dashboard import dashboard_app

PLANTED = "ghp_" + "Z9y8X7w6V5" * 3 + "u4T3s2"  # a GitHub token shape: 36 characters


@pytest.fixture
def http(container) -> TestClient:
    return TestClient(dashboard_app(container), raise_server_exceptions=True)


def banner_lines(page: str) -> list[tuple[str, str]]:
    lines = []
    for item in page.split('<li data-pause="')[1:]:
        pause_id, _, rest = item.partition('">')
        text = html.unescape(re.sub(r"<[^>]+>", "", rest.split("</li>")[0]))
        lines.append((pause_id, " ".join(text.split())))
    return lines


def test_no_banner_while_nothing_is_paused(http):
    page = http.get("/dashboard").text

    assert 'id="pauses"' not in page


def test_the_banner_lists_each_pause_in_force_and_how_to_end_it(http, container):
    every = container.pauses.pause(by="UAPPROVER1", reason="deploy freeze").pause
    one = container.pauses.pause(
        source=IncidentSource.KUBERNETES, action=ActionKind.RESTART_POD, by="cli:ops"
    ).pause

    page = http.get("/dashboard").text

    assert "Automatic fixes are paused" in page
    [(first_id, first), (second_id, second)] = banner_lines(page)
    assert (first_id, second_id) == (str(every.id), str(one.id))
    assert first.startswith("All automatic fixes paused by UAPPROVER1 at ")
    assert first.endswith("(deploy freeze) · to end it: codehealer resume")
    assert second.startswith("Automatic restart_pod of kubernetes incidents paused by cli:ops")
    assert second.endswith("codehealer resume --source kubernetes --action restart_pod")


def test_a_resumed_pause_leaves_the_banner(http, container):
    container.pauses.pause(by="cli:ops")
    container.pauses.resume(by="cli:ops")

    assert 'id="pauses"' not in http.get("/dashboard").text


def test_a_secret_in_a_pause_reason_is_masked_on_the_banner(http, container):
    container.pauses.pause(by="cli:ops", reason=f"token {PLANTED} leaked")

    page = http.get("/dashboard").text

    assert PLANTED not in page
    [(_, line)] = banner_lines(page)
    assert "[REDACTED:github_token]" in line
