"""The shared signed-delivery helper sends what GitHub sends: the exact bytes, signed."""

import json

import httpx

from app.core.security import verify_github_signature
from tests.conftest import WEBHOOK_SECRET
from tests.support.github_deliveries import SIGNATURE_HEADER, post_github


class Recorder:
    """Keeps the request it is asked to post and answers 202."""

    def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> httpx.Response:
        self.request = httpx.Request("POST", url, content=content, headers=headers)
        return httpx.Response(202)


def test_a_posted_mapping_is_json_signed_with_the_webhook_secret():
    client = Recorder()
    post_github(client, {"action": "completed"}, event="workflow_job", delivery="d-1")
    sent = client.request
    assert sent.url.path == "/webhooks/github"
    assert json.loads(sent.content) == {"action": "completed"}
    assert verify_github_signature(WEBHOOK_SECRET, sent.content, sent.headers[SIGNATURE_HEADER])
    assert (sent.headers["X-GitHub-Event"], sent.headers["X-GitHub-Delivery"]) == (
        "workflow_job",
        "d-1",
    )


def test_each_post_is_a_new_delivery_unless_one_is_named():
    client = Recorder()
    ids = []
    for _ in range(2):
        post_github(client, b"{}")
        ids.append(client.request.headers["X-GitHub-Delivery"])
    assert ids[0] != ids[1]


def test_a_header_given_as_none_is_left_out_and_one_given_replaces_the_signed_one():
    client = Recorder()
    post_github(client, b"{}", headers={SIGNATURE_HEADER: None, "X-GitHub-Event": "ping"})
    assert SIGNATURE_HEADER not in client.request.headers
    assert client.request.headers["X-GitHub-Event"] == "ping"
