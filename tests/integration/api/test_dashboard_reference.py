"""A failure analysed through the real pipeline after the reference memory was seeded: its
page and its API detail show the reference entries it resembles as labelled failures linked to
their threads, never as incidents."""

import html

import pytest
from fastapi.testclient import TestClient

from app.bootstrap import build_container
from app.main import create_app
from app.services.reference_memory import ReferenceMemoryService, load_shipped
from tests.conftest import _truncate, make_settings
from tests.support.dashboard import FailedRun, dashboard_app, seed_through_pipeline
from tests.support.github_api import REPO

# A failure of the corpus's test side: never shipped, so new to the product.
NEW_RUN = FailedRun(8101, REPO, "105_npm_econnreset_invalid_response_body.log")
NEAREST = next(e for e in load_shipped().entries if e.name == "040_npm_econnreset_actions")


@pytest.fixture
def reading(database_url):
    """A container that can read job logs (a token), deciding in dry run."""
    settings = make_settings(database_url, github_token="ghp_" + "r" * 36, dry_run=True)
    container = build_container(settings, database_url=database_url)
    yield container
    _truncate(container)
    container.close()


def analysed_after_seeding(container) -> int:
    ReferenceMemoryService(container.db, embedders=[container.analyzer.embedder]).seed()
    return seed_through_pipeline(container, runs=(NEW_RUN,))[NEW_RUN.run_id]


def test_the_incident_page_links_a_reference_neighbour_to_its_thread(reading):
    incident_id = analysed_after_seeding(reading)

    page = TestClient(dashboard_app(reading)).get(f"/dashboard/incidents/{incident_id}").text

    assert (
        f'<a href="{html.escape(NEAREST.source)}" rel="noopener noreferrer">{NEAREST.name}</a>'
        in page
    )
    assert "right action (labelled)" in page
    assert "/incidents/None" not in page


def test_the_api_detail_names_the_reference_neighbour_without_an_incident_id(reading):
    incident_id = analysed_after_seeding(reading)

    with TestClient(create_app(reading)) as client:
        detail = client.get(f"/api/v1/incidents/{incident_id}").json()
        listing = client.get("/api/v1/incidents").json()

    [nearest] = [s for s in detail["similar"] if s.get("reference") == NEAREST.name]
    assert nearest["incident_id"] is None
    assert nearest["reference_source"] == NEAREST.source
    assert [item["id"] for item in listing["items"]] == [incident_id]
