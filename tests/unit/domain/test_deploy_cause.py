"""The deploy-cause rule: links of a failing workload, and the undo proposed when the failure
began within the window after a sync of a new revision."""

from datetime import UTC, datetime, timedelta

from app.core.deployments import BuildRun, RunningImage, Sync, Workload
from app.core.enums import ActionKind, Decision
from app.domain.deploy_cause import (
    FailureFacts,
    builds_of,
    cause_decision,
    cause_of,
    link_deploy,
    sync_before,
)

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
GOOD, BAD = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432", "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
SHA = "4c5d6e7f8091a2b3c4d1a2b3c4d5e6f708192a3b"
IMAGE = RunningImage(
    container="checkout",
    image=f"ghcr.io/octo-org/checkout:sha-{SHA[:7]}",
    digest="sha256:" + "a" * 64,
)
WINDOW = timedelta(minutes=30)
ALL = frozenset(ActionKind)


def syncs(minutes_before: float = 4) -> list[Sync]:
    return [
        Sync(app="checkout", revision=GOOD, at=NOW - timedelta(days=2), history_id=8),
        Sync(
            app="checkout", revision=BAD, at=NOW - timedelta(minutes=minutes_before), history_id=9
        ),
    ]


def workload(**changes) -> Workload:
    values = dict(
        namespace="shop",
        pod="checkout-7d9f8b6c5-x2lqz",
        replicaset="checkout-7d9f8b6c5",
        deployment="checkout",
        images=(IMAGE,),
        argocd_app="checkout",
        rolled_out_at=NOW - timedelta(minutes=4),
        has_previous_replicaset=True,
    )
    return Workload(**(values | changes))


def crash(**changes) -> FailureFacts:
    values = dict(reason="CrashLoopBackOff", category="k8s_crashloop", began_at=NOW)
    return FailureFacts(**(values | changes))


def run(**changes) -> BuildRun:
    values = dict(
        repo="octo-org/checkout",
        run_id=7001,
        head_sha=SHA,
        workflow="Build image",
        conclusion="success",
        completed_at=NOW - timedelta(minutes=20),
        html_url="https://github.com/octo-org/checkout/actions/runs/7001",
    )
    return BuildRun(**(values | changes))


def test_a_crash_loop_minutes_after_a_sync_proposes_rolling_the_app_back():
    linked = link_deploy(
        crash(),
        workload=workload(),
        syncs=syncs(),
        builds=builds_of([IMAGE], [run()]),
        window=WINDOW,
        actions=ALL,
    )
    cause = linked.cause
    assert cause is not None and cause.action is ActionKind.ARGOCD_ROLLBACK
    assert cause.params == {"app": "checkout", "revision": BAD}
    assert (cause.previous_revision, cause.minutes_after) == (GOOD, 4)
    assert (cause.commit, cause.run) == (f"octo-org/checkout@{SHA}", "octo-org/checkout#7001")
    assert "started 4 minutes after" in cause.summary and "#7001" in cause.summary


def test_the_chain_reads_deployment_image_commit_run_app_and_sync():
    linked = link_deploy(
        crash(),
        workload=workload(),
        syncs=syncs(),
        builds=builds_of([IMAGE], [run()]),
        window=WINDOW,
        actions=ALL,
    )
    assert [(link.source, link.kind) for link in linked.links] == [
        ("kubernetes", "deployment"),
        ("kubernetes", "image"),
        ("github", "commit"),
        ("github", "run"),
        ("argocd", "app"),
        ("argocd", "revision"),
    ]
    relations = {link.kind: link.relation for link in linked.links}
    assert relations["run"] == "built by" and relations["app"] == "deployed by"
    assert relations["revision"] == "started 4 minutes after the sync of"
    commit = next(link for link in linked.links if link.kind == "commit")
    assert commit.url == f"https://github.com/octo-org/checkout/commit/{SHA}"


