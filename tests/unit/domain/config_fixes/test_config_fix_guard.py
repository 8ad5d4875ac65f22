"""Edits never proposed: infrastructure paths and anything that could widen access."""

import pytest

from app.domain.config_fixes.guard import edit_refusal, path_refusal

BEFORE = "on: push\njobs:\n  a:\n    runs-on: x\n"


@pytest.mark.parametrize(
    "path", ["infrastructure/terraform/main.yml", "terraform/vars.yaml", "deploy/main.tf"]
)
def test_an_infrastructure_path_is_refused(path):
    assert path_refusal(path) is not None


def test_a_workflow_path_is_not_refused():
    assert path_refusal(".github/workflows/ci.yml") is None


@pytest.mark.parametrize(
    ("added", "word"),
    [
        ("permissions: write-all\n", "permissions"),
        ("  pull_request_target:\n", "pull_request_target"),
        ("    env:\n      T: ${{ secrets.NPM_TOKEN }}\n", "secrets"),
    ],
)
def test_an_edit_touching_access_is_refused_with_the_word(added, word):
    reason = edit_refusal(".github/workflows/ci.yml", BEFORE, BEFORE + added)
    assert f"touches {word!r}" in reason


def test_an_edit_of_too_many_lines_is_refused():
    after = BEFORE + "".join(f"# note {i}\n" for i in range(25))
    assert "changes 25 lines" in edit_refusal(".github/workflows/ci.yml", BEFORE, after)


def test_a_syntax_repair_is_not_refused():
    after = BEFORE.replace("runs-on: x", "runs-on: 'x'")
    assert edit_refusal(".github/workflows/ci.yml", BEFORE, after) is None
