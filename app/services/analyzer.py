"""Analysis step: logs → excerpt → signature → embedding → similar incidents → classifier →
confidence, stored on the incident, which moves from ``analyzing`` to ``analyzed``.

The model path degrades instead of stopping: when the configured embedder fails (NIM down,
timing out, refusing, over quota, answering nonsense), the fallback embedder (the local one)
makes the vectors and the search stays among its own vectors; when the chat model fails, the
classifier answers with the rules. The incident records what fell back and why.
"""

import logging
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from app.adapters.database.engine import Database
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.repositories.outcomes import OutcomeRepository
from app.adapters.database.repositories.reference import ReferenceRepository
from app.adapters.database.repositories.similar import SimilarIncidentRepository
from app.adapters.database.tables import Incident, merge_json, utcnow
from app.core.analysis.excerpt import build_excerpt
from app.core.analysis.failing_tests import failing_tests
from app.core.analysis.green_diff import compare_with_green, comparison_details
from app.core.analysis.models import (
    AnalysisFallback,
    ClassifierVerdict,
    ConfidenceParts,
    EmbeddingSpace,
    SimilarIncident,
)
from app.core.analysis.signature import compute_signature
from app.core.enums import IncidentSource, IncidentStatus
from app.core.errors import ConfigurationError, EscalateIncident, IntegrationError, RetryLater
from app.core.lru import LruCache
from app.core.metrics import Metrics, NullMetrics
from app.core.models import FetchedLogs, GreenBaseline, IncidentTarget
from app.core.ports import Classifier, Embedder, LogSource
from app.core.redaction import mask_secrets
from app.core.targets import RunTarget
from app.domain.audit import AuditEvent
from app.domain.classification.flaky_tests import judge_failing_tests
from app.domain.classification.rule_classifier import combine_with_neighbours
from app.domain.escalation import EscalationReason
from app.domain.scoring.confidence import (
    ConfidenceWeights,
    combine,
    history_score,
    reference_prior,
    similarity_score,
)
from app.services import flaky_tests
from app.services.audit_trail import record_event

log = logging.getLogger(__name__)

MAX_REASON_CHARS = 200


@dataclass(frozen=True)
class Embeddings:
    """The vectors of one text, both from one embedder: ``passage`` is stored, ``query`` is
    searched with (the same vector for a symmetric embedder)."""

    space: EmbeddingSpace
    passage: list[float]
    query: list[float]


@dataclass(frozen=True)
class Analysis:
    """Everything the analysis found, before it is stored."""

    excerpt: str
    signature: str
    signature_hash: str
    embedding: list[float]
    similar: list[SimilarIncident]
    verdict: ClassifierVerdict
    confidence: ConfidenceParts
    failing_tests: tuple[str, ...] = ()
    # What made ``embedding`` (and the vectors ``similar`` was searched among).
    space: EmbeddingSpace = field(kw_only=True)
    # What could not be used as configured, and what was used instead.
    fallbacks: tuple[AnalysisFallback, ...] = field(default=(), kw_only=True)
    # What the comparison with the last successful run did (``details.green_run``); None: no
    # green run was looked for.
    green: dict[str, Any] | None = field(default=None, kw_only=True)


