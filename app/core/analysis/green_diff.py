"""Compare a failed job's log with the log of the same job in the last successful run.

Most of a failed log is also in a green one: set-up, checkout, dependency downloads, the tests
that passed, the clean-up. The lines that are not in the green log are where the failure is
(the approach of LogSage). Both logs are masked the way the signature masks them first, so a
line is not new merely because its timestamp, run id, duration, hash or temp path differ. The
new lines lead the excerpt and the evidence; the rest of the excerpt follows them.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.analysis.excerpt import build_excerpt, clean_lines, is_error_line
from app.core.analysis.signature import normalize_line
from app.core.models import GreenBaseline
from app.core.redaction import mask_secrets

# New lines that carry a failure marker and lead the evidence.
LEADING_EVIDENCE = 3
MAX_EVIDENCE = 10
# Share of the excerpt's line and byte budget the new lines may take; the rest of the
# excerpt keeps the remainder.
NEW_LINES_SHARE = 0.5

_HAS_WORD = re.compile(r"[a-z]{2,}")


@dataclass(frozen=True)
class GreenComparison:
    """What the comparison did to one analysis."""

    excerpt: str
    new_lines: tuple[str, ...]
    # How many lines at the head of ``excerpt`` are lines the green log does not have.
    lines_first: int

    def evidence(self, evidence: Sequence[str]) -> list[str]:
        return evidence_new_first(evidence, self.new_lines)


def masked_line(line: str) -> str:
    """A line as the signature masks it: lower case, numbers, ids, hashes, times, durations,
    paths and temp names replaced by placeholders."""
    return normalize_line(line)


def masked_lines(raw_log: str) -> frozenset[str]:
    """Every line of a log (secrets masked, runner noise dropped) as the signature masks it."""
    return frozenset(masked_line(line) for line in set(clean_lines(mask_secrets(raw_log or ""))))


def _says_something(masked: str) -> bool:
    """Lines left with no word once masked (rulers, counters, blank ones) say nothing."""
    return bool(_HAS_WORD.search(masked.replace("<", " ").replace(">", " ")))


def lines_not_in_green(raw_log: str, green: frozenset[str]) -> tuple[str, ...]:
    """The lines of a failed log (secrets masked, runner noise dropped) whose masked form is not
    in ``green``, each once, in the order they first appear."""
    new: dict[str, str] = {}  # masked form → the first line that has it
    masked_forms: dict[str, str] = {}
    for line in clean_lines(mask_secrets(raw_log or "")):
        masked = masked_forms.get(line)
        if masked is None:
            masked = masked_forms[line] = masked_line(line)
        if masked in green or masked in new or not _says_something(masked):
            continue
        new[masked] = line
    return tuple(new.values())


def new_lines_first(
    excerpt: str, new_lines: Sequence[str], *, max_bytes: int = 8192, max_lines: int = 200
) -> tuple[str, int]:
    """The excerpt led by the new lines, within the excerpt's budget, and how many lines lead.

    The new lines get up to half the budget, chosen as an excerpt of their own (failure lines
    and their context before other lines); the excerpt's other lines follow in their order
    until the budget is spent."""
    if not new_lines:
        return excerpt, 0
    head_lines = max(1, int(max_lines * NEW_LINES_SHARE))
    head_text = build_excerpt(
        "\n".join(new_lines),
        max_bytes=max(1, int(max_bytes * NEW_LINES_SHARE)),
        max_lines=head_lines,
        tail_lines=len(new_lines),
    ).text
    if not head_text:
        return excerpt, 0
    head = head_text.split("\n")
    kept = set(head)
    size = sum(len(line.encode()) + 1 for line in head) - 1
    lines = list(head)
    for line in excerpt.split("\n") if excerpt else []:
        cost = len(line.encode()) + 1
        if line in kept or len(lines) >= max_lines or size + cost > max_bytes:
            continue
        kept.add(line)
        lines.append(line)
        size += cost
    return "\n".join(lines), len(head)


def evidence_new_first(evidence: Iterable[str], new_lines: Sequence[str]) -> list[str]:
    """Evidence led by the failure lines the green log does not have, then the classifier's
    evidence lines that are new, then its others; each line once."""
    new = {masked_line(line) for line in new_lines}
    given = [line for line in evidence if line.strip()]
    leading = [line.strip() for line in new_lines if is_error_line(line)][:LEADING_EVIDENCE]
    ordered = (
        leading
        + [line for line in given if masked_line(line) in new]
        + [line for line in given if masked_line(line) not in new]
    )
    seen: dict[str, None] = {}
    for line in ordered:
        seen.setdefault(line, None)
    return list(seen)[:MAX_EVIDENCE]


def compare_with_green(
    raw_log: str, excerpt: str, green: GreenBaseline, *, max_bytes: int = 8192, max_lines: int = 200
) -> GreenComparison | None:
    """The excerpt led by the failed log's lines the green logs do not have; None when no job
    was compared."""
    if not green.compared:
        return None
    new = lines_not_in_green(raw_log, green.lines)
    text, first = new_lines_first(excerpt, new, max_bytes=max_bytes, max_lines=max_lines)
    return GreenComparison(excerpt=text, new_lines=new, lines_first=first)


def comparison_details(
    green: GreenBaseline, comparison: GreenComparison | None
) -> dict[str, Any]:
    """What the incident records about the comparison (``details.green_run``): whether it was
    made, with which runs, and a sentence for people."""
    jobs = [job.model_dump(exclude_none=True) for job in green.jobs]
    if comparison is None:
        reasons = "; ".join(dict.fromkeys(job.skipped or "" for job in green.jobs if job.skipped))
        return {
            "compared": False,
            "jobs": jobs,
            "note": f"not compared with a successful run: {reasons or 'no failed job to compare'}",
        }
    runs = ", ".join(
        f"{job.job!r} with run {job.run_id}" for job in green.jobs if job.skipped is None
    )
    return {
        "compared": True,
        "jobs": jobs,
        "new_lines": len(comparison.new_lines),
        "lines_first": comparison.lines_first,
        "note": (
            f"compared {runs}: {len(comparison.new_lines)} lines of the failed log are not in "
            f"the successful one; the first {comparison.lines_first} lines of the excerpt are "
            "among them"
        ),
    }
