"""Offline analysis benchmark on the labelled failure corpus, train and test side by side.

Runs excerpt → signature → the service's offline classifier (the rules, and for an excerpt no
pattern names the category the reference memory's words point to, never a fix; the words are
learnt from the train side, as the shipped memory is; --rules-only: the patterns alone) over
every excerpt in ``tests/fixtures/ci_logs/labels.yaml`` and reports, per side of the frozen split
(``tests/fixtures/ci_logs/split.yaml``, by source thread; see scripts/corpus_split.py):

- category accuracy;
- auto-fix precision: of the excerpts the classifier would fix automatically (an action other
  than ``none`` with fixability ``auto``), the share whose label says that very action was the
  right answer — an automatic fix where a person or another action was right is wrong;
- coverage: of the excerpts a fix would have solved, the share given the right automatic fix;
- approval precision: of the fixes a person would be asked to approve (an action with
  fixability ``manual``), the share that is the right fix;

a per-category table and a confusion matrix of the chosen side, the misclassified files, and
throughput with p50/p95 latency per excerpt. Rules are tuned on train; the figure to quote is
test's.

With --green-run, an excerpt whose thread also posted the log of the same job's last successful
run (``green_log:`` in labels.yaml) is compared with it as the service does: the lines the green
log lacks lead the excerpt. The verdicts that change are listed.

With --from-file N only the excerpts numbered N or more count: the threads added to the corpus
since then (e.g. a batch collected after the rules were last tuned).

The train column's words are learnt from the train side itself, so for the excerpts no pattern
names it reads higher than unseen failures would.

Usage: python scripts/bench_analyze.py [--split test|train|all] [--from-file N] [--rules-only]
       [--rounds 20] [--check] [--green-run]
With --check the exit status is 1 when a target of the chosen side is missed.
"""

import argparse
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from app.core.analysis.excerpt import build_excerpt
from app.core.analysis.green_diff import compare_with_green, masked_lines
from app.core.analysis.models import ClassifierVerdict
from app.core.analysis.signature import compute_signature
from app.core.enums import ActionKind, Category, Fixability
from app.core.models import GreenBaseline, GreenJob
from app.core.settings_parts import AnalysisSettings
from app.domain.classification.reference_words import ReferenceWordsModel, RulesWithReferenceWords
from app.domain.classification.rule_classifier import RuleClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus_split  # noqa: E402  (a sibling script, not a package)

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "tests" / "fixtures" / "ci_logs"
PATTERNS = ROOT / "config" / "failure_patterns.yaml"

Offline = RuleClassifier | RulesWithReferenceWords
# The service's default bar for the words (REFERENCE_WORDS_MIN_PROBABILITY).
WORDS_MIN_PROBABILITY: float = AnalysisSettings.model_fields["reference_words_min_probability"].default

TARGET_ACCURACY = 0.90
TARGET_AUTO_FIX_PRECISION = 0.98
TARGET_COVERAGE = 0.75
TARGET_APPROVAL_PRECISION = 0.80
TARGET_P95_MS = 20.0


@dataclass(frozen=True)
class Case:
    file: str
    text: str
    category: str
    action: str
    auto_fixable: bool
    side: str
    # The log of the same job's last successful run, where the thread posted one.
    green: str | None = None


@dataclass(frozen=True)
class Outcome:
    case: Case
    verdict: ClassifierVerdict

    @property
    def correct(self) -> bool:
        return self.verdict.category.value == self.case.category

    @property
    def proposes_fix(self) -> bool:
        return self.verdict.action is not ActionKind.NONE

    @property
    def auto_fix(self) -> bool:
        return self.proposes_fix and self.verdict.fixability is Fixability.AUTO

    @property
    def asks_approval(self) -> bool:
        return self.proposes_fix and self.verdict.fixability is not Fixability.AUTO

    @property
    def right_fix(self) -> bool:
        """The proposed action is the one the thread's outcome calls for."""
        return self.case.action != "none" and self.verdict.action.value == self.case.action


@dataclass(frozen=True)
class Figures:
    n: int
    accuracy: float
    auto_right: int
    auto_acted: int
    covered: int
    fixable: int
    approval_right: int
    approval_asked: int

    @property
    def auto_fix_precision(self) -> float:
        return self.auto_right / self.auto_acted if self.auto_acted else 1.0

    @property
    def coverage(self) -> float:
        return self.covered / self.fixable if self.fixable else 0.0

    @property
    def approval_precision(self) -> float:
        return self.approval_right / self.approval_asked if self.approval_asked else 1.0


def load_cases(labels: Path = LOGS / "labels.yaml") -> list[Case]:
    """The labelled excerpts, text and side of the split included."""
    split = corpus_split.load_split()
    return [
        Case(
            file=e["file"],
            text=(labels.parent / e["file"]).read_text(encoding="utf-8"),
            category=e["category"],
            action=e["action"],
            auto_fixable=bool(e["auto_fixable_truth"]),
            side=corpus_split.side_of(e, split) or "unassigned",
            green=(labels.parent / e["green_log"]).read_text(encoding="utf-8")
            if e.get("green_log")
            else None,
        )
        for e in corpus_split.load_entries(labels)
    ]


