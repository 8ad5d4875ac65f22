"""Validation of a configuration file: it parses, and it has its tool's structure."""

from app.domain.config_fixes.checks import problems, workflow_problems
from app.domain.config_fixes.location import ConfigKind

WORKFLOW = """name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""


def test_a_well_formed_workflow_has_no_problem():
    assert problems(ConfigKind.WORKFLOW, WORKFLOW) == []


def test_an_unquoted_on_key_counts_as_the_trigger():
    # YAML 1.1 reads the key `on` as true.
    assert workflow_problems({True: ["push"], "jobs": {"a": {"runs-on": "x"}}}) == []


def test_a_duplicate_key_is_a_problem_on_its_line():
    found = problems(ConfigKind.WORKFLOW, "name: a\nname: b\n" + WORKFLOW.split("\n", 1)[1])
    assert [(p.line, "duplicate key 'name'" in p.message) for p in found] == [(2, True)]


def test_a_job_without_runs_on_or_uses_is_a_problem():
    found = problems(ConfigKind.WORKFLOW, WORKFLOW.replace("    runs-on: ubuntu-latest\n", ""))
    assert [p.message for p in found] == ["job 'test' has neither 'runs-on' nor 'uses'"]


def test_steps_that_are_not_a_list_are_a_problem():
    found = workflow_problems({"on": "push", "jobs": {"a": {"runs-on": "x", "steps": "run"}}})
    assert [p.message for p in found] == ["the steps of job 'a' are not a list"]


def test_a_workflow_without_jobs_is_a_problem():
    assert [p.message for p in workflow_problems({"on": "push"})] == [
        "the workflow has no 'jobs' mapping"
    ]


def test_an_unquoted_alias_is_a_yaml_problem():
    found = problems(ConfigKind.YAML, "args: **/*.yaml\n")
    assert len(found) == 1 and found[0].line == 1


def test_invalid_json_is_a_problem_on_its_line():
    assert [p.line for p in problems(ConfigKind.JSON, '{\n  "a": 1,\n}\n')] == [3]


def test_an_unknown_dockerfile_instruction_is_a_problem_and_a_heredoc_is_not():
    text = "FROM alpine\nRUN cat > a <<'EOF'\necho hi\nEOF\nRUNN echo\n"
    assert [(p.line, p.message) for p in problems(ConfigKind.DOCKERFILE, text)] == [
        (5, "unknown instruction: runn")
    ]
