"""Approval clicks against the real database: the rules and the budget are checked again
before an approved fix is planned."""

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from app.adapters.database.repositories.approvals import ApprovalRepository
from app.adapters.database.tables import AuditEntry, Incident, RemediationAttempt
from app.bootstrap import build_container
from app.domain.audit import AuditEvent
from app.services.approvals import ApprovalOutcome
from tests.conftest import _truncate, make_settings
from tests.support.incidents import analyzed_incident, insert

APPROVER = "UAPPROVER1"
RULES = Path(__file__).parents[3] / "config" / "remediation_rules.yaml"


def rules_with(tmp_path: Path, *extra: dict) -> Path:
    """The shipped rules file with ``extra`` deny entries added."""
    rules = yaml.safe_load(RULES.read_text())
    rules["deny"] = [*rules["deny"], *extra]
    path = tmp_path / "remediation_rules.yaml"
    path.write_text(yaml.safe_dump(rules))
    return path


def live(database_url: str, **overrides):
    settings = make_settings(
        database_url,
        github_token="ghp_" + "d" * 36,
        dry_run=False,
        slack_approver_ids=APPROVER,
        **overrides,
    )
    return build_container(settings, database_url=database_url)


@pytest.fixture
def asked(database_url):
    """A container, and an incident its decision step left waiting for a person, with the nonce."""
    container = live(database_url)
    [incident_id] = insert(
        container, analyzed_incident(repo="org/api", run_id=9100, confidence=0.7)
    )
    container.decider(incident_id)
    with container.db.session() as session:
        assert session.get(Incident, incident_id).status == "awaiting_approval"
        nonce = ApprovalRepository(session).pending_for(incident_id).nonce
    yield container, incident_id, nonce
    _truncate(container)
    container.close()


def approve(container, incident_id: int, nonce: str):
    return container.approvals.decide(
        incident_id=incident_id, nonce=nonce, user_id=APPROVER, approve=True, allowed=True
    )


def count(container, stmt) -> int:
    with container.db.session() as session:
        return session.execute(stmt).scalar_one()


def attempts(container) -> list[RemediationAttempt]:
    with container.db.session() as session:
        return list(session.execute(select(RemediationAttempt)).scalars())


def audits(container, event: str) -> int:
    return count(container, select(func.count()).where(AuditEntry.event == event))


def test_an_approval_plans_one_attempt_for_the_approver(asked):
    container, incident_id, nonce = asked

    result = approve(container, incident_id, nonce)

    assert result.outcome is ApprovalOutcome.APPROVED
    [attempt] = attempts(container)
    assert (attempt.action, attempt.actor, attempt.actor_id) == (
        "rerun_failed_jobs",
        "slack",
        APPROVER,
    )
    assert attempt.params["repo"] == "org/api" and attempt.dry_run is False
    with container.db.session() as session:
        assert session.get(Incident, incident_id).status == "remediating"


def test_a_change_freeze_added_after_the_request_stops_the_approved_fix(
    asked, database_url, tmp_path
):
    container, incident_id, nonce = asked
    freeze = {
        "action": "*",
        "target": "org/.*",
        "reason": "change freeze until the release is out",
    }
    frozen = live(database_url, rules_file=rules_with(tmp_path, freeze))
    try:
        result = approve(frozen, incident_id, nonce)
    finally:
        frozen.close()

    assert result.outcome is ApprovalOutcome.BLOCKED
    assert "change freeze" in result.message
    assert attempts(container) == []
    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
    assert incident.status == "escalated"
    assert incident.decision == "escalate"
    assert incident.escalation_reason == "blocked_by_rule"
    assert "change freeze until the release is out" in incident.decision_reason
    assert f"approved by {APPROVER}" in incident.decision_reason
    assert audits(container, AuditEvent.APPROVAL_APPROVED) == 1
    assert audits(container, AuditEvent.APPROVAL_BLOCKED) == 1


def test_a_rule_that_only_asks_for_a_person_does_not_stop_an_approved_fix(
    asked, database_url, tmp_path
):
    container, incident_id, nonce = asked
    ask = {"action": "*", "target": "org/.*", "reason": "ask first", "decision": "needs_approval"}
    asking = live(database_url, rules_file=rules_with(tmp_path, ask))
    try:
        result = approve(asking, incident_id, nonce)
    finally:
        asking.close()

    assert result.outcome is ApprovalOutcome.APPROVED
    assert len(attempts(container)) == 1


def test_an_approval_past_the_hourly_budget_plans_nothing_and_says_so(asked, database_url):
    container, incident_id, nonce = asked
    spent = live(database_url, max_fixes_per_hour=1)
    try:
        others = insert(spent, analyzed_incident(repo="org/other", run_id=9200))
        spent.decider(others[0])  # an automatic fix uses the one slot of the hour
        result = approve(spent, incident_id, nonce)
    finally:
        spent.close()

    assert result.outcome is ApprovalOutcome.OVER_BUDGET
    assert "hourly limit is reached (1/1 fixes" in result.message
    assert [a.incident_id for a in attempts(container)] == others
    assert audits(container, AuditEvent.APPROVAL_OVER_BUDGET) == 1
    with container.db.session() as session:
        assert session.get(Incident, incident_id).status == "awaiting_approval"
