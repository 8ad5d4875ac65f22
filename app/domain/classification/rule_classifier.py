"""Offline classifier: failure patterns from a YAML data file → a ClassifierVerdict.

Every pattern that matches is a candidate; the highest ``priority`` wins, so a genuine test,
compile, lint or config failure beats a network blip or a generic "exit code 1" in the same
log. Confidence starts at the winner's base value, rises a little when other patterns agree
and drops when patterns of other categories match too.
"""

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.analysis.excerpt import is_error_line
from app.core.analysis.models import ClassifierVerdict, SimilarIncident
from app.core.enums import ActionKind, Category, Fixability
from app.domain.scoring.confidence import BAD_OUTCOMES, GOOD_OUTCOMES

MAX_EVIDENCE = 5
# Patterns below this priority are generic fallbacks: they neither compete nor agree.
GENERIC_PRIORITY = 30
CLOSE_SIMILARITY = 0.8
STRONG_MAJORITY = 2 / 3
_FLAGS = re.IGNORECASE | re.MULTILINE


class CategoryDefaults(BaseModel):
    """What a category does unless a pattern says otherwise."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: ActionKind
    fixability: Fixability
    transient: bool = False


class PatternSpec(BaseModel):
    """One failure pattern as written in ``config/failure_patterns.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    category: Category
    regexes: list[str] = Field(min_length=1)
    requires: list[str] = Field(default_factory=list)
    unless: list[str] = Field(default_factory=list)
    # Categories this pattern explains (a flaky test is also a failing test): their matches
    # in the same excerpt are neither rivals nor a reason to withhold an automatic fix.
    subsumes: list[Category] = Field(default_factory=list)
    fixability: Fixability | None = None
    action: ActionKind | None = None
    transient: bool | None = None
    confidence: float = Field(ge=0.0, le=1.0)
    priority: int
    root_cause: str = Field(min_length=1)


class PatternsFile(BaseModel):
    """The whole data file: category defaults and the patterns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    categories: dict[Category, CategoryDefaults]
    patterns: list[PatternSpec]

    @model_validator(mode="after")
    def _check(self) -> "PatternsFile":
        ids = [p.id for p in self.patterns]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate pattern ids: {', '.join(duplicates)}")
        missing = sorted({p.category.value for p in self.patterns} - set(self.categories))
        if missing:
            raise ValueError(f"patterns use categories without defaults: {', '.join(missing)}")
        for spec in self.patterns:
            for rx in (*spec.regexes, *spec.requires, *spec.unless):
                try:
                    re.compile(rx, _FLAGS)
                except re.error as exc:
                    raise ValueError(f"pattern {spec.id}: bad regex {rx!r}: {exc}") from exc
        return self


@dataclass(frozen=True)
class CompiledPattern:
    """A pattern with its defaults resolved and its regexes compiled."""

    id: str
    category: Category
    action: ActionKind
    fixability: Fixability
    transient: bool
    confidence: float
    priority: int
    root_cause: str
    any_of: re.Pattern[str]
    requires: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]
    subsumes: frozenset[Category] = frozenset()

    @classmethod
    def build(cls, spec: PatternSpec, defaults: CategoryDefaults) -> "CompiledPattern":
        # One alternation per pattern: one scan of the excerpt instead of one per regex.
        any_of = re.compile("|".join(f"(?:{rx})" for rx in spec.regexes), _FLAGS)
        return cls(
            id=spec.id,
            category=spec.category,
            action=spec.action or defaults.action,
            fixability=spec.fixability or defaults.fixability,
            transient=defaults.transient if spec.transient is None else spec.transient,
            confidence=spec.confidence,
            priority=spec.priority,
            root_cause=spec.root_cause,
            any_of=any_of,
            requires=tuple(re.compile(rx, _FLAGS) for rx in spec.requires),
            unless=tuple(re.compile(rx, _FLAGS) for rx in spec.unless),
            subsumes=frozenset(spec.subsumes),
        )

    @property
    def generic(self) -> bool:
        return self.priority < GENERIC_PRIORITY


@dataclass(frozen=True)
class PatternMatch:
    pattern: CompiledPattern
    evidence: tuple[str, ...]


def _line_at(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return text[start : end if end != -1 else len(text)].strip()


def match_pattern(
    pattern: CompiledPattern, text: str, context: dict[re.Pattern[str], bool] | None = None
) -> PatternMatch | None:
    """The pattern's evidence lines in ``text``, or None when it does not apply.

    ``context`` memoises the `requires`/`unless` regexes over one excerpt: several patterns
    share the same context (an Argo CD comparison, a kubelet pull), scanned once."""
    first = pattern.any_of.search(text)
    if first is None:
        # Most patterns stop here, before their context regexes are scanned at all.
        return None
    seen = {} if context is None else context

    def found_in_text(rx: re.Pattern[str]) -> bool:
        if rx not in seen:
            seen[rx] = rx.search(text) is not None
        return seen[rx]

    if any(found_in_text(rx) for rx in pattern.unless):
        return None
    if not all(found_in_text(rx) for rx in pattern.requires):
        return None
    evidence: dict[str, None] = {}
    for found in pattern.any_of.finditer(text, first.start()):
        evidence.setdefault(_line_at(text, found.start()), None)
        if len(evidence) >= MAX_EVIDENCE:
            break
    return PatternMatch(pattern, tuple(evidence)) if evidence else None


def _relevant(winner: PatternMatch, others: Sequence[PatternMatch]) -> list[PatternMatch]:
    """Other matches that bear on the verdict: not generic fallbacks, not subsumed."""
    return [
        m
        for m in others
        if not m.pattern.generic and m.pattern.category not in winner.pattern.subsumes
    ]


def _adjust(winner: PatternMatch, others: Sequence[PatternMatch]) -> tuple[float, list[str]]:
    """Winner's confidence after agreement and ambiguity, and the reasons for the change."""
    confidence = winner.pattern.confidence + min(0.06, 0.02 * (len(winner.evidence) - 1))
    notes: list[str] = []
    specific = _relevant(winner, others)
    agreeing = [m for m in specific if m.pattern.category == winner.pattern.category]
    rivals = [m for m in specific if m.pattern.category != winner.pattern.category]
    if agreeing:
        confidence += min(0.1, 0.04 * len(agreeing))
        notes.append("agrees: " + ", ".join(m.pattern.id for m in agreeing))
    if rivals:
        # A rival of nearly the same standing is real ambiguity; a distant one a small doubt.
        close = [m for m in rivals if m.pattern.priority >= winner.pattern.priority - 10]
        confidence -= min(0.3, 0.1 * len(close) + 0.05 * (len(rivals) - len(close)))
        notes.append("also matched: " + ", ".join(m.pattern.id for m in rivals))
    return min(0.99, max(0.05, confidence)), notes


