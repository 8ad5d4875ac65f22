"""Static checks of docker-compose.yml (parsed as YAML; no Docker needed)."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
REQUIRED_PASSWORD = re.compile(r"^\$\{POSTGRES_PASSWORD:\?[^}]+\}$")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY", re.I)
INTERPOLATION = re.compile(r"\$\{[A-Z_]+(?::?[?-][^}]*)?\}")


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def test_the_app_image_is_built_from_the_dockerfile(services) -> None:
    build = services["app"]["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context / dockerfile).resolve() == (ROOT / "Dockerfile").resolve()


def test_the_app_mounts_no_host_source_or_virtualenv(services) -> None:
    for volume in services["app"].get("volumes") or []:
        source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
        assert not source.startswith((".", "/", "~")), f"host path mounted: {volume}"


def test_the_app_installs_nothing_when_it_starts(services) -> None:
    command = services["app"].get("command") or ""
    text = command if isinstance(command, str) else " ".join(command)
    assert not re.search(r"\b(pip|uv)\b", text), text


def test_settings_come_from_the_env_file(services) -> None:
    env_files = services["app"]["env_file"]
    paths = [e if isinstance(e, str) else e["path"] for e in env_files]
    assert ".env" in paths


def test_environment_is_not_forced_over_the_env_file(services) -> None:
    forced = environment(services["app"]).get("ENVIRONMENT")
    # Absent (the application's default, dev) or a default that .env overrides.
    assert forced is None or re.fullmatch(r"\$\{ENVIRONMENT:-[a-z]+\}", forced), forced


def test_postgres_publishes_no_port(services) -> None:
    assert "ports" not in services["postgres"]


def test_the_app_reaches_postgres_on_the_compose_network(services) -> None:
    database_url = environment(services["app"])["DATABASE_URL"]
    host_and_port = database_url.rsplit("@", 1)[1].split("/", 1)[0]
    assert host_and_port == "postgres:5432"
    assert services["app"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_postgres_password_is_required_from_the_environment(services) -> None:
    assert REQUIRED_PASSWORD.match(environment(services["postgres"])["POSTGRES_PASSWORD"])
    database_url = environment(services["app"])["DATABASE_URL"]
    password = database_url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert REQUIRED_PASSWORD.match(password), database_url


def test_no_secret_has_a_value_in_the_file(services) -> None:
    for name, service in services.items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                assert INTERPOLATION.fullmatch(value), f"{name}.{key} has a fixed value"
            assert "://" not in value or "@" not in value or "${" in value.split("@")[0], (
                f"{name}.{key} holds a fixed credential"
            )


def test_postgres_password_is_documented_in_env_example() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    assert any(line.startswith("POSTGRES_PASSWORD=") for line in lines)
