"""build_excerpt keeps what explains a failure, masks secrets first and respects its caps."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.analysis.excerpt import (
    MAX_LINE_CHARS,
    build_excerpt,
    clean_lines,
    is_error_line,
    strip_noise,
)

LOGS = Path(__file__).parents[2] / "fixtures" / "ci_logs"
STAMP = "2024-01-01T12:34:56.1234567Z "


def actions_log(*lines: str) -> str:
    """Lines as the GitHub job-logs API returns them: timestamped, CRLF-free."""
    return "\n".join(STAMP + line for line in lines)


def filler(count: int, prefix: str = "compiling module") -> list[str]:
    return [f"{prefix} {i}" for i in range(count)]


def test_runner_timestamps_are_stripped() -> None:
    excerpt = build_excerpt(actions_log("npm ci", "npm ERR! code ECONNRESET"))
    assert excerpt.text == "npm ci\nnpm ERR! code ECONNRESET"


def test_ansi_colour_codes_are_stripped() -> None:
    assert strip_noise("\x1b[31;1mError:\x1b[0m boom") == "Error: boom"


def test_group_markers_are_dropped() -> None:
    log = actions_log("##[group]Run npm test", "FAIL src/a.test.ts", "##[endgroup]")
    assert build_excerpt(log).text == "FAIL src/a.test.ts"


def test_error_annotation_lines_are_kept_far_from_the_tail() -> None:
    log = actions_log("##[error]first failure", *filler(100))
    assert "##[error]first failure" in build_excerpt(log, tail_lines=5).text.splitlines()


def test_error_lines_keep_two_lines_of_context_on_each_side() -> None:
    lines = [*filler(20, "a"), "before 2", "before 1", "fatal: boom", "after 1", "after 2"]
    excerpt = build_excerpt("\n".join([*lines, *filler(40, "b")]), tail_lines=3)
    kept = excerpt.text.splitlines()
    assert kept[:5] == ["before 2", "before 1", "fatal: boom", "after 1", "after 2"]
    assert "a 17" not in kept


def test_the_tail_of_the_log_is_kept() -> None:
    excerpt = build_excerpt("\n".join(filler(100)), tail_lines=10)
    assert excerpt.text.splitlines() == filler(100)[-10:]


def test_the_tail_ends_at_the_failing_step_not_at_post_job_cleanup() -> None:
    log = actions_log(
        *filler(40, "step"),
        "##[error]Process completed with exit code 2.",
        *filler(40, "Post job cleanup"),
    )
    kept = build_excerpt(log, tail_lines=8).text.splitlines()
    assert kept == [
        *filler(40, "step")[-5:],
        "##[error]Process completed with exit code 2.",
        "Post job cleanup 0",
        "Post job cleanup 1",
    ]


def test_consecutive_repeated_lines_collapse_into_one() -> None:
    log = "\n".join(["retrying download"] * 50 + ["error: gave up"])
    assert build_excerpt(log).text == "retrying download\nerror: gave up"


def test_progress_bar_redraws_collapse() -> None:
    assert clean_lines("50%\r50%\r50%\rdone") == ["50%", "done"]


def test_secrets_are_masked_before_anything_is_kept() -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
    excerpt = build_excerpt(actions_log(f"fatal: auth failed for https://x:{token}@github.com"))
    assert token not in excerpt.text
    assert "[REDACTED" in excerpt.text


def test_line_cap_prefers_error_lines_over_the_tail() -> None:
    errors = [f"error: problem {i}" for i in range(8)]
    log = "\n".join([*errors, *filler(100)])
    kept = build_excerpt(log, max_lines=8, tail_lines=30).text.splitlines()
    assert kept == errors


def test_line_cap_keeps_the_first_and_last_errors() -> None:
    errors = [f"error: problem {i}" for i in range(100)]
    kept = build_excerpt("\n".join(errors), max_lines=4).text.splitlines()
    assert kept == [
        "error: problem 0",
        "error: problem 1",
        "error: problem 98",
        "error: problem 99",
    ]


def test_byte_cap_is_respected_and_marks_truncation() -> None:
    excerpt = build_excerpt("\n".join(f"error: {'x' * 80} {i}" for i in range(500)), max_bytes=2048)
    assert len(excerpt.text.encode()) <= 2048
    assert excerpt.truncated


def test_a_single_huge_line_keeps_its_head_and_tail() -> None:
    line = "[ERROR] Failed to execute goal " + "x" * 3000 + " Connection reset -> [Help 1]"
    text = build_excerpt(line).text
    assert len(text) <= MAX_LINE_CHARS
    assert text.startswith("[ERROR] Failed to execute goal")
    assert text.endswith("Connection reset -> [Help 1]")


def test_short_log_is_not_marked_truncated() -> None:
    excerpt = build_excerpt("line one\nerror: line two")
    assert (excerpt.lines, excerpt.truncated) == (2, False)


def test_empty_log_gives_an_empty_excerpt() -> None:
    excerpt = build_excerpt("\n \n")
    assert (excerpt.text, excerpt.lines, excerpt.truncated) == ("", 0, False)


def test_kubernetes_status_text_keeps_the_reason_lines() -> None:
    describe = (LOGS / "079_k8s_oomkilled_restarts.log").read_text()
    text = build_excerpt(describe, tail_lines=0).text
    assert "Reason:       OOMKilled" in text


def test_error_markers_cover_common_failures() -> None:
    for line in [
        "npm ERR! code ECONNRESET",
        "E       assert 1 == 2",
        "--- FAIL: TestCounterMetric (0.10s)",
        "The runner has received a shutdown signal.",
        "Warning  Failed  kubelet  Error: ErrImagePull",
        "toomanyrequests: You have reached your pull rate limit.",
        "/bin/bash: line 1:  2440 Killed   python -m job",
    ]:
        assert is_error_line(line), line


def test_ordinary_lines_are_not_error_lines() -> None:
    for line in ["Downloading black-20.8b1.tar.gz (1.1 MB)", "terror and skilled work", "zoom"]:
        assert not is_error_line(line), line


@settings(max_examples=300)
@given(st.text(), st.integers(1, 300), st.integers(1, 20000), st.integers(0, 50))
def test_build_excerpt_never_raises_and_respects_caps(
    text: str, max_lines: int, max_bytes: int, tail_lines: int
) -> None:
    excerpt = build_excerpt(text, max_bytes=max_bytes, max_lines=max_lines, tail_lines=tail_lines)
    assert excerpt.lines <= max_lines
    assert len(excerpt.text.encode()) <= max_bytes
