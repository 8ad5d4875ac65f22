"""The analysis benchmark's --green-run: an excerpt whose thread posted the same job's green log
is compared with it before the classifier reads it."""

from pathlib import Path

from app.core.analysis.models import ClassifierVerdict
from app.core.enums import ActionKind, Category, Fixability
from tests.support.corpus import load_script

bench = load_script("bench_analyze")

GREEN = """\
Run npm ci
npm ERR! code E404 while probing the optional mirror (falling back to the registry)
added 812 packages in 21s
Run npm test
Tests: 40 passed, 40 total
"""
FAILED = """\
Run npm ci
npm ERR! code E404 while probing the optional mirror (falling back to the registry)
added 812 packages in 34s
Run npm test
FAIL src/cart.test.js
TypeError: Cannot read properties of undefined (reading 'total')
Tests: 1 failed, 39 passed, 40 total
"""


class Recorder:
    """A classifier that remembers the excerpts it is given."""

    def __init__(self) -> None:
        self.excerpts: list[str] = []

    def classify(self, excerpt: str) -> ClassifierVerdict:
        self.excerpts.append(excerpt)
        return ClassifierVerdict(
            category=Category.UNKNOWN,
            root_cause="",
            fixability=Fixability.UNKNOWN,
            action=ActionKind.NONE,
            confidence=0.1,
        )


def write_corpus(folder: Path) -> Path:
    (folder / "900_failed.log").write_text(FAILED)
    (folder / "900_failed.green.log").write_text(GREEN)
    (folder / "901_other.log").write_text(FAILED)
    labels = folder / "labels.yaml"
    labels.write_text(
        "logs:\n"
        "  - file: 900_failed.log\n"
        "    green_log: 900_failed.green.log\n"
        "    source: https://github.com/o/r/issues/1\n"
        "    category: test_failure\n"
        "    action: none\n"
        "    auto_fixable_truth: false\n"
        "  - file: 901_other.log\n"
        "    source: https://github.com/o/r/issues/2\n"
        "    category: test_failure\n"
        "    action: none\n"
        "    auto_fixable_truth: false\n"
    )
    return labels


def test_a_green_log_named_in_the_labels_is_read_beside_its_failure(tmp_path: Path) -> None:
    cases = bench.load_cases(write_corpus(tmp_path))
    assert [(c.file, c.green) for c in cases] == [
        ("900_failed.log", GREEN),
        ("901_other.log", None),
    ]


def test_with_green_run_the_classifier_reads_the_lines_the_green_log_lacks_first(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    bench.evaluate(recorder, bench.load_cases(write_corpus(tmp_path)), green_run=True)
    compared, plain = recorder.excerpts
    assert compared.split("\n")[:3] == [
        "FAIL src/cart.test.js",
        "TypeError: Cannot read properties of undefined (reading 'total')",
        "Tests: 1 failed, 39 passed, 40 total",
    ]
    assert plain.split("\n")[0] != "FAIL src/cart.test.js"


def test_without_green_run_the_classifier_reads_the_plain_excerpt(tmp_path: Path) -> None:
    recorder = Recorder()
    bench.evaluate(recorder, bench.load_cases(write_corpus(tmp_path)))
    assert recorder.excerpts[0] == recorder.excerpts[1]


def test_green_run_changes_counts_the_excerpts_with_a_green_log(tmp_path: Path) -> None:
    rows = bench.green_run_changes(Recorder(), bench.load_cases(write_corpus(tmp_path)))
    assert rows == ["compared with a green log: 1 of 2 excerpts"]
