"""The services the container holds besides the pipeline steps: the event processor and the
Slack notifier."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from app.adapters.database.engine import Database
from app.core.config import Settings
from app.domain.dependency_waits import WaitPolicy
from app.services.notifier import SlackNotifier
from app.services.pipeline import EventProcessor

if TYPE_CHECKING:
    from app.adapters.external.slack.client import SlackClient
    from app.bootstrap.container import Container


def dependency_wait_policy(settings: Settings) -> WaitPolicy:
    return WaitPolicy(
        first_wait=timedelta(seconds=settings.worker.dependency_retry_first_seconds),
        longest_wait=timedelta(seconds=settings.worker.dependency_retry_longest_seconds),
        give_up_after=timedelta(minutes=settings.worker.dependency_wait_limit_minutes),
    )


def build_processor(container: Container) -> EventProcessor:
    """The pipeline: analysis, deploy links, decision, remediation (or the steps handed in)."""
    steps = container.overrides.get("steps")
    return EventProcessor(
        container.db,
        [container.analyzer, container.linker, container.decider, container.remediation]
        if steps is None
        else steps,
        waits=dependency_wait_policy(container.settings),
        deadline_seconds=container.settings.worker.incident_deadline_seconds,
    )


def build_notifier(settings: Settings, db: Database, slack: SlackClient | None) -> SlackNotifier:
    return SlackNotifier(
        db,
        slack,
        channel=settings.slack.channel,
        public_url=settings.dashboard.public_url,
        runbook_base_url=settings.dashboard.runbook_base,
    )
