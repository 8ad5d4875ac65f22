"""Comparing a failed log with the same job's last green log: what is new leads."""

from app.core.analysis.excerpt import build_excerpt
from app.core.analysis.green_diff import (
    GreenComparison,
    compare_with_green,
    comparison_details,
    evidence_new_first,
    lines_not_in_green,
    masked_lines,
    new_lines_first,
)
from app.core.models import GreenBaseline, GreenJob

GREEN = """\
2024-03-01T10:11:12.1234567Z ##[group]Run actions/checkout@v4
2024-03-01T10:11:12.2234567Z Syncing repository: octo-org/octo-repo
2024-03-01T10:11:13.0000000Z HEAD is now at 3a2844b Merge pull request #41 from octo-org/fix
2024-03-01T10:11:20.0000000Z Run pytest -q
2024-03-01T10:11:25.0000000Z tests/test_api.py ........                                  [ 50%]
2024-03-01T10:11:29.0000000Z tests/test_db.py ........                                   [100%]
2024-03-01T10:11:29.5000000Z 16 passed in 9.12s
2024-03-01T10:11:30.0000000Z WARNING: connection pool is full, discarding connection: localhost
2024-03-01T10:11:31.0000000Z Post job cleanup.
2024-03-01T10:11:31.1000000Z Cleaning up orphan processes
"""

FAILED = """\
2024-05-07T22:01:02.0000001Z ##[group]Run actions/checkout@v4
2024-05-07T22:01:02.1000000Z Syncing repository: octo-org/octo-repo
2024-05-07T22:01:03.0000000Z HEAD is now at 9f1c0de Merge pull request #57 from octo-org/fix
2024-05-07T22:01:10.0000000Z Run pytest -q
2024-05-07T22:01:15.0000000Z tests/test_api.py ........                                  [ 50%]
2024-05-07T22:01:19.0000000Z tests/test_db.py .......F                                   [100%]
2024-05-07T22:01:19.1000000Z ___________________________ test_migration_adds_index ___________________________
2024-05-07T22:01:19.2000000Z E   AssertionError: assert 'ix_runs_repo' in []
2024-05-07T22:01:19.3000000Z FAILED tests/test_db.py::test_migration_adds_index - AssertionError
2024-05-07T22:01:19.4000000Z 1 failed, 15 passed in 8.73s
2024-05-07T22:01:20.0000000Z WARNING: connection pool is full, discarding connection: localhost
2024-05-07T22:01:20.1000000Z ##[error]Process completed with exit code 1.
2024-05-07T22:01:21.0000000Z Post job cleanup.
2024-05-07T22:01:21.1000000Z Cleaning up orphan processes
"""

BASELINE = GreenBaseline(
    jobs=(GreenJob(job="test", run_id=101, job_id=9001, html_url="https://github.com/x/y/1"),),
    lines=masked_lines(GREEN),
)


def test_lines_that_differ_only_in_times_ids_hashes_and_durations_are_not_new() -> None:
    new = lines_not_in_green(FAILED, masked_lines(GREEN))
    assert not any(line.startswith(("Syncing", "HEAD is now", "Run pytest")) for line in new)
    assert "Post job cleanup." not in new


def test_the_lines_the_green_log_lacks_are_new_in_the_order_they_appear() -> None:
    assert lines_not_in_green(FAILED, masked_lines(GREEN)) == (
        "tests/test_db.py .......F                                   [100%]",
        "___________________________ test_migration_adds_index ___________________________",
        "E   AssertionError: assert 'ix_runs_repo' in []",
        "FAILED tests/test_db.py::test_migration_adds_index - AssertionError",
        "1 failed, 15 passed in 8.73s",
        "##[error]Process completed with exit code 1.",
    )


def test_a_new_line_repeated_in_the_log_is_listed_once() -> None:
    failed = "error: disk quota exceeded\nretrying\nerror: disk quota exceeded for /tmp/x1\n"
    assert lines_not_in_green(failed, masked_lines("retrying\n")) == (
        "error: disk quota exceeded",
        "error: disk quota exceeded for /tmp/x1",
    )


def test_lines_without_a_word_are_never_new() -> None:
    failed = "=========\n12345\n[ 42%]\nsegfault in worker\n"
    assert lines_not_in_green(failed, frozenset()) == ("segfault in worker",)