def file_number(name: str) -> int:
    """The number a corpus file starts with: files are numbered in the order they were added."""
    return int(name.split("_", 1)[0])


def select(cases: list[Case], *, split: str, from_file: int = 0) -> list[Case]:
    """The cases a run evaluates: numbered ``from_file`` or more, and with ``split`` "train"
    the train side only (tuning must not see the test side, not even its totals)."""
    chosen = [c for c in cases if file_number(c.file) >= from_file]
    return [c for c in chosen if c.side == "train"] if split == "train" else chosen


def analyze(classifier: Offline, text: str, green: str | None = None) -> ClassifierVerdict:
    """The offline analysis path: excerpt, signature, (with a ``green`` log, the lines it lacks
    first,) rule classifier."""
    excerpt = build_excerpt(text).text
    compute_signature(excerpt)
    if green is not None:
        baseline = GreenBaseline(jobs=(GreenJob(job="corpus"),), lines=masked_lines(green))
        comparison = compare_with_green(text, excerpt, baseline)
        if comparison is not None:
            excerpt = comparison.excerpt
    return classifier.classify(excerpt)


def evaluate(
    classifier: Offline, cases: list[Case], *, green_run: bool = False
) -> list[Outcome]:
    return [
        Outcome(case, analyze(classifier, case.text, case.green if green_run else None))
        for case in cases
    ]


def green_run_changes(classifier: Offline, cases: list[Case]) -> list[str]:
    """What comparing with the green log changes: how many excerpts have one, and each verdict
    (category, action, fixability) that differs from the plain analysis."""
    with_green = [c for c in cases if c.green is not None]
    rows = [f"compared with a green log: {len(with_green)} of {len(cases)} excerpts"]
    for case in with_green:
        plain, compared = analyze(classifier, case.text), analyze(classifier, case.text, case.green)
        before = (plain.category.value, plain.action.value, plain.fixability.value)
        after = (compared.category.value, compared.action.value, compared.fixability.value)
        if before != after:
            rows.append(f"  {case.file:<52} {'/'.join(before)} -> {'/'.join(after)}")
    return rows


def figures(outcomes: list[Outcome]) -> Figures:
    auto = [o for o in outcomes if o.auto_fix]
    asked = [o for o in outcomes if o.asks_approval]
    fixable = [o for o in outcomes if o.case.auto_fixable and o.case.action != "none"]
    return Figures(
        n=len(outcomes),
        accuracy=sum(o.correct for o in outcomes) / len(outcomes) if outcomes else 0.0,
        auto_right=sum(o.right_fix and o.case.auto_fixable for o in auto),
        auto_acted=len(auto),
        covered=sum(o.auto_fix and o.right_fix for o in fixable),
        fixable=len(fixable),
        approval_right=sum(o.right_fix for o in asked),
        approval_asked=len(asked),
    )


def side_by_side(by_side: dict[str, Figures]) -> list[str]:
    names = list(by_side)
    rows = [f"{'figure':<22}" + "".join(f"{n:>18}" for n in names) + f"{'target':>10}"]

    def row(label: str, cells: list[str], target: str) -> None:
        rows.append(f"{label:<22}" + "".join(f"{c:>18}" for c in cells) + f"{target:>10}")

    f = [by_side[n] for n in names]
    row("excerpts", [str(x.n) for x in f], "")
    row("category accuracy", [f"{x.accuracy:.3f}" for x in f], f">= {TARGET_ACCURACY}")
    row(
        "auto-fix precision",
        [f"{x.auto_fix_precision:.3f} ({x.auto_right}/{x.auto_acted})" for x in f],
        f">= {TARGET_AUTO_FIX_PRECISION}",
    )
    row(
        "coverage",
        [f"{x.coverage:.3f} ({x.covered}/{x.fixable})" for x in f],
        f">= {TARGET_COVERAGE}",
    )
    row(
        "approval precision",
        [f"{x.approval_precision:.3f} ({x.approval_right}/{x.approval_asked})" for x in f],
        f">= {TARGET_APPROVAL_PRECISION}",
    )
    return rows


def met(f: Figures) -> bool:
    return (
        f.accuracy >= TARGET_ACCURACY
        and f.auto_fix_precision >= TARGET_AUTO_FIX_PRECISION
        and f.coverage >= TARGET_COVERAGE
        and f.approval_precision >= TARGET_APPROVAL_PRECISION
    )


def category_table(outcomes: list[Outcome]) -> list[str]:
    expected = Counter(o.case.category for o in outcomes)
    predicted = Counter(o.verdict.category.value for o in outcomes)
    hits = Counter(o.case.category for o in outcomes if o.correct)
    rows = [f"{'category':<26}{'n':>4}{'pred':>6}{'precision':>11}{'recall':>8}"]
    for category in sorted(set(expected) | set(predicted)):
        precision = hits[category] / predicted[category] if predicted[category] else float("nan")
        recall = hits[category] / expected[category] if expected[category] else float("nan")
        rows.append(
            f"{category:<26}{expected[category]:>4}{predicted[category]:>6}"
            f"{precision:>11.2f}{recall:>8.2f}"
        )
    return rows