def _fixability(winner: PatternMatch, others: Sequence[PatternMatch]) -> Fixability:
    """A transient-looking winner next to a code failure is not safe to fix automatically."""
    if winner.pattern.fixability is not Fixability.AUTO:
        return winner.pattern.fixability
    code_failure = any(m.pattern.fixability is Fixability.MANUAL for m in _relevant(winner, others))
    return Fixability.UNKNOWN if code_failure else Fixability.AUTO


def _unknown_verdict(text: str) -> ClassifierVerdict:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    evidence = [line for line in lines if is_error_line(line)][-MAX_EVIDENCE:]
    return ClassifierVerdict(
        category=Category.UNKNOWN,
        root_cause="No known failure pattern matched the excerpt.",
        fixability=Fixability.UNKNOWN,
        action=ActionKind.NONE,
        confidence=0.15,
        evidence=evidence or lines[-MAX_EVIDENCE:],
        transient=False,
        classifier="rules",
        note="no pattern matched",
    )


class RuleClassifier:
    """Classifies excerpts with the patterns of ``config/failure_patterns.yaml``."""

    name = "rules"

    def __init__(
        self, patterns: Sequence[CompiledPattern], categories: Mapping[Category, CategoryDefaults]
    ):
        self.patterns = tuple(patterns)
        self.categories = dict(categories)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "RuleClassifier":
        """Build from the parsed YAML document (validated, regexes compiled)."""
        spec = PatternsFile.model_validate(data)
        compiled = [CompiledPattern.build(p, spec.categories[p.category]) for p in spec.patterns]
        return cls(compiled, spec.categories)

    @classmethod
    def from_file(cls, path: str | Path) -> "RuleClassifier":
        """Build from a failure-patterns YAML file."""
        with Path(path).open(encoding="utf-8") as handle:
            return cls.from_mapping(yaml.safe_load(handle) or {})

    def matches(self, excerpt: str) -> list[PatternMatch]:
        """Every matching pattern, best first (priority, then confidence, then file order)."""
        context: dict[re.Pattern[str], bool] = {}
        found = [
            m for p in self.patterns if (m := match_pattern(p, excerpt, context)) is not None
        ]
        order = {p.id: i for i, p in enumerate(self.patterns)}
        return sorted(
            found,
            key=lambda m: (-m.pattern.priority, -m.pattern.confidence, order[m.pattern.id]),
        )

    def classify(
        self, excerpt: str, similar: Sequence[SimilarIncident] | None = None
    ) -> ClassifierVerdict:
        """Verdict for one excerpt. ``similar`` is accepted for the Classifier port and unused:
        neighbours are folded in by ``combine_with_neighbours``."""
        text = excerpt or ""
        found = self.matches(text)
        if not found:
            return _unknown_verdict(text)
        winner, others = found[0], found[1:]
        confidence, notes = _adjust(winner, others)
        return ClassifierVerdict(
            category=winner.pattern.category,
            root_cause=winner.pattern.root_cause,
            fixability=_fixability(winner, others),
            action=winner.pattern.action,
            confidence=round(confidence, 4),
            evidence=list(winner.evidence),
            transient=winner.pattern.transient,
            classifier=self.name,
            note="; ".join([f"pattern {winner.pattern.id}", *notes]),
        )


