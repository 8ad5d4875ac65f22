"""Chooses the queue adapter from settings."""

from app.adapters.queue.in_process import InProcessQueue
from app.adapters.queue.sqs import SqsQueue
from app.core.ports import Queue
from app.core.settings_parts import AwsSettings


def build_queue(settings: AwsSettings) -> Queue:
    """SQS when ``QUEUE_URL`` is set (AWS); otherwise the in-process queue (local, tests)."""
    if settings.queue_url:
        return SqsQueue(settings.queue_url, region=settings.region)
    return InProcessQueue()