def confusion_matrix(outcomes: list[Outcome]) -> list[str]:
    """Rows: labelled category; columns: predicted (numbered as the rows)."""
    labels = sorted({o.case.category for o in outcomes} | {o.verdict.category.value for o in outcomes})
    cells = Counter((o.case.category, o.verdict.category.value) for o in outcomes)
    corner = "labelled \\ predicted"
    head = f"{corner:<30}" + "".join(f"{i:>4}" for i in range(len(labels)))
    rows = [head]
    for i, label in enumerate(labels):
        counts = "".join(
            f"{cells[(label, p)] if cells[(label, p)] else '.':>4}" for p in labels
        )
        rows.append(f"{i:>2} {label:<27}{counts}")
    return rows


def time_rounds(
    classifier: Offline, cases: list[Case], rounds: int, max_seconds: float
) -> list[float]:
    """Milliseconds per excerpt over up to ``rounds`` passes, stopping after ``max_seconds``."""
    samples: list[float] = []
    started = time.perf_counter()
    for _ in range(max(1, rounds)):
        for case in cases:
            begin = time.perf_counter()
            analyze(classifier, case.text)
            samples.append((time.perf_counter() - begin) * 1000.0)
        if time.perf_counter() - started > max_seconds:
            break
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(outcomes: list[Outcome], side: str, samples: list[float]) -> bool:
    """Print the results; True when every target of ``side`` is met."""
    # Tuning runs with --split train and must not see the test side, not even its totals.
    sides = ("train",) if side == "train" else ("train", "test", "all")
    by_side = {
        s: figures([o for o in outcomes if s == "all" or o.case.side == s]) for s in sides
    }
    chosen = [o for o in outcomes if side == "all" or o.case.side == side]
    print(f"excerpts: {len(chosen)} ({side})   patterns: {PATTERNS.relative_to(ROOT)}")
    print()
    print("\n".join(side_by_side(by_side)))
    print()
    print(f"per category ({side}):")
    print("\n".join(category_table(chosen)))
    print()
    print(f"confusion matrix ({side}):")
    print("\n".join(confusion_matrix(chosen)))
    print()
    missed = [o for o in chosen if not o.correct]
    print(f"misclassified ({side}): {len(missed)}")
    for o in missed:
        print(f"  {o.case.file:<52} expected {o.case.category:<24} got {o.verdict.category.value}")
    print()
    p50, p95 = statistics.median(samples), percentile(samples, 0.95)
    rate = len(samples) / (sum(samples) / 1000.0)
    fast = p95 < TARGET_P95_MS
    print(f"{'p95 ms per excerpt':<22}{p95:.2f}   target < {TARGET_P95_MS} {'ok' if fast else 'MISSED'}")
    print(f"{'p50 ms per excerpt':<22}{p50:.2f}")
    print(f"{'excerpts per second':<22}{rate:.0f}   ({len(samples)} timed analyses)")
    ok = met(by_side[side]) and fast
    print(f"targets ({side}): {'met' if ok else 'MISSED'}")
    return ok


def offline_classifier(cases: list[Case], *, rules_only: bool = False) -> Offline:
    """What the service runs without an NVIDIA key: the rules, and for what no pattern names
    the words of the reference memory, which ships the train side (so the model learns from
    the train cases here, and never from a test case)."""
    rules = RuleClassifier.from_file(PATTERNS)
    if rules_only:
        return rules
    train = [(build_excerpt(c.text).text, Category(c.category)) for c in cases if c.side == "train"]
    model = ReferenceWordsModel.train(train)
    return RulesWithReferenceWords(rules, lambda: model, min_probability=WORDS_MIN_PROBABILITY)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--split", choices=("test", "train", "all"), default="test",
        help="the side whose tables are printed and whose targets --check applies",
    )
    parser.add_argument(
        "--from-file", type=int, default=0, metavar="N",
        help="only the excerpts whose file number is N or more (the threads added since then)",
    )
    parser.add_argument(
        "--rules-only", action="store_true",
        help="the patterns alone, without the reference memory's words for what none names",
    )
    parser.add_argument("--rounds", type=int, default=20, help="timed passes over the set")
    parser.add_argument("--max-seconds", type=float, default=10.0, help="time budget for timing")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--green-run", action="store_true",
        help="compare an excerpt with its thread's green log (green_log:) where there is one",
    )
    args = parser.parse_args(argv)
    every = load_cases()
    classifier = offline_classifier(every, rules_only=args.rules_only)
    cases = select(every, split=args.split, from_file=args.from_file)
    outcomes = evaluate(classifier, cases, green_run=args.green_run)
    chosen = [c for c in cases if args.split == "all" or c.side == args.split]
    if args.green_run:
        print("\n".join(green_run_changes(classifier, chosen)))
        print()
    samples = time_rounds(classifier, chosen, args.rounds, args.max_seconds)
    ok = report(outcomes, args.split, samples)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
