"""A category for a failure no pattern names, read from the words of labelled failures.

The rules answer ``unknown`` when none of their sentences occurs, and many failures they were
not written for still use the words of their family ("registry", "heap", "lockfile",
"kubelet", "workflow"...). This model counts, per category, in how many of the reference
memory's labelled failures (the train side of the corpus) each word occurs, and gives a new
excerpt the category whose failures its words fit best (naive Bayes over word presence,
Laplace-smoothed). It names a category only: the verdict keeps no action and a person looks,
because the words of a family do not say which fix a failure needs.

Pure: the examples are handed in (see ``app/bootstrap/analysis.py``).
"""

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from app.core.analysis.models import ClassifierVerdict, SimilarIncident
from app.core.analysis.signature import normalize_line
from app.core.enums import Category

# Words of three letters or more once run-specific details are masked (numbers, paths, hashes).
_WORD = re.compile(r"[a-z][a-z0-9_]{2,}")
# Placeholders the masking writes ("<n>", "<path>", ...) carry no family.
_PLACEHOLDERS = frozenset({"url", "uuid", "path", "time", "tmp", "pod", "dur"})


def words(text: str) -> frozenset[str]:
    """The distinct masked words of ``text``."""
    found: set[str] = set()
    for line in text.splitlines():
        found.update(w for w in _WORD.findall(normalize_line(line)) if w not in _PLACEHOLDERS)
    return frozenset(found)


class ReferenceWordsModel:
    """Per category: how many labelled failures there are, and in how many each word occurs."""

    def __init__(self, documents: Counter[Category], occurrences: dict[Category, Counter[str]]):
        self.documents = documents
        self.occurrences = occurrences
        self.vocabulary = frozenset(w for counts in occurrences.values() for w in counts)
        self._total = sum(documents.values())

    @classmethod
    def train(cls, examples: Iterable[tuple[str, Category]]) -> "ReferenceWordsModel":
        documents: Counter[Category] = Counter()
        occurrences: dict[Category, Counter[str]] = {}
        for text, category in examples:
            documents[category] += 1
            occurrences.setdefault(category, Counter()).update(words(text))
        return cls(documents, occurrences)

    def predict(self, text: str) -> tuple[Category, float]:
        """The best-fitting category and its posterior probability (UNKNOWN, 0 when the
        model knows none of the words)."""
        present = words(text) & self.vocabulary
        if not present or not self._total:
            return Category.UNKNOWN, 0.0
        scores = {category: self._log_score(category, present) for category in self.documents}
        best = max(scores, key=lambda c: scores[c])
        top = scores[best]
        normaliser = sum(math.exp(score - top) for score in scores.values())
        return best, 1.0 / normaliser

    def _log_score(self, category: Category, present: frozenset[str]) -> float:
        # Only the words the excerpt has count: absent words say little about a short excerpt.
        count = self.documents[category]
        seen = self.occurrences[category]
        score = math.log(count / self._total)
        for word in present:
            score += math.log((seen[word] + 1) / (count + 2))
        return score


class Rules(Protocol):
    """What ``RulesWithReferenceWords`` needs of the rule classifier."""

    def classify(
        self, excerpt: str, similar: Sequence[SimilarIncident] | None = None
    ) -> ClassifierVerdict: ...


class RulesWithReferenceWords:
    """The rule classifier; where it finds nothing, the category the reference failures' words
    point to, with no action (a person looks) — never a fix."""

    name = "rules"

    def __init__(
        self,
        rules: Rules,
        model: Callable[[], ReferenceWordsModel],
        *,
        min_probability: float,
    ):
        self.rules = rules
        self.model = model  # built on the first excerpt no rule names
        self.min_probability = min_probability  # above 1: the words are never read

    def classify(
        self, excerpt: str, similar: Sequence[SimilarIncident] | None = None
    ) -> ClassifierVerdict:
        verdict = self.rules.classify(excerpt, similar)
        if verdict.category is not Category.UNKNOWN or self.min_probability > 1:
            return verdict
        category, probability = self.model().predict(excerpt)
        if category is Category.UNKNOWN or probability < self.min_probability:
            return verdict
        return verdict.model_copy(
            update={
                "category": category,
                "root_cause": (
                    f"No pattern matched; the excerpt's words are closest to labelled "
                    f"{category.value} failures (p={probability:.2f}). No fix is proposed: "
                    "a person looks."
                ),
                "note": f"category from the reference failures' words (p={probability:.2f})",
            }
        )