class Analyzer:
    def __init__(
        self,
        db: Database | None,
        *,
        log_sources: dict[IncidentSource, LogSource],
        embedder: Embedder,
        classifier: Classifier,
        weights: ConfidenceWeights,
        fallback_embedder: Embedder | None = None,
        k: int = 5,
        ef_search: int = 100,
        query_cache_size: int = 1024,
        metrics: Metrics | None = None,
    ):
        self.db = db
        self.log_sources = log_sources
        self.embedder = embedder
        # Used when ``embedder`` fails; None: its failure fails the analysis.
        self.fallback_embedder = fallback_embedder
        self.classifier = classifier
        self.weights = weights
        self.k = k
        self.ef_search = ef_search
        # Query vectors by (space, signature), as 32-bit floats (what pgvector keeps anyway).
        self.query_cache: LruCache[tuple[EmbeddingSpace, str], array] = LruCache(
            query_cache_size
        )
        self.metrics = metrics or NullMetrics()

    def __call__(self, incident_id: int) -> None:
        """Pipeline step: analyze an incident the worker holds in ``analyzing``."""
        target = self._load(incident_id)
        if target is None:
            return
        logs = self._fetch(target)
        run = target.target if isinstance(target.target, RunTarget) else None
        analysis = self.analyze_text(logs.text, exclude_id=incident_id, run=run, green=logs.green)
        self._store(incident_id, analysis, logs, run)

    def analyze_text(
        self,
        raw: str,
        *,
        exclude_id: int | None = None,
        run: RunTarget | None = None,
        green: GreenBaseline | None = None,
    ) -> Analysis:
        """The analysis of one raw log text (also used by ``codehealer analyze``).

        Without a database (``db=None``) there are no neighbours and no history; without the
        ``run`` the log is from, no flaky-test history; with the ``green`` logs of the same
        jobs, the lines they lack lead the excerpt and the evidence.
        """
        excerpt = build_excerpt(raw).text
        template, signature_hash = compute_signature(excerpt)
        # The signature stays the plain excerpt's: one failure, compared with a green run or
        # not, is one failure.
        comparison = compare_with_green(raw, excerpt, green) if green is not None else None
        if comparison is not None:
            excerpt = comparison.excerpt
        vectors, embedding_fallback = self._embeddings(template or excerpt, signature_hash)
        similar = self._neighbours(vectors, exclude_id)
        verdict = combine_with_neighbours(self._classify(excerpt, similar), similar)
        tests = failing_tests(raw)
        verdict = self._judge_tests(verdict, tests, run)
        if comparison is not None:
            evidence = comparison.evidence(verdict.evidence)
            verdict = verdict.model_copy(update={"evidence": evidence})
        parts = combine(
            verdict.confidence,
            similarity_score(verdict, similar, self.k),
            self._history(verdict, signature_hash),
            self.weights,
        )
        fallbacks = tuple(f for f in (embedding_fallback, verdict.fallback) if f is not None)
        return Analysis(
            excerpt,
            template,
            signature_hash,
            vectors.passage,
            similar,
            verdict,
            parts,
            tests,
            space=vectors.space,
            fallbacks=fallbacks,
            green=None if green is None else comparison_details(green, comparison),
        )

    def _classify(self, excerpt: str, similar: list[SimilarIncident]) -> ClassifierVerdict:
        started = time.perf_counter()
        verdict = self.classifier.classify(excerpt, similar)
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.metrics.timing("classifier_latency", elapsed_ms, classifier=verdict.classifier)
        tokens = verdict.prompt_tokens + verdict.completion_tokens
        if tokens:
            self.metrics.count("llm_tokens", tokens, classifier=verdict.classifier)
        return verdict

    def _judge_tests(
        self, verdict: ClassifierVerdict, tests: tuple[str, ...], run: RunTarget | None
    ) -> ClassifierVerdict:
        """The verdict with the repository's flaky-test history as a fact: failing tests that
        are all known flaky make a flaky-test re-run (app/domain/classification/flaky_tests.py)."""
        if self.db is None or run is None or not tests:
            return verdict
        with self.db.session() as session:
            known = flaky_tests.history(session, run.repo, tests)
            before = flaky_tests.failed_before_on_commit(session, run)
        return judge_failing_tests(verdict, tests, known, failed_before_on_commit=before)

    def _neighbours(self, vectors: Embeddings, exclude_id: int | None) -> list[SimilarIncident]:
        if self.db is None:
            return []
        with self.db.session() as session:
            return SimilarIncidentRepository(session).nearest(
                vectors.query,
                space=vectors.space,
                k=self.k,
                exclude_id=exclude_id,
                ef_search=self.ef_search,
            )

    def _history(self, verdict: ClassifierVerdict, signature_hash: str) -> float:
        """The history term: this installation's record of the action on this failure (or
        on its category), over the prior the reference memory's labels of the category give."""
        if self.db is None:
            return history_score(0, 0)
        category, action = verdict.category.value, verdict.action.value
        with self.db.session() as session:
            successes, failures = OutcomeRepository(session).history(
                category=category, action=action, signature_hash=signature_hash
            )
            labels = ReferenceRepository(session).category_labels(category, action)
        prior = reference_prior(labels.with_action, labels.in_category)
        return history_score(successes, failures, prior)

    def _database(self) -> Database:
        """The database a pipeline step needs (an analysis outside the pipeline has none)."""
        if self.db is None:
            raise ConfigurationError("the analyzer runs as a pipeline step only with a database")
        return self.db

    def _load(self, incident_id: int) -> IncidentTarget | None:
        with self._database().session() as session:
            incident = IncidentRepository(session).get(incident_id)
            if incident is None or incident.status != IncidentStatus.ANALYZING:
                return None
            return IncidentTarget.model_validate(incident)

    def _fetch(self, target: IncidentTarget) -> FetchedLogs:
        source = self.log_sources.get(target.source)
        if source is None:
            raise EscalateIncident(
                f"cannot read logs: no log source for {target.source.value}",
                key=EscalationReason.NO_LOG_SOURCE,
            )
        try:
            logs = source.fetch(target)
        except IntegrationError as exc:
            if exc.retryable:
                raise  # the service is down, hung or its circuit open: the processor waits
            raise EscalateIncident(f"cannot read logs: {exc}", key=_log_error_key(exc)) from exc
        if logs.not_ready:
            raise RetryLater(f"logs not ready: {logs.note}", delay=timedelta(seconds=30))
        return logs

    def _embeddings(
        self, text: str, signature_hash: str
    ) -> tuple[Embeddings, AnalysisFallback | None]:
        """The vectors from the configured embedder, or from the fallback one when it fails
        (and then what fell back and why)."""
        try:
            return self._embed_with(self.embedder, text, signature_hash), None
        except IntegrationError as exc:
            if self.fallback_embedder is None:
                raise
            reason = _reason(exc)
            log.warning(
                "embeddings by %s failed, using %s: %s",
                self.embedder.name,
                self.fallback_embedder.name,
                reason,
            )
            self.metrics.count("embedding_fallbacks", 1, embedder=self.embedder.name)
            fallback = AnalysisFallback(
                stage="embeddings",
                configured=self.embedder.name,
                used=self.fallback_embedder.name,
                reason=reason,
            )
            return self._embed_with(self.fallback_embedder, text, signature_hash), fallback

    def _embed_with(self, embedder: Embedder, text: str, signature_hash: str) -> Embeddings:
        space = embedder.space
        passage = None
        if self.db is not None:
            with self.db.session() as session:
                passage = SimilarIncidentRepository(session).embedding_for_signature(
                    signature_hash, space
                )
        if passage is None:
            passage = embedder.embed([text], input_type="passage")[0]
        if not embedder.asymmetric:
            return Embeddings(space, passage, passage)
        cached = self.query_cache.get((space, signature_hash))
        if cached is not None:
            return Embeddings(space, passage, cached.tolist())
        query = embedder.embed([text], input_type="query")[0]
        self.query_cache.put((space, signature_hash), array("f", query))
        return Embeddings(space, passage, query)

    def _store(
        self, incident_id: int, analysis: Analysis, logs: FetchedLogs, run: RunTarget | None
    ) -> None:
        verdict, parts = analysis.verdict, analysis.confidence
        fields: dict[str, Any] = {
            "excerpt": analysis.excerpt,
            "signature": analysis.signature,
            "signature_hash": analysis.signature_hash,
            "embedding": analysis.embedding,
            "embedder": analysis.space.embedder,
            "embedding_model": analysis.space.model,
            "analysis_fallbacks": [f.model_dump() for f in analysis.fallbacks],
            "similar": [s.model_dump() for s in analysis.similar],
            "category": verdict.category.value,
            "root_cause": mask_secrets(verdict.root_cause),
            "fixability": verdict.fixability.value,
            "action": verdict.action.value,
            "evidence": [mask_secrets(line) for line in verdict.evidence],
            "failing_tests": list(analysis.failing_tests),
            "classifier": verdict.classifier,
            "classifier_note": verdict.note,
            "confidence": parts.total,
            "confidence_classifier": parts.classifier,
            "confidence_similarity": parts.similarity,
            "confidence_history": parts.history,
            "llm_prompt_tokens": verdict.prompt_tokens,
            "llm_completion_tokens": verdict.completion_tokens,
            "last_error": None,
        }
        details: dict[str, Any] = {}
        if logs.failed_jobs:
            details["failed_jobs_from_api"] = logs.failed_jobs
        if analysis.green is not None:
            details["green_run"] = analysis.green
        if details:
            fields["details"] = merge_json(Incident.details, details)
        with self._database().session() as session:
            if run is not None:  # before the row: the order every writer of the history takes
                flaky_tests.lock_run(session, run)
            moved = IncidentRepository(session).transition(
                incident_id, expected=IncidentStatus.ANALYZING, to=IncidentStatus.ANALYZED, **fields
            )
            if moved and run is not None:
                flaky_tests.attempt_analysed(
                    session,
                    run=run,
                    incident_id=incident_id,
                    failing=analysis.failing_tests,
                    at=utcnow(),
                )
            if moved:
                record_event(
                    session,
                    AuditEvent.INCIDENT_ANALYZED,
                    incident_id=incident_id,
                    details={
                        "category": verdict.category.value,
                        "action": verdict.action.value,
                        "fixability": verdict.fixability.value,
                        "classifier": verdict.classifier,
                        "note": verdict.note,
                        "confidence": parts.model_dump(),
                        "similar": [
                            s.incident_id for s in analysis.similar if s.incident_id is not None
                        ],
                        "reference_neighbours": [
                            s.reference for s in analysis.similar if s.reference is not None
                        ],
                        "failing_tests": list(analysis.failing_tests),
                        "embedding_space": analysis.space.model_dump(),
                    },
                )
                if analysis.fallbacks:
                    record_event(
                        session,
                        AuditEvent.ANALYSIS_DEGRADED,
                        incident_id=incident_id,
                        details=degraded_details(analysis.fallbacks),
                    )
        log.info(
            "incident %s analyzed: %s/%s confidence %.2f",
            incident_id,
            verdict.category.value,
            verdict.action.value,
            parts.total,
        )


def degraded_details(fallbacks: Sequence[AnalysisFallback]) -> dict[str, Any]:
    """The audit details of an analysis without what is configured: ``reason`` says it in
    one line (the Slack reply), ``fallbacks`` lists each part."""
    said = "; ".join(
        f"{f.stage} by {f.used} instead of {f.configured} ({f.reason})" for f in fallbacks
    )
    return {"reason": said, "fallbacks": [f.model_dump() for f in fallbacks]}


def _reason(exc: Exception) -> str:
    """What failed, for people: masked and short (an error may quote what it was sent)."""
    text = mask_secrets(str(exc)) or type(exc).__name__
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


def _log_error_key(exc: IntegrationError) -> EscalationReason:
    """401/403: the token is missing, wrong or lacks a permission; anything else: the logs
    themselves cannot be had (gone, never written, the target unknown)."""
    if exc.upstream_status in (401, 403):
        return EscalationReason.LOG_ACCESS_DENIED
    return EscalationReason.LOGS_UNAVAILABLE
