"""The incident page: dated links take their place in the timeline, and each link is a row."""

from app.services.dashboard import link_row, with_links

AUDIT = [
    {
        "at": "2026-12-05T12:00:00Z",
        "when": "-",
        "event": "incident.created",
        "actor": "k8s",
        "pairs": [],
    },
    {
        "at": "2026-12-05T12:02:00Z",
        "when": "-",
        "event": "decision.made",
        "actor": "auto",
        "pairs": [],
    },
]
SYNC = {
    "source": "argocd",
    "kind": "revision",
    "ref": "1a2b3c4d",
    "relation": "started 4 minutes after the sync of",
    "url": None,
    "at": "2026-12-05T11:56:00Z",
}
IMAGE = {
    "source": "kubernetes",
    "kind": "image",
    "ref": "ghcr.io/o/i:sha-1a2b3c4",
    "relation": "runs image",
    "url": "javascript:alert(1)",
    "at": None,
}


def test_a_dated_link_is_placed_in_time_order_among_the_audit_trail():
    timeline = with_links(AUDIT, [SYNC, IMAGE])
    assert [entry["event"] for entry in timeline] == [
        "started 4 minutes after the sync of 1a2b3c4d",
        "incident.created",
        "decision.made",
    ]


def test_only_web_addresses_become_links():
    assert link_row(IMAGE)["href"] is None
    run = {**SYNC, "url": "https://github.com/o/i/actions/runs/1"}
    assert link_row(run)["href"] == "https://github.com/o/i/actions/runs/1"
