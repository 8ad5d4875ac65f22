"""Static checks of Dockerfile.lambda (parsed with the standard library; no Docker needed)."""

import json
import re
from pathlib import Path

import pytest

from tests.support.dockerfile import Instruction, Stage, copy_parts, read_instructions, split_stages

DOCKERFILE = Path(__file__).resolve().parents[2] / "Dockerfile.lambda"
# SnapStart runs on the Python 3.12+ Lambda base images only.
LAMBDA_PYTHON_IMAGE = re.compile(r"^public\.ecr\.aws/lambda/python:3\.12(?:[.@-].*)?$")
# Files the build stage may take from the context (besides what the runtime copies).
BUILD_CONTEXT_FILES = {"requirements.txt"}
RUNTIME_CONTEXT_DIRS = {"app/", "config/", "docs/runbooks/"}


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return split_stages(read_instructions(DOCKERFILE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def all_instructions(stages: list[Stage]) -> list[Instruction]:
    return [instruction for stage in stages for instruction in stage.instructions]


def test_dockerfile_has_at_least_two_named_stages(stages: list[Stage]) -> None:
    assert len(stages) >= 2
    assert all(stage.name for stage in stages), "every stage is named (FROM ... AS name)"


def test_every_stage_is_based_on_the_aws_lambda_python_image(stages: list[Stage]) -> None:
    stage_names = {stage.name for stage in stages}
    for stage in stages:
        if stage.image in stage_names:
            continue  # FROM an earlier stage
        assert LAMBDA_PYTHON_IMAGE.match(stage.image), stage.image


def test_final_stage_is_based_on_the_aws_lambda_python_image(stages: list[Stage]) -> None:
    assert LAMBDA_PYTHON_IMAGE.match(stages[-1].image), stages[-1].image


def test_requirements_are_installed_with_require_hashes_into_asset(
    all_instructions: list[Instruction],
) -> None:
    installs = [
        i
        for i in all_instructions
        if i.keyword == "RUN" and re.search(r"\bpip install\b", i.arguments)
    ]
    assert installs, "a RUN pip install step exists"
    for install in installs:
        assert "--require-hashes" in install.arguments, f"line {install.line}"
        assert re.search(r"-r\s+requirements\.txt\b", install.arguments), f"line {install.line}"
        assert re.search(r"--target[ =]/asset\b", install.arguments), f"line {install.line}"
        assert "--no-cache-dir" in install.arguments, f"line {install.line}"


def test_dependencies_are_installed_in_a_build_stage_not_the_final_one(
    stages: list[Stage],
) -> None:
    final_runs = [i.arguments for i in stages[-1].instructions if i.keyword == "RUN"]
    assert not any("pip install" in run for run in final_runs)
    final_copies = [copy_parts(i) for i in stages[-1].instructions if i.keyword == "COPY"]
    assert any(flags.get("from") and sources == ["/asset"] for flags, sources, _ in final_copies), (
        "the final stage copies /asset from the build stage"
    )


def test_bytecode_is_compiled(all_instructions: list[Instruction]) -> None:
    compiles = [
        i.arguments
        for i in all_instructions
        if i.keyword == "RUN" and re.search(r"\bpython3? -m compileall\b", i.arguments)
    ]
    assert any("/asset" in c for c in compiles), "dependencies are compiled"
    assert any(re.search(r"\bapp\b", c) for c in compiles), "application code is compiled"


def test_no_copy_or_add_of_the_whole_build_context(all_instructions: list[Instruction]) -> None:
    for instruction in all_instructions:
        if instruction.keyword not in {"COPY", "ADD"}:
            continue
        flags, sources, _ = copy_parts(instruction)
        if "from" in flags:
            continue
        for source in sources:
            assert source.rstrip("/") not in {".", "./", "*", ""}, f"line {instruction.line}"


def test_no_add_instruction(all_instructions: list[Instruction]) -> None:
    assert not [i.line for i in all_instructions if i.keyword == "ADD"], "use COPY, not ADD"


def test_final_stage_copies_only_app_config_and_runbooks_from_the_context(stages: list[Stage]) -> None:
    context_sources = set()
    for instruction in stages[-1].instructions:
        if instruction.keyword == "COPY":
            flags, sources, _ = copy_parts(instruction)
            if "from" not in flags:
                context_sources.update(s if s.endswith("/") else s + "/" for s in sources)
    assert context_sources == RUNTIME_CONTEXT_DIRS


def test_build_stages_copy_only_requirements_from_the_context(stages: list[Stage]) -> None:
    for stage in stages[:-1]:
        for instruction in stage.instructions:
            if instruction.keyword == "COPY":
                flags, sources, _ = copy_parts(instruction)
                if "from" not in flags:
                    assert set(sources) <= BUILD_CONTEXT_FILES, f"line {instruction.line}"


def test_application_lands_in_lambda_task_root(stages: list[Stage]) -> None:
    destinations = [copy_parts(i)[2] for i in stages[-1].instructions if i.keyword == "COPY"]
    assert destinations, "the final stage copies files"
    assert all(d.startswith("${LAMBDA_TASK_ROOT}") for d in destinations), destinations


def test_default_command_is_the_api_handler(stages: list[Stage]) -> None:
    commands = [i for i in stages[-1].instructions if i.keyword == "CMD"]
    assert commands, "the final stage has a CMD"
    assert json.loads(commands[-1].arguments) == ["app.lambda_handler.handler"]


def test_no_entrypoint_override(stages: list[Stage]) -> None:
    # The base image's entrypoint is the Lambda runtime interface client.
    assert not [i for i in stages[-1].instructions if i.keyword == "ENTRYPOINT"]
