"""Offline analysis benchmark on the labelled CI failure logs.

Runs excerpt → signature → rule classifier over every log listed in
``tests/fixtures/ci_logs/labels.yaml`` and prints per-category precision and recall, overall
accuracy, auto-fix precision (of the logs the classifier would fix automatically — an action
other than ``none`` with fixability ``auto`` — the share whose category is right and whose
label says that fix was the right answer), the misclassified files, and throughput with
p50/p95 latency per log over several timed rounds.

Usage: python scripts/bench_analyze.py [--rounds 20] [--max-seconds 10] [--check]
With --check the exit status is 1 when a target is missed.
"""

import argparse
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from app.core.analysis.excerpt import build_excerpt
from app.core.analysis.models import ClassifierVerdict
from app.core.analysis.signature import compute_signature
from app.core.enums import ActionKind, Fixability
from app.domain.classification.rule_classifier import RuleClassifier

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "tests" / "fixtures" / "ci_logs"
PATTERNS = ROOT / "config" / "failure_patterns.yaml"

TARGET_ACCURACY = 0.90
TARGET_AUTO_FIX_PRECISION = 0.98
TARGET_P95_MS = 20.0


@dataclass(frozen=True)
class Case:
    file: str
    text: str
    category: str
    action: str
    auto_fixable: bool


@dataclass(frozen=True)
class Outcome:
    case: Case
    verdict: ClassifierVerdict

    @property
    def correct(self) -> bool:
        return self.verdict.category.value == self.case.category

    @property
    def auto_fix(self) -> bool:
        return (
            self.verdict.action is not ActionKind.NONE
            and self.verdict.fixability is Fixability.AUTO
        )


def load_cases(labels: Path = LOGS / "labels.yaml") -> list[Case]:
    """The labelled logs, text included."""
    entries = yaml.safe_load(labels.read_text(encoding="utf-8"))["logs"]
    return [
        Case(
            file=e["file"],
            text=(labels.parent / e["file"]).read_text(encoding="utf-8"),
            category=e["category"],
            action=e["action"],
            auto_fixable=bool(e["auto_fixable_truth"]),
        )
        for e in entries
    ]


def analyze(classifier: RuleClassifier, text: str) -> ClassifierVerdict:
    """The offline analysis path: excerpt, signature, rule classifier."""
    excerpt = build_excerpt(text).text
    compute_signature(excerpt)
    return classifier.classify(excerpt)


def evaluate(classifier: RuleClassifier, cases: list[Case]) -> list[Outcome]:
    return [Outcome(case, analyze(classifier, case.text)) for case in cases]


def accuracy(outcomes: list[Outcome]) -> float:
    return sum(o.correct for o in outcomes) / len(outcomes) if outcomes else 0.0


def auto_fix_precision(outcomes: list[Outcome]) -> tuple[float, int, int]:
    """(precision, right, acted): an auto fix is right when the category matches and the
    label says the fixing action was the right answer. 1.0 when nothing would be acted on."""
    acted = [o for o in outcomes if o.auto_fix]
    right = sum(1 for o in acted if o.correct and o.case.auto_fixable)
    return (right / len(acted) if acted else 1.0), right, len(acted)


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


def time_rounds(
    classifier: RuleClassifier, cases: list[Case], rounds: int, max_seconds: float
) -> list[float]:
    """Milliseconds per log over up to ``rounds`` passes, stopping after ``max_seconds``."""
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


def report(outcomes: list[Outcome], samples: list[float]) -> bool:
    """Print the results; True when every target is met."""
    acc = accuracy(outcomes)
    precision, right, acted = auto_fix_precision(outcomes)
    p50, p95 = statistics.median(samples), percentile(samples, 0.95)
    rate = len(samples) / (sum(samples) / 1000.0)
    print(f"logs: {len(outcomes)}   patterns: {PATTERNS.relative_to(ROOT)}")
    print()
    print("\n".join(category_table(outcomes)))
    print()
    missed = [o for o in outcomes if not o.correct]
    print(f"misclassified: {len(missed)}")
    for o in missed:
        print(f"  {o.case.file:<48} expected {o.case.category:<24} got {o.verdict.category.value}")
    print()
    checks = [
        ("accuracy", f"{acc:.3f}", f">= {TARGET_ACCURACY}", acc >= TARGET_ACCURACY),
        (
            "auto-fix precision",
            f"{precision:.3f} ({right}/{acted})",
            f">= {TARGET_AUTO_FIX_PRECISION}",
            precision >= TARGET_AUTO_FIX_PRECISION,
        ),
        ("p95 ms per log", f"{p95:.2f}", f"< {TARGET_P95_MS}", p95 < TARGET_P95_MS),
    ]
    for name, value, target, ok in checks:
        print(f"{name:<20}{value:<18}target {target:<8}{'ok' if ok else 'MISSED'}")
    print(f"{'p50 ms per log':<20}{p50:.2f}")
    print(f"{'logs per second':<20}{rate:.0f}   ({len(samples)} timed analyses)")
    return all(ok for *_, ok in checks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="timed passes over the set")
    parser.add_argument("--max-seconds", type=float, default=10.0, help="time budget for timing")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    classifier = RuleClassifier.from_file(PATTERNS)
    cases = load_cases()
    outcomes = evaluate(classifier, cases)
    samples = time_rounds(classifier, cases, args.rounds, args.max_seconds)
    met = report(outcomes, samples)
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
