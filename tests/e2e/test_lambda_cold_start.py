"""The first event of an on-demand execution environment builds the container with Python's
cyclic garbage collector paused, and leaves the collector running afterwards."""

import gc
import json
import logging
from types import SimpleNamespace

import pytest

from app import lambda_handler
from tests.conftest import WEBHOOK_SECRET, fixture_bytes

HTTP_API_V2 = "aws_lambda/powertools__apiGatewayProxyV2Event.json"


def health_event() -> dict:
    event = json.loads(fixture_bytes(HTTP_API_V2))
    event.update(rawPath="/health", rawQueryString="", body=None, isBase64Encoded=False)
    event.pop("queryStringParameters", None)
    event["requestContext"]["http"].update(method="GET", path="/health")
    return event


@pytest.fixture
def lambda_environment(database_url, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    for name in ("SECRETS_ARN", "QUEUE_URL", "DB_PROXY", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", WEBHOOK_SECRET)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    lambda_handler.reset_container_for_tests()
    yield
    lambda_handler.reset_container_for_tests()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_first_event_builds_with_the_collector_paused_and_leaves_it_running(
    lambda_environment, monkeypatch
):
    collector_during_build = []
    build = lambda_handler._build_container

    def observed_build():
        collector_during_build.append(gc.isenabled())
        return build()

    monkeypatch.setattr(lambda_handler, "_build_container", observed_build)
    answer = lambda_handler.handler(health_event(), SimpleNamespace(aws_request_id="r-1"))
    assert answer["statusCode"] == 200
    assert collector_during_build == [False]
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0  # the built objects are out of the collector's sight


def test_discarding_the_container_gives_its_objects_back_to_the_collector(lambda_environment):
    lambda_handler.handler(health_event(), SimpleNamespace(aws_request_id="r-2"))
    lambda_handler.reset_container_for_tests()
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
