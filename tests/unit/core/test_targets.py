"""The typed targets of incidents and their one mapping to the incidents table's columns."""

from datetime import UTC, datetime

import pytest

from app.adapters.database.tables import Incident
from app.core.enums import IncidentKind
from app.core.targets import (
    TARGET_COLUMNS,
    AppTarget,
    FailedJob,
    RunTarget,
    WorkloadTarget,
    budget_key,
    identity_columns,
    remediation_fields,
    target_columns,
    target_of,
)

RUN = RunTarget(
    repo="octo-org/octo-repo",
    run_id=289782451,
    run_attempt=2,
    workflow_id=2823525,
    workflow_name="CI",
    head_branch="main",
    head_sha="acb5820ced9479c074f688cc328bf03f341a511d",
    conclusion="failure",
    run_started_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    failed_jobs=[FailedJob(id=399444496, name="build")],
    installation_id=42,
)
POD = WorkloadTarget(
    cluster="prod-eu-1",
    namespace="shop",
    pod="checkout-7d9f8b6c5-x2lqz",
    container="checkout",
    owner_kind="Deployment",
    owner_name="checkout",
    reason="CrashLoopBackOff",
)
APP = AppTarget(app="guestbook", cluster="https://kubernetes.default.svc", namespace="guestbook")


def test_every_target_column_is_a_column_of_the_incidents_table():
    assert set(TARGET_COLUMNS) <= set(Incident.__table__.columns.keys())


def test_a_run_fills_its_columns_and_leaves_the_cluster_ones_empty():
    columns = target_columns(RUN)
    assert columns["github_installation_id"] == 42
    assert columns["failed_jobs"] == [{"id": 399444496, "name": "build", "html_url": None}]
    assert columns["namespace"] is None and columns["app"] is None


@pytest.mark.parametrize(
    ("kind", "target"),
    [
        (IncidentKind.WORKFLOW_RUN, RUN),
        (IncidentKind.K8S_POD, POD),
        (IncidentKind.K8S_WORKLOAD, WorkloadTarget(namespace="shop", owner_name="checkout")),
        (IncidentKind.ARGOCD_APP, APP),
    ],
)
def test_a_stored_target_reads_back_as_the_same_target(kind, target):
    assert target_of(kind.value, target_columns(target)) == target


def test_a_run_without_a_run_id_has_no_target():
    assert target_of(IncidentKind.WORKFLOW_RUN.value, {"repo": "octo-org/octo-repo"}) is None


def test_a_storm_group_has_the_target_its_columns_describe():
    columns = target_columns(WorkloadTarget(namespace="shop"))
    assert target_of(IncidentKind.STORM_GROUP.value, columns) == WorkloadTarget(namespace="shop")


def test_the_budget_unit_is_the_repository_the_namespace_or_the_app():
    assert [budget_key(t) for t in (RUN, POD, APP, None)] == [
        "octo-org/octo-repo",
        "shop",
        "guestbook",
        "",
    ]


def test_remediation_fields_name_the_target_and_leave_out_what_is_unknown():
    assert remediation_fields(RUN) == {
        "repo": "octo-org/octo-repo",
        "run_id": 289782451,
        "run_attempt": 2,
        "head_branch": "main",
        "installation_id": 42,
    }
    assert remediation_fields(WorkloadTarget(namespace="shop", pod="p")) == {
        "namespace": "shop",
        "pod": "p",
    }
    assert remediation_fields(APP) == {"namespace": "guestbook", "app": "guestbook"}


def test_identity_columns_name_a_workload_by_its_owner_not_its_pod():
    target = WorkloadTarget(
        cluster="prod",
        namespace="shop",
        pod="cart-7d9f8-abcde",
        owner_kind="Deployment",
        owner_name="cart",
    )

    assert identity_columns(target) == {
        "cluster": "prod",
        "namespace": "shop",
        "owner_kind": "Deployment",
        "owner_name": "cart",
    }


def test_identity_columns_name_a_pod_without_owner_by_its_name():
    target = WorkloadTarget(namespace="shop", pod="cart-0")

    assert identity_columns(target) == {"cluster": None, "namespace": "shop", "pod": "cart-0"}


def test_identity_columns_name_a_run_by_its_workflow_not_its_run():
    with_id = RunTarget(repo="org/shop", run_id=7, workflow_id=42, workflow_name="CI")
    without_id = RunTarget(repo="org/shop", run_id=7, workflow_name="CI")

    assert identity_columns(with_id) == {"repo": "org/shop", "workflow_id": 42}
    assert identity_columns(without_id) == {"repo": "org/shop", "workflow_name": "CI"}
    assert identity_columns(AppTarget(app="shop")) == {"app": "shop"}
