"""Deterministic repairs of common YAML mistakes: each one validates, or none is proposed."""

from app.domain.config_fixes.location import ConfigKind
from app.domain.config_fixes.repairs import repair_yaml

HEAD = "name: lint\non: [push]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n"


def test_a_value_starting_with_an_asterisk_is_quoted():
    text = HEAD + "      - uses: org/lint@v1\n        with:\n          args: **/*.yaml\n"
    repair = repair_yaml(ConfigKind.WORKFLOW, text, 9)
    assert repair.text.splitlines()[8] == "          args: '**/*.yaml'"
    assert repair.summary == "quoted the value of 'args' on line 9"


def test_a_value_with_a_colon_and_space_is_quoted():
    text = HEAD + "      - name: note: important\n        run: echo\n"
    repair = repair_yaml(ConfigKind.WORKFLOW, text, 7)
    assert repair.text.splitlines()[6] == "      - name: 'note: important'"


def test_a_duplicated_identical_entry_is_removed():
    text = "name: release\nname: release\n" + HEAD.split("\n", 1)[1] + "      - run: x\n"
    repair = repair_yaml(ConfigKind.WORKFLOW, text, 2)
    assert repair.text.count("name: release") == 1
    assert repair.summary == "removed the duplicate key 'name' on line 2"


def test_two_different_entries_of_one_key_are_not_guessed_between():
    text = "name: one\nname: two\n" + HEAD.split("\n", 1)[1] + "      - run: x\n"
    assert repair_yaml(ConfigKind.WORKFLOW, text, 2) is None


def test_a_line_indented_off_its_siblings_is_reindented():
    text = HEAD + "      - run: a\n       - run: b\n"
    repair = repair_yaml(ConfigKind.WORKFLOW, text, 8)
    assert repair.text.splitlines()[7] == "      - run: b"


def test_tab_indentation_becomes_spaces():
    text = "on: push\njobs:\n\tlint:\n\t\truns-on: x\n"
    repair = repair_yaml(ConfigKind.WORKFLOW, text, 3)
    assert "\t" not in repair.text
    assert repair.summary == "replaced tab indentation with spaces"


def test_a_repair_that_parses_but_lacks_the_workflow_structure_is_not_proposed():
    # Quoting makes it parse, but the workflow still has no jobs.
    assert repair_yaml(ConfigKind.WORKFLOW, "on: push\nargs: **/*.yaml\n", 2) is None


def test_a_dockerfile_is_not_repaired_by_the_yaml_rules():
    assert repair_yaml(ConfigKind.DOCKERFILE, "RUNN x\n", 1) is None
