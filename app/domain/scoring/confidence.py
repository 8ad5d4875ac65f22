"""Confidence = w_c·classifier + w_s·similarity + w_h·history. Pure arithmetic, no I/O."""

from dataclasses import dataclass

from app.core.analysis.models import ClassifierVerdict, ConfidenceParts, SimilarIncident

# Outcomes that say the neighbour's fix worked or failed; others are neutral evidence.
GOOD_OUTCOMES = frozenset({"resolved"})
BAD_OUTCOMES = frozenset({"failed"})


@dataclass(frozen=True)
class ConfidenceWeights:
    classifier: float = 0.4
    similarity: float = 0.3
    history: float = 0.3


def agreement(verdict: ClassifierVerdict, neighbour: SimilarIncident) -> float:
    """1 when a neighbour had the same category and action, ½ for the category alone, else 0.

    A neighbour whose fix failed counts against the same action (half weight).
    """
    if neighbour.category != verdict.category.value:
        return 0.0
    if neighbour.action != verdict.action.value:
        return 0.5
    return 0.5 if neighbour.outcome in BAD_OUTCOMES else 1.0


def similarity_score(
    verdict: ClassifierVerdict, neighbours: list[SimilarIncident], k: int
) -> float:
    """Agreement-weighted similarity averaged over the k slots (0 with no neighbours)."""
    if not neighbours or k <= 0:
        return 0.0
    total = sum(max(0.0, n.similarity) * agreement(verdict, n) for n in neighbours[:k])
    return min(1.0, total / k)


def history_score(
    successes: int, failures: int, *, prior_success: float = 1.0, prior_failure: float = 1.0
) -> float:
    """Posterior mean of a Beta prior: 0.5 with no history, then the smoothed success rate."""
    return (successes + prior_success) / (successes + failures + prior_success + prior_failure)


def combine(
    classifier: float, similarity: float, history: float, weights: ConfidenceWeights
) -> ConfidenceParts:
    total = (
        weights.classifier * classifier
        + weights.similarity * similarity
        + weights.history * history
    )
    return ConfidenceParts(
        classifier=round(classifier, 4),
        similarity=round(similarity, 4),
        history=round(history, 4),
        total=round(min(1.0, max(0.0, total)), 4),
    )