def _valid_category(value: str | None) -> Category | None:
    try:
        return Category(value) if value else None
    except ValueError:
        return None


def _valid_action(value: str | None) -> ActionKind | None:
    try:
        return ActionKind(value) if value else None
    except ValueError:
        return None


def _adopt_majority(
    verdict: ClassifierVerdict, category: Category, backers: Sequence[SimilarIncident], total: int
) -> ClassifierVerdict:
    """An ``unknown`` verdict takes the category of a strong majority of close neighbours."""
    actions = Counter(a for n in backers if (a := _valid_action(n.action)) is not None)
    action = actions.most_common(1)[0][0] if actions else ActionKind.NONE
    mean_similarity = sum(n.similarity for n in backers) / len(backers)
    share = len(backers) / total
    return verdict.model_copy(
        update={
            "category": category,
            "action": action,
            # Neighbours alone never make a failure safe to fix without a human.
            "fixability": Fixability.UNKNOWN,
            "confidence": round(min(0.6, 0.25 + 0.35 * share * mean_similarity), 4),
            "root_cause": (
                f"No pattern matched; {len(backers)} of {total} close past incidents were "
                f"{category.value}."
            ),
            "note": f"category from {len(backers)}/{total} close neighbours",
        }
    )


def combine_with_neighbours(
    verdict: ClassifierVerdict, neighbours: Sequence[SimilarIncident]
) -> ClassifierVerdict:
    """Nudge a verdict with the labels and outcomes of close past incidents (similarity ≥ 0.8).

    Agreeing neighbours whose fix worked raise confidence a little; ones whose same fix failed
    lower it; a strong majority for another category lowers it and turns an ``unknown`` verdict
    into that category. Fixability is never raised on neighbours alone.
    """
    close = [
        n for n in neighbours if n.similarity >= CLOSE_SIMILARITY and _valid_category(n.category)
    ]
    if not close:
        return verdict
    counts = Counter(n.category for n in close if n.category)  # all of them: each is valid
    top_category, top_count = counts.most_common(1)[0]
    strong = top_count / len(close) >= STRONG_MAJORITY and top_count >= 2
    if verdict.category is Category.UNKNOWN and strong:
        majority = Category(top_category)
        if majority is not Category.UNKNOWN:
            return _adopt_majority(
                verdict, majority, [n for n in close if n.category == top_category], len(close)
            )
    agreeing = [n for n in close if n.category == verdict.category.value]
    resolved = sum(1 for n in agreeing if n.outcome in GOOD_OUTCOMES)
    failed = sum(
        1 for n in agreeing if n.outcome in BAD_OUTCOMES and n.action == verdict.action.value
    )
    delta = min(0.1, 0.03 * resolved) - min(0.15, 0.05 * failed)
    notes = []
    if resolved or failed:
        notes.append(f"{resolved} agreeing neighbours resolved, {failed} failed with this action")
    if strong and top_category != verdict.category.value:
        delta -= 0.15
        notes.append(f"{top_count}/{len(close)} close neighbours were {top_category}")
    if not notes:
        return verdict
    confidence = round(min(0.99, max(0.05, verdict.confidence + delta)), 4)
    note = "; ".join(filter(None, [verdict.note, *notes]))
    return verdict.model_copy(update={"confidence": confidence, "note": note})