def test_a_failure_past_the_window_is_linked_but_not_blamed_on_the_deploy():
    linked = link_deploy(
        crash(),
        workload=workload(),
        syncs=syncs(minutes_before=45),
        builds=[],
        window=WINDOW,
        actions=ALL,
    )
    assert linked.cause is None
    assert any(link.kind == "revision" for link in linked.links)


def test_a_failure_that_is_not_a_crash_or_failing_health_is_not_blamed_on_the_deploy():
    facts = crash(reason="ImagePullBackOff", category="k8s_image_pull")
    linked = link_deploy(
        facts, workload=workload(), syncs=syncs(), builds=[], window=WINDOW, actions=ALL
    )
    assert linked.cause is None


def test_probe_failures_count_as_failing_health():
    facts = crash(reason="Unhealthy", category="unknown")
    linked = link_deploy(
        facts, workload=workload(), syncs=syncs(), builds=[], window=WINDOW, actions=ALL
    )
    assert linked.cause is not None and linked.cause.action is ActionKind.ARGOCD_ROLLBACK


def test_an_argocd_app_degraded_after_a_sync_is_rolled_back():
    degraded = FailureFacts(reason="Degraded", category="unknown", began_at=NOW, app="checkout")
    linked = link_deploy(
        degraded, workload=None, syncs=syncs(), builds=[], window=WINDOW, actions=ALL
    )
    assert linked.cause is not None and linked.cause.params["app"] == "checkout"


def test_a_sync_of_the_same_revision_again_is_no_new_revision():
    same = [
        Sync(app="checkout", revision=BAD, at=NOW - timedelta(days=1), history_id=8),
        Sync(app="checkout", revision=BAD, at=NOW - timedelta(minutes=3), history_id=9),
    ]
    assert sync_before(same, NOW) is None


def test_without_the_argocd_rollback_remediator_nothing_is_proposed_for_an_argocd_app():
    actions = ALL - {ActionKind.ARGOCD_ROLLBACK}
    linked = link_deploy(
        crash(), workload=workload(), syncs=syncs(), builds=[], window=WINDOW, actions=actions
    )
    assert linked.cause is None


def test_a_deployment_not_under_argocd_is_undone_to_its_previous_replicaset():
    linked = link_deploy(
        crash(),
        workload=workload(argocd_app=None),
        syncs=[],
        builds=[],
        window=WINDOW,
        actions=ALL,
    )
    cause = linked.cause
    assert cause is not None and cause.action is ActionKind.ROLLOUT_UNDO
    assert cause.params == {
        "namespace": "shop",
        "pod": "checkout-7d9f8b6c5-x2lqz",
        "owner_kind": "Deployment",
        "owner_name": "checkout",
    }


def test_a_first_rollout_has_nothing_to_undo():
    linked = link_deploy(
        crash(),
        workload=workload(argocd_app=None, has_previous_replicaset=False),
        syncs=[],
        builds=[],
        window=WINDOW,
        actions=ALL,
    )
    assert linked.cause is None


def test_only_a_successful_run_of_the_tagged_commit_built_the_image():
    failed = run(run_id=7002, conclusion="failure")
    other = run(run_id=7003, head_sha="0" * 40)
    assert builds_of([IMAGE], [failed, other]) == []
    [build] = builds_of([IMAGE], [failed, run(), other])
    assert build.run.run_id == 7001


def test_a_run_of_the_repository_named_like_the_image_is_preferred():
    elsewhere = run(repo="octo-org/monorepo", run_id=7010, completed_at=NOW)
    [build] = builds_of([IMAGE], [elsewhere, run()])
    assert build.run.repo == "octo-org/checkout"


def test_a_stored_cause_reads_back_and_is_proposed_to_a_person():
    cause = link_deploy(
        crash(), workload=workload(), syncs=syncs(), builds=[], window=WINDOW, actions=ALL
    ).cause
    assert cause is not None
    again = cause_of({"cause": cause.model_dump(mode="json")})
    assert again == cause
    decision, why = cause_decision(again)
    assert decision is Decision.NEEDS_APPROVAL and why.endswith(cause.summary)
    assert cause_of({"cause": {"action": "nonsense"}}) is None and cause_of(None) is None
