"""SqsQueue and queue messages against moto's SQS (sends, redrive to the dead-letter queue)."""

import json

import boto3
import pytest
from moto import mock_aws

from app.adapters.queue.factory import build_queue
from app.adapters.queue.in_process import InProcessQueue
from app.adapters.queue.sqs import SqsQueue, incident_message, parse_incident_message
from app.core.errors import IntegrationError
from tests.conftest import make_settings

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def receive(sqs, queue_url: str) -> list[dict]:
    response = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        AttributeNames=["ApproximateReceiveCount"],
        WaitTimeSeconds=0,
    )
    return response.get("Messages", [])


def test_enqueue_sends_the_incident_id_as_json(aws):
    queue_url = aws.create_queue(QueueName="codehealer-work")["QueueUrl"]

    SqsQueue(queue_url, region=REGION).enqueue(42)

    [message] = receive(aws, queue_url)
    assert json.loads(message["Body"]) == {"incident_id": 42}
    assert parse_incident_message(message["Body"]) == 42


def test_enqueue_to_a_missing_queue_raises_an_integration_error(aws):
    missing = "https://sqs.us-east-1.amazonaws.com/123456789012/does-not-exist"
    with pytest.raises(IntegrationError, match="SQS refused the message"):
        SqsQueue(missing, region=REGION).enqueue(1)


def test_client_is_created_on_first_use_not_at_construction():
    queue = SqsQueue("https://sqs.us-east-1.amazonaws.com/123456789012/q", region=REGION)
    assert queue._client is None


def test_poison_message_moves_to_the_dead_letter_queue_after_max_receives(aws):
    dlq_url = aws.create_queue(QueueName="codehealer-work-dlq")["QueueUrl"]
    dlq_arn = aws.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"}
    queue_url = aws.create_queue(
        QueueName="codehealer-work",
        Attributes={"RedrivePolicy": json.dumps(redrive), "VisibilityTimeout": "30"},
    )["QueueUrl"]
    aws.send_message(QueueUrl=queue_url, MessageBody="Test message.")

    # First receive: the worker rejects it and does not delete it (a batch item failure).
    [first] = receive(aws, queue_url)
    with pytest.raises(ValueError):
        parse_incident_message(first["Body"])
    aws.change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0
    )

    assert receive(aws, queue_url) == []
    [dead] = receive(aws, dlq_url)
    assert dead["Body"] == "Test message."
    assert dead["MessageId"] == first["MessageId"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("Test message.", "not JSON"),
        ("", "not JSON"),
        ('{"message": "foo1"}', "has no 'incident_id'"),
        ("[1, 2]", "must be a JSON object"),
        ('{"incident_id": "42"}', "positive integer"),
        ('{"incident_id": true}', "positive integer"),
        ('{"incident_id": 0}', "positive integer"),
        ('{"incident_id": 4.5}', "positive integer"),
        ('{"incident_id": null}', "positive integer"),
    ],
)
def test_parse_incident_message_rejects_poison_bodies(body, reason):
    with pytest.raises(ValueError, match=reason):
        parse_incident_message(body)


def test_parse_incident_message_reads_what_enqueue_writes():
    assert parse_incident_message(incident_message(7)) == 7


def test_build_queue_uses_sqs_only_when_a_queue_url_is_set():
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/codehealer-work"
    sqs = build_queue(make_settings(queue_url=url, aws_region="eu-west-1").aws)
    assert isinstance(sqs, SqsQueue)
    assert (sqs.queue_url, sqs.region) == (url, "eu-west-1")
    assert isinstance(build_queue(make_settings().aws), InProcessQueue)



def test_a_closed_client_is_never_used_again(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    queue = build_queue(make_settings(queue_url="https://sqs.eu-west-1.amazonaws.com/1/q").aws)
    client = queue.client
    queue.close()
    assert queue.client is not client
