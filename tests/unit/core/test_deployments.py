"""Readers of what runs where: images and digests, commit SHAs in tags, the Argo CD app that
manages an object, an application's history, a stored workflow_run delivery."""

import json

import pytest

from app.core.deployments import (
    argocd_app_of,
    build_run_of,
    commit_prefixes,
    history_syncs,
    image_name,
    image_tag,
    running_images,
)
from tests.conftest import FIXTURES
from tests.support.cluster_api import application, pod

DIGEST = "sha256:" + "3f" * 32


@pytest.mark.parametrize(
    ("tag", "found"),
    [
        ("sha-1a2b3c4", ("1a2b3c4",)),
        ("1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d", ("1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",)),
        ("v1.4.2-1a2b3c4d", ("1a2b3c4d",)),
        ("2.3.1", ()),
        ("abc123", ()),  # six digits: too short to name a commit
        ("latest", ()),
        (None, ()),
    ],
)
def test_commit_shas_are_read_from_tags_of_seven_or_more_hex_digits(tag, found):
    assert commit_prefixes(tag) == found


def test_a_registry_port_is_not_a_tag():
    assert image_tag("registry.local:5000/shop/checkout") is None
    assert image_tag("registry.local:5000/shop/checkout:sha-1a2b3c4@" + DIGEST) == "sha-1a2b3c4"
    assert image_name("registry.local:5000/shop/checkout:sha-1a2b3c4") == (
        "registry.local:5000/shop/checkout"
    )


def test_running_images_pair_each_container_with_its_digest():
    obj = pod()
    obj["status"]["containerStatuses"][0]["imageID"] = (
        f"registry.example.com/shop/checkout@{DIGEST}"
    )
    [image] = running_images(obj)
    assert (image.container, image.image, image.digest) == (
        "checkout",
        "registry.example.com/shop/checkout:2.3.1",
        DIGEST,
    )


def test_the_tracking_id_annotation_names_the_app_before_any_label():
    deployment = {
        "metadata": {
            "labels": {"app.kubernetes.io/instance": "helm-release"},
            "annotations": {
                "argocd.argoproj.io/tracking-id": "guestbook:apps/Deployment:shop/checkout"
            },
        }
    }
    assert argocd_app_of(deployment) == "guestbook"


def test_the_instance_label_of_the_pod_names_the_app_before_its_owners():
    labelled = {"metadata": {"labels": {"app.kubernetes.io/instance": "checkout"}}}
    owner = {"metadata": {"labels": {"argocd.argoproj.io/instance": "other"}}}
    assert argocd_app_of(labelled, owner) == "checkout"
    assert argocd_app_of({"metadata": {}}, owner) == "other"
    assert argocd_app_of({"metadata": {}}) is None


def test_an_apps_in_any_namespace_tracking_id_names_the_app_without_its_namespace():
    obj = {
        "metadata": {
            "annotations": {"argocd.argoproj.io/tracking-id": "team-a_guestbook:/Service:a/ui"}
        }
    }
    assert argocd_app_of(obj) == "guestbook"


def test_history_becomes_syncs_in_id_order_with_the_deployed_images_on_the_newest():
    syncs = history_syncs("guestbook", application())
    assert [s.history_id for s in syncs] == [7, 8, 9]
    assert syncs[-1].revision == "995737f96c59e53e9f60e2a45d1eae1c60646ecd"
    assert syncs[-1].images == ("gcr.io/heptio-images/ks-guestbook-demo:0.2",)
    assert syncs[0].images == () and syncs[0].at is not None


def test_a_stored_workflow_run_delivery_reads_as_the_run_that_built_its_commit():
    path = FIXTURES / "github" / "octokit__workflow_run__completed.payload.json"
    payload = json.loads(path.read_text())
    run = build_run_of(payload)
    assert run is not None
    assert run.run_id == payload["workflow_run"]["id"]
    assert run.head_sha == payload["workflow_run"]["head_sha"]
    assert run.repo == payload["repository"]["full_name"]
    assert run.conclusion == payload["workflow_run"]["conclusion"]
    assert build_run_of({"action": "completed"}) is None
