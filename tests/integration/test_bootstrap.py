"""The composition root closes what it opens, and only that; one NIM client serves analysis."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import SecretStr

from app.adapters.external.github.client import build_github_client
from app.bootstrap import build_container
from app.core.enums import ActionKind
from tests.conftest import make_settings

GITHUB_TOKEN = "ghp_" + "c" * 36


def connected(database_url: str, **values):
    return make_settings(
        database_url,
        github_token=GITHUB_TOKEN,
        k8s_api_url="https://k8s.example.test:6443",
        k8s_token=SecretStr("k8s-token"),
        argocd_url="https://argocd.example.test",
        argocd_token=SecretStr("argocd-token"),
        nvidia_api_key="nvapi-test-key",
        **values,
    )


def http_clients(container) -> list:
    """The httpx clients behind every integration client the container holds."""
    return [
        container.github.api.client,
        container.github.blobs.client,
        container.kubernetes.api.client,
        container.argocd.api.client,
        container.analyzer.embedder.http.client,
    ]


def test_leaving_with_closes_every_client_the_container_opened(database_url):
    with build_container(connected(database_url), database_url=database_url) as container:
        clients = http_clients(container)
        assert not any(client.is_closed for client in clients)
    assert all(client.is_closed for client in clients)


def test_an_error_inside_with_still_closes_the_clients(database_url):
    with (
        pytest.raises(RuntimeError),
        build_container(connected(database_url), database_url=database_url) as container,
    ):
        clients = http_clients(container)
        raise RuntimeError("the caller failed")
    assert all(client.is_closed for client in clients)


def test_closing_twice_is_harmless(database_url):
    container = build_container(connected(database_url), database_url=database_url)
    container.close()
    container.close()
    assert container.github.api.client.is_closed


def test_the_embedder_and_the_classifier_share_one_nim_client(database_url):
    with build_container(connected(database_url), database_url=database_url) as container:
        classifier = container.analyzer.classifier.target()
        assert classifier.http is container.analyzer.embedder.http
    assert classifier.http.client.is_closed


def test_a_client_handed_in_stays_open_after_the_container_closes(database_url):
    settings = connected(database_url)
    github = build_github_client(settings.github)
    with build_container(settings, database_url=database_url, github=github) as container:
        assert container.github is github
    assert not github.api.client.is_closed
    github.close()


def test_an_unknown_override_is_refused(database_url):
    with pytest.raises(TypeError, match="unknown overrides"):
        build_container(make_settings(database_url), database_url=database_url, githb=None)


def test_the_model_may_propose_only_what_a_configured_remediator_or_a_person_does(database_url):
    settings = make_settings(database_url, github_token=GITHUB_TOKEN, nvidia_api_key="nvapi-k")
    with build_container(settings, database_url=database_url) as container:
        allowed = set(container.analyzer.classifier.target().actions)
    assert allowed == {
        ActionKind.RERUN_FAILED_JOBS,
        ActionKind.RERUN_NO_CACHE,
        ActionKind.REFRESH_SECRET,
        ActionKind.CONFIG_FIX_PR,
        ActionKind.NONE,
    }


def test_a_part_is_built_when_first_read(database_url):
    with build_container(make_settings(database_url), database_url=database_url) as container:
        assert "analyzer" not in vars(container)
        analyzer = container.analyzer
        assert vars(container)["analyzer"] is analyzer is container.analyzer


def test_build_all_builds_every_part(database_url):
    with build_container(connected(database_url), database_url=database_url) as container:
        container.build_all()
        built = set(vars(container))
    assert {"clients", "ingest", "analyzer", "decisions", "processor", "interactions"} <= built


def test_threads_reading_a_part_at_once_share_one_build(database_url):
    with build_container(make_settings(database_url), database_url=database_url) as container:
        with ThreadPoolExecutor(max_workers=4) as pool:
            analyzers = list(pool.map(lambda _: container.analyzer, range(8)))
    assert all(analyzer is analyzers[0] for analyzer in analyzers)
