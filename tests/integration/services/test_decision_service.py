"""Decisions against the real database with real concurrency."""

import threading

import pytest
from sqlalchemy import func, select

from app.adapters.database.repositories.decision_facts import DecisionFactsRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.tables import AuditEntry, Incident, RemediationAttempt
from app.bootstrap import build_container
from app.core.enums import IncidentStatus
from app.domain.audit import AuditEvent
from tests.conftest import _truncate, make_settings
from tests.support.incidents import analyzed_incident, insert


@pytest.fixture
def live(database_url):
    settings = make_settings(
        database_url,
        github_token="ghp_" + "d" * 36,
        dry_run=False,
        max_fixes_per_hour=10,
        max_fixes_per_hour_per_target=3,
    )
    container = build_container(settings, database_url=database_url)
    yield container
    _truncate(container)
    container.close()


def count(container, stmt) -> int:
    with container.db.session() as session:
        return session.execute(stmt).scalar_one()


def test_hundred_concurrent_decisions_record_exactly_the_hourly_limit(live):
    ids = insert(
        live,
        *[
            analyzed_incident(repo=f"org/repo-{i}", run_id=1000 + i, signature=f"failure {i}")
            for i in range(100)
        ],
    )
    barrier = threading.Barrier(20)

    def decide(chunk: list[int]) -> None:
        barrier.wait()
        for incident_id in chunk:
            live.decider(incident_id)

    threads = [threading.Thread(target=decide, args=(ids[i::20],)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert count(live, select(func.count()).select_from(RemediationAttempt)) == 10
    assert count(live, select(func.count()).where(Incident.status == "remediating")) == 10
    waiting = count(
        live,
        select(func.count()).where(
            Incident.status == "awaiting_approval",
            Incident.decision_reason.contains("blast_radius"),
        ),
    )
    assert waiting == 90


def test_the_hourly_window_survives_a_restart(live, database_url):
    ids = insert(
        live,
        *[
            analyzed_incident(repo=f"org/r{i}", run_id=2000 + i, signature=f"s{i}")
            for i in range(11)
        ],
    )
    for incident_id in ids[:10]:
        live.decider(incident_id)
    restarted = build_container(live.settings, database_url=database_url)
    try:
        restarted.decider(ids[10])
    finally:
        restarted.close()
    with live.db.session() as session:
        last = session.get(Incident, ids[10])
    assert last.decision == "needs_approval"
    assert "blast_radius" in last.decision_reason


def test_per_target_limit_applies_to_one_repo(live):
    ids = insert(
        live,
        *[analyzed_incident(repo="org/busy", run_id=3000 + i, signature=f"t{i}") for i in range(4)],
    )
    for incident_id in ids:
        live.decider(incident_id)
    with live.db.session() as session:
        decisions = [session.get(Incident, i).decision for i in ids]
    assert decisions == ["auto_fix", "auto_fix", "auto_fix", "needs_approval"]


def test_storm_of_twenty_failures_across_ten_repos_yields_one_grouped_decision(live):
    ids = insert(
        live,
        *[
            analyzed_incident(
                repo=f"org/storm-{i % 10}", run_id=4000 + i, signature="registry 503 everywhere"
            )
            for i in range(20)
        ],
    )
    for incident_id in ids:
        live.decider(incident_id)
    with live.db.session() as session:
        rows = session.execute(select(Incident)).scalars().all()
    parents = [r for r in rows if r.kind == "storm_group"]
    children = [r for r in rows if r.kind != "storm_group"]
    assert len(parents) == 1
    assert parents[0].decision in ("needs_approval", "escalate")
    assert all(c.parent_id == parents[0].id for c in children)
    assert all(c.decision == "ignore" for c in children)
    assert count(live, select(func.count()).select_from(RemediationAttempt)) == 0


def test_decision_audit_records_strategy_thresholds_parts_and_rules(live):
    [incident_id] = insert(
        live,
        analyzed_incident(
            repo="org/a", run_id=5000, fixability="manual", action="none", category="compile_error"
        ),
    )
    live.decider(incident_id)
    with live.db.session() as session:
        entry = session.execute(
            select(AuditEntry).where(
                AuditEntry.incident_id == incident_id, AuditEntry.event == AuditEvent.DECISION_MADE
            )
        ).scalar_one()
    details = entry.details
    assert details["decision"] == "escalate"
    assert details["strategy"] == "slack_first"
    assert set(details["confidence"]) == {"total", "classifier", "similarity", "history"}
    assert "auto" in details["thresholds"]
    assert [r["rule"] for r in details["rules"]] == ["fixability"]


def test_dry_run_records_a_planned_attempt_and_calls_nothing(database_url):
    settings = make_settings(database_url, dry_run=True)
    container = build_container(settings, database_url=database_url)
    try:
        [incident_id] = insert(container, analyzed_incident(repo="org/dry", run_id=6000))
        container.decider(incident_id)
        container.remediation(incident_id)
        with container.db.session() as session:
            incident = session.get(Incident, incident_id)
            attempt = session.execute(select(RemediationAttempt)).scalar_one()
        assert incident.decision == "auto_fix" and incident.status == "analyzed"
        assert "dry run" in incident.decision_reason
        assert attempt.dry_run is True and attempt.status == "planned"
    finally:
        _truncate(container)
        container.close()


def test_retry_budget_counts_automatic_reruns_across_attempts_of_one_run(live):
    incidents = []
    for attempt in (1, 2, 3):
        incident = analyzed_incident(repo="org/flaky", run_id=7000, signature=f"blip {attempt}")
        incident.run_attempt = attempt
        incident.dedup_key = f"org/flaky#7000#{attempt}"
        incidents.append(incident)
    ids = insert(live, *incidents)
    for incident_id in ids:
        live.decider(incident_id)
    with live.db.session() as session:
        decided = [session.get(Incident, i) for i in ids]
    assert [i.decision for i in decided] == ["auto_fix", "auto_fix", "escalate"]
    assert "retry_budget" in decided[2].decision_reason


def test_an_escalation_records_the_key_of_the_rule_that_decided(live):
    [incident_id] = insert(
        live,
        analyzed_incident(
            repo="org/b", run_id=8000, fixability="manual", action="none", category="compile_error"
        ),
    )
    live.decider(incident_id)
    with live.db.session() as session:
        incident = session.get(Incident, incident_id)
    assert incident.status == "escalated"
    assert incident.escalation_reason == "needs_code_change"


def test_an_auto_fix_records_no_escalation_key(live):
    [incident_id] = insert(live, analyzed_incident(repo="org/c", run_id=8100))
    live.decider(incident_id)
    with live.db.session() as session:
        incident = session.get(Incident, incident_id)
    assert incident.decision == "auto_fix" and incident.escalation_reason is None


def test_a_storm_group_records_the_storm_key(live):
    ids = insert(
        live,
        *[
            analyzed_incident(repo=f"org/s-{i}", run_id=8200 + i, signature="mirror down")
            for i in range(5)
        ],
    )
    for incident_id in ids:
        live.decider(incident_id)
    with live.db.session() as session:
        parent = session.execute(select(Incident).where(Incident.kind == "storm_group")).scalar_one()
    assert parent.escalation_reason == "storm"


def test_a_storm_member_moved_by_someone_else_keeps_the_state_it_was_moved_to(
    live, monkeypatch
):
    ids = insert(
        live,
        *[
            analyzed_incident(repo=f"org/moved-{i}", run_id=8300 + i, signature="proxy down")
            for i in range(5)
        ],
    )
    read_members = DecisionFactsRepository.storm_members
    moved = ids[-1]

    def members_then_moved_elsewhere(repo, signature_hash, *, since):
        members = read_members(repo, signature_hash, since=since)
        with live.db.session() as other:  # committed while the grouping holds what it read
            IncidentRepository(other).transition(
                moved, expected=IncidentStatus.ANALYZED, to=IncidentStatus.ESCALATED
            )
        monkeypatch.setattr(DecisionFactsRepository, "storm_members", read_members)
        return members

    monkeypatch.setattr(DecisionFactsRepository, "storm_members", members_then_moved_elsewhere)
    live.decider(ids[0])
    with live.db.session() as session:
        statuses = {i: session.get(Incident, i).status for i in ids}
        grouped = session.execute(
            select(AuditEntry.incident_id).where(AuditEntry.event == AuditEvent.DECISION_GROUPED)
        ).scalars()
        assert sorted(grouped) == ids[:-1]
    assert statuses == {**dict.fromkeys(ids[:-1], "ignored"), moved: "escalated"}

