"""The Slack message names what the incident is linked to: the sync, the commit, the run."""

import json

from app.domain.notifications.blocks import MAX_LINKS, incident_blocks
from app.domain.notifications.models import IncidentCard, LinkLine

RUN_URL = "https://github.com/octo-org/checkout/actions/runs/9200001"


def card(links: list[LinkLine]) -> IncidentCard:
    return IncidentCard(
        incident_id=7,
        public_url="https://codehealer.example.com",
        title="shop/checkout-7d9f8b6c5-x2lqz: CrashLoopBackOff",
        status="awaiting_approval",
        source="kubernetes",
        kind="k8s_pod",
        action="argocd_rollback",
        decision="needs_approval",
        links=links,
    )


def texts(blocks: list[dict]) -> str:
    return json.dumps(blocks)


def test_each_link_is_a_line_with_its_relation_and_a_link_where_it_has_a_page():
    blocks = incident_blocks(
        card(
            [
                LinkLine(relation="deployed by", ref="guestbook"),
                LinkLine(relation="built by", ref="octo-org/checkout#9200001", url=RUN_URL),
            ]
        )
    )
    section = next(b["text"]["text"] for b in blocks if "Linked to" in texts([b]))
    assert "• deployed by `guestbook`" in section
    assert f"• built by <{RUN_URL}|octo-org/checkout#9200001>" in section


def test_an_incident_linked_to_nothing_has_no_links_section():
    assert "Linked to" not in texts(incident_blocks(card([])))


def test_a_long_chain_is_cut_to_the_first_links():
    links = [LinkLine(relation="runs image", ref=f"ghcr.io/o/i:{n}") for n in range(20)]
    section = next(
        b["text"]["text"] for b in incident_blocks(card(links)) if "Linked to" in texts([b])
    )
    assert section.count("•") == MAX_LINKS
