"""CloudWatch Embedded Metric Format lines: valid EMF, secrets masked in dimensions."""

import inspect
import io
import json

import pytest

from app.adapters.metrics import EmfMetrics, NullMetrics
from app.core.metrics import Metrics

PLANTED = "ghp_PlantedSecretToken000000000000000000"
NOW = 1_700_000_000.123


def emitted(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def assert_valid_emf(doc: dict) -> None:
    """The members the EMF specification requires, each resolvable on the root node."""
    meta = doc["_aws"]
    assert isinstance(meta["Timestamp"], int)
    for directive in meta["CloudWatchMetrics"]:
        assert isinstance(directive["Namespace"], str)
        for dimension_set in directive["Dimensions"]:
            assert len(dimension_set) <= 30
            for dimension in dimension_set:
                assert isinstance(doc[dimension], str)
        for metric in directive["Metrics"]:
            assert isinstance(doc[metric["Name"]], int | float)


def test_count_prints_one_valid_emf_object():
    stream = io.StringIO()
    metrics = EmfMetrics(
        namespace="CodeHealer", stream=stream, environment="prod", clock=lambda: NOW
    )

    metrics.count("WebhooksReceived", source="github", outcome="incident")

    [doc] = emitted(stream)
    assert_valid_emf(doc)
    assert doc == {
        "_aws": {
            "Timestamp": 1_700_000_000_123,
            "CloudWatchMetrics": [
                {
                    "Namespace": "CodeHealer",
                    "Dimensions": [["Environment", "outcome", "source"]],
                    "Metrics": [{"Name": "WebhooksReceived", "Unit": "Count"}],
                }
            ],
        },
        "Environment": "prod",
        "outcome": "incident",
        "source": "github",
        "WebhooksReceived": 1,
    }


def test_timing_uses_milliseconds():
    stream = io.StringIO()
    EmfMetrics(stream=stream, clock=lambda: NOW).timing("IngestLatency", 12.5, source="github")

    [doc] = emitted(stream)
    assert_valid_emf(doc)
    directive = doc["_aws"]["CloudWatchMetrics"][0]
    assert directive["Metrics"] == [{"Name": "IngestLatency", "Unit": "Milliseconds"}]
    assert directive["Dimensions"] == [["source"]]
    assert doc["IngestLatency"] == 12.5


def test_each_call_prints_its_own_line():
    stream = io.StringIO()
    metrics = EmfMetrics(stream=stream)
    metrics.count("A")
    metrics.count("B", 3)
    assert [doc.get("A", doc.get("B")) for doc in emitted(stream)] == [1, 3]


def test_planted_secret_in_a_dimension_is_masked():
    stream = io.StringIO()
    EmfMetrics(stream=stream).count("RemediationsRun", target=f"repo?token={PLANTED}")

    line = stream.getvalue()
    assert PLANTED not in line
    assert "[REDACTED" in json.loads(line)["target"]


def test_invalid_metric_is_dropped_not_raised():
    stream = io.StringIO()
    EmfMetrics(stream=stream).count("source", source="github")
    EmfMetrics(stream=stream).timing("Latency", float("nan"))
    assert stream.getvalue() == ""


def test_null_metrics_prints_nothing(capsys):
    metrics: Metrics = NullMetrics()
    metrics.count("WebhooksReceived", source="github")
    metrics.timing("IngestLatency", 3.0)
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("method", ["count", "timing"])
def test_emf_metrics_satisfies_the_metrics_port(method):
    port = inspect.signature(getattr(Metrics, method))
    adapter = inspect.signature(getattr(EmfMetrics, method))
    assert adapter == port


def test_a_count_through_the_port_prints_its_value_and_dimensions():
    stream = io.StringIO()
    metrics: Metrics = EmfMetrics(stream=stream)
    metrics.count("X", 2, source="argocd")
    [doc] = emitted(stream)
    assert_valid_emf(doc)
    assert (doc["X"], doc["source"]) == (2, "argocd")