def test_secrets_in_new_lines_are_masked() -> None:
    token = "ghp_" + "a" * 36
    new = lines_not_in_green(f"fatal: could not read from {token}\n", frozenset())
    assert len(new) == 1 and token not in new[0]


def test_without_a_green_log_every_line_but_runner_noise_is_new() -> None:
    new = lines_not_in_green(FAILED, frozenset())
    assert len(new) == 13  # 14 lines, the ##[group] marker is runner noise
    assert not any(line.startswith("##[group]") for line in new)


def test_new_lines_lead_the_excerpt_and_its_other_lines_follow_in_their_order() -> None:
    excerpt = build_excerpt(FAILED).text
    new = lines_not_in_green(FAILED, masked_lines(GREEN))
    text, first = new_lines_first(excerpt, new)
    lines = text.split("\n")
    assert first == len(new)
    assert tuple(lines[:first]) == new
    rest = [line for line in excerpt.split("\n") if line not in new]
    assert lines[first:] == rest
    assert "WARNING: connection pool is full, discarding connection: localhost" in lines[first:]


def test_the_excerpt_led_by_new_lines_keeps_its_byte_and_line_budget() -> None:
    new = tuple(f"error: module m{i} failed to load its configuration file" for i in range(300))
    excerpt = "\n".join(f"context line {i} of the failing step" for i in range(150))
    text, first = new_lines_first(excerpt, new, max_bytes=4096, max_lines=60)
    assert len(text.encode()) <= 4096
    assert text.count("\n") + 1 <= 60
    assert 0 < first <= 30
    assert text.split("\n")[0] == new[0]


def test_without_new_lines_the_excerpt_is_unchanged() -> None:
    assert new_lines_first("a\nb", ()) == ("a\nb", 0)


def test_evidence_starts_with_the_new_failure_lines_then_the_new_evidence_then_the_rest() -> None:
    new = (
        "tests/test_db.py .......F",
        "E   AssertionError: assert 'ix_runs_repo' in []",
        "FAILED tests/test_db.py::test_migration_adds_index - AssertionError",
    )
    evidence = [
        "WARNING: connection pool is full, discarding connection: localhost",
        "FAILED tests/test_db.py::test_migration_adds_index - AssertionError",
    ]
    assert evidence_new_first(evidence, new) == [
        "E   AssertionError: assert 'ix_runs_repo' in []",
        "FAILED tests/test_db.py::test_migration_adds_index - AssertionError",
        "WARNING: connection pool is full, discarding connection: localhost",
    ]


def test_evidence_without_new_lines_keeps_its_order() -> None:
    assert evidence_new_first(["b failed", "a failed"], ()) == ["b failed", "a failed"]


def test_a_comparison_puts_the_new_lines_first_in_the_excerpt() -> None:
    comparison = compare_with_green(FAILED, build_excerpt(FAILED).text, BASELINE)
    assert comparison is not None
    assert comparison.excerpt.split("\n")[0] == (
        "tests/test_db.py .......F                                   [100%]"
    )
    assert comparison.lines_first == 6


def test_no_comparison_when_no_job_had_a_green_counterpart() -> None:
    skipped = GreenBaseline(jobs=(GreenJob(job="test", skipped="no successful run"),))
    assert compare_with_green(FAILED, build_excerpt(FAILED).text, skipped) is None


def test_details_of_a_skipped_comparison_say_why() -> None:
    skipped = GreenBaseline(
        jobs=(GreenJob(job="test", skipped="no successful run of this workflow on main"),)
    )
    details = comparison_details(skipped, None)
    assert details["compared"] is False
    assert details["note"] == (
        "not compared with a successful run: no successful run of this workflow on main"
    )


def test_details_of_a_comparison_name_the_run_and_count_the_new_lines() -> None:
    comparison = GreenComparison(excerpt="x", new_lines=("a", "b"), lines_first=2)
    details = comparison_details(BASELINE, comparison)
    assert details["compared"] is True
    assert details["new_lines"] == 2
    assert details["jobs"] == [
        {"job": "test", "run_id": 101, "job_id": 9001, "html_url": "https://github.com/x/y/1"}
    ]
    assert "'test' with run 101" in details["note"]
