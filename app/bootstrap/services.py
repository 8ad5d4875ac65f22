"""The services the container holds besides the pipeline steps: the event processor, the
Slack notifier, the auth limiter."""

from datetime import timedelta

from app.adapters.database.engine import Database
from app.adapters.external.slack.client import SlackClient
from app.core.config import Settings
from app.core.rate_limit import AuthFailureLimiter
from app.domain.dependency_waits import WaitPolicy
from app.services.notifier import SlackNotifier


def dependency_wait_policy(settings: Settings) -> WaitPolicy:
    return WaitPolicy(
        first_wait=timedelta(seconds=settings.worker.dependency_retry_first_seconds),
        longest_wait=timedelta(seconds=settings.worker.dependency_retry_longest_seconds),
        give_up_after=timedelta(minutes=settings.worker.dependency_wait_limit_minutes),
    )


def build_notifier(settings: Settings, db: Database, slack: SlackClient | None) -> SlackNotifier:
    return SlackNotifier(
        db,
        slack,
        channel=settings.slack.channel,
        public_url=settings.dashboard.public_url,
        runbook_base_url=settings.dashboard.runbook_base,
    )


def build_auth_limiter(settings: Settings) -> AuthFailureLimiter:
    server = settings.server
    return AuthFailureLimiter(
        max_failures=server.auth_failure_limit,
        window_seconds=server.auth_failure_window_seconds,
        max_clients=server.auth_failure_max_clients,
    )
