"""Confidence = w_c·classifier + w_s·similarity + w_h·history. Pure arithmetic, no I/O."""

from dataclasses import dataclass

from app.core.analysis.models import ClassifierVerdict, ConfidenceParts, SimilarIncident

# Outcomes that say the neighbour's fix worked or failed; others are neutral evidence.
GOOD_OUTCOMES = frozenset({"resolved"})
BAD_OUTCOMES = frozenset({"failed"})
# Pseudo-observations the reference memory's labels of a category weigh in the history term.
REFERENCE_PRIOR_WEIGHT = 4.0


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


@dataclass(frozen=True)
class HistoryPrior:
    """The Beta prior of the history term, as pseudo-observations: uniform by default."""

    success: float = 1.0
    failure: float = 1.0


def reference_prior(
    with_action: int, in_category: int, *, weight: float = REFERENCE_PRIOR_WEIGHT
) -> HistoryPrior:
    """The uniform prior plus the reference memory's labels of the failure's category: of its
    ``in_category`` labelled failures, ``with_action`` were cured by the action. They count as
    ``weight`` pseudo-observations at most (as many as there are entries, when fewer), never
    as outcomes: this installation's own record outweighs them after a few fixes."""
    if in_category <= 0:
        return HistoryPrior()
    share = min(with_action, in_category) / in_category
    counted = min(weight, float(in_category))
    return HistoryPrior(1.0 + counted * share, 1.0 + counted * (1.0 - share))


def history_score(successes: int, failures: int, prior: HistoryPrior | None = None) -> float:
    """Posterior mean of a Beta prior: 0.5 with no history and the uniform prior, then the
    smoothed success rate."""
    p = prior or HistoryPrior()
    return (successes + p.success) / (successes + failures + p.success + p.failure)


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
