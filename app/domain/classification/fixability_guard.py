"""Fixability is the rules' to grant: a verdict from elsewhere (a language model reading an
attacker-controllable log) may be more careful than the rules, never less.

Checked against the rules' reading of the same excerpt: the verdict's fixability is at least
as careful as the rules' (their evidence says a compile error: manual, whatever the model
says); the rules' ``auto`` holds for their action only, so another action is at most
``unknown``; and a category/action pair that no rule pattern ever makes automatic is at most
``unknown`` too. ``unknown`` means a person approves.
"""

from app.core.analysis.models import ClassifierVerdict
from app.core.enums import ActionKind, Category, Fixability
from app.domain.classification.rule_classifier import RuleClassifier

CAREFULNESS = {Fixability.AUTO: 0, Fixability.UNKNOWN: 1, Fixability.MANUAL: 2}


def more_careful(first: Fixability, second: Fixability) -> Fixability:
    return second if CAREFULNESS[second] > CAREFULNESS[first] else first


class RuleFixabilityGuard:
    def __init__(self, rules: RuleClassifier):
        self.rules = rules
        self.automatic_pairs: frozenset[tuple[Category, ActionKind]] = frozenset(
            (p.category, p.action) for p in rules.patterns if p.fixability is Fixability.AUTO
        )

    def review(self, excerpt: str, verdict: ClassifierVerdict) -> ClassifierVerdict:
        """``verdict`` with its fixability made as careful as the rules require, and a note."""
        if verdict.fixability is Fixability.MANUAL:
            return verdict  # nothing is more careful
        ruled = self.rules.classify(excerpt)
        ceiling = ruled.fixability
        if verdict.action is not ruled.action:
            ceiling = more_careful(ceiling, Fixability.UNKNOWN)
        fixability = more_careful(verdict.fixability, ceiling)
        reasons = []
        if fixability is not verdict.fixability:
            reasons.append(
                f"the rules read {ruled.category.value} ({ruled.action.value}, "
                f"{ruled.fixability.value})"
            )
        pair = (verdict.category, verdict.action)
        if fixability is Fixability.AUTO and pair not in self.automatic_pairs:
            fixability = Fixability.UNKNOWN
            reasons.append(
                f"{verdict.category.value}/{verdict.action.value} is never automatic by the rules"
            )
        if not reasons:
            return verdict
        note = f"fixability {verdict.fixability.value} → {fixability.value}: " + "; ".join(reasons)
        if verdict.note:
            note = f"{verdict.note}; {note}"
        return verdict.model_copy(update={"fixability": fixability, "note": note})
