"""Chooses the queue adapter from settings."""

from app.adapters.queue.in_process import InProcessQueue
from app.adapters.queue.sqs import SqsQueue
from app.core.config import Settings
from app.core.ports import Queue


def build_queue(settings: Settings) -> Queue:
    """SQS when ``QUEUE_URL`` is set (AWS); otherwise the in-process queue (local, tests)."""
    if settings.aws.queue_url:
        return SqsQueue(settings.aws.queue_url, region=settings.aws.region)
    return InProcessQueue()
