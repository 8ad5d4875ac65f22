"""Calibration arithmetic: reliability bins, expected calibration error, Wilson bounds and the
lowest threshold whose precision is provably high enough. Pure functions over samples."""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Sample:
    """One decided incident whose proposed fix has a known outcome."""

    confidence: float
    success: bool
    action: str


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int
    mean_confidence: float
    success_rate: float


@dataclass(frozen=True)
class ThresholdChoice:
    action: str
    threshold: float
    precision_lower_bound: float
    samples: int


def wilson_lower_bound(successes: int, n: int, z: float = Z_95) -> float:
    """Lower end of the Wilson score interval for a success proportion (0 with no data)."""
    if n == 0:
        return 0.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - margin) / denominator


def reliability(samples: Sequence[Sample], bins: int = 10) -> list[Bin]:
    """Confidence bins against observed success (empty bins are left out)."""
    table = []
    for i in range(bins):
        low, high = i / bins, (i + 1) / bins
        inside = [
            s
            for s in samples
            if low <= s.confidence < high or (i == bins - 1 and s.confidence == 1.0)
        ]
        if not inside:
            continue
        table.append(
            Bin(
                low,
                high,
                len(inside),
                sum(s.confidence for s in inside) / len(inside),
                sum(s.success for s in inside) / len(inside),
            )
        )
    return table


def expected_calibration_error(table: Iterable[Bin]) -> float:
    table = list(table)
    total = sum(b.count for b in table)
    if total == 0:
        return 0.0
    return sum(b.count / total * abs(b.success_rate - b.mean_confidence) for b in table)


def lowest_safe_threshold(
    samples: Sequence[Sample], *, target_precision: float, min_samples: int = 20
) -> ThresholdChoice | None:
    """The lowest confidence t such that, among samples with confidence ≥ t, the Wilson lower
    bound on the success rate is ≥ ``target_precision`` (and there are enough of them)."""
    if not samples:
        return None
    ordered = sorted(samples, key=lambda s: s.confidence, reverse=True)
    best: ThresholdChoice | None = None
    successes = 0
    for n, sample in enumerate(ordered, start=1):
        successes += sample.success
        if n < len(ordered) and ordered[n].confidence == sample.confidence:
            continue  # a threshold admits every sample of equal confidence at once
        bound = wilson_lower_bound(successes, n)
        if n >= min_samples and bound >= target_precision:
            best = ThresholdChoice(sample.action, round(sample.confidence, 4), round(bound, 4), n)
    return best
