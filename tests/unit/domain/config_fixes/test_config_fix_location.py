"""Where a log names a broken configuration file: real logs of the corpus."""

import pytest

from app.domain.config_fixes.location import ConfigKind, ConfigLocation, locate, safe_path
from tests.conftest import fixture_bytes


def corpus_log(name: str) -> str:
    return fixture_bytes(f"ci_logs/{name}").decode()


@pytest.mark.parametrize(
    ("log", "path", "line"),
    [
        ("025_workflow_not_valid_unexpected_value.log", ".github/workflows/push.yml", 12),
        ("026_invalid_workflow_file_yaml_syntax.log", ".github/workflows/pr-builder.yml", 10),
        ("027_invalid_workflow_duplicate_key.log", ".github/workflows/run_release.yaml", 2),
        ("338_workflow_yaml_unquoted_asterisk.log", ".github/workflows/main.yml", 17),
        ("028_dockerfile_parse_error_actions.log", "Dockerfile.nixos", 81),
        ("031_compose_yaml_scanner_error.log", "docker-compose.yml", 19),
        ("086_kubectl_manifest_yaml_error.log", "create_deployment.yaml", 2),
    ],
)
def test_a_corpus_log_names_the_file_and_line(log, path, line):
    found = locate(corpus_log(log))
    assert (found.path, found.line) == (path, line)


def test_githubs_schema_message_is_kept_with_its_column():
    found = locate(corpus_log("025_workflow_not_valid_unexpected_value.log"))
    assert found.column == 14
    assert found.message == "Unexpected value ''"


def test_the_yaml_syntax_line_is_the_message_when_the_log_has_no_other():
    found = locate(corpus_log("338_workflow_yaml_unquoted_asterisk.log"))
    assert found.message == "error in your yaml syntax on line 17"


def test_a_workflow_path_is_a_workflow_and_a_manifest_is_yaml():
    assert ConfigLocation(".github/workflows/ci.yml", 1).kind is ConfigKind.WORKFLOW
    assert ConfigLocation("deploy/app.yaml", 1).kind is ConfigKind.YAML
    assert ConfigLocation("package.json", 1).kind is ConfigKind.JSON


def test_a_log_naming_no_file_and_line_locates_nothing():
    assert locate("npm ERR! code ECONNRESET\nnpm ERR! network aborted") is None


def test_a_path_leaving_the_repository_is_not_located():
    assert locate("Invalid workflow file: ../../etc/x.yml#L3") is None
    assert safe_path("/etc/passwd.yml") is None
