"""Ports: the small interfaces services depend on. Adapters implement them."""

from typing import Protocol

from app.core.analysis.models import ClassifierVerdict, SimilarIncident
from app.core.models import FetchedLogs, IncidentTarget


class Queue(Protocol):
    """Hands incident ids to the workers that process them."""

    def enqueue(self, incident_id: int) -> None: ...


class LogSource(Protocol):
    """Fetches the raw text that explains a failure (job logs, pod status, app status).

    Returns ``FetchedLogs(not_ready=True)`` when the source has nothing yet (retry later);
    raises ``IntegrationError`` when it cannot be read.
    """

    def fetch(self, target: IncidentTarget) -> FetchedLogs: ...


class Embedder(Protocol):
    """Text → unit vectors of ``dimensions`` floats."""

    dimensions: int
    name: str

    def embed(self, texts: list[str], *, input_type: str = "passage") -> list[list[float]]: ...


class Classifier(Protocol):
    """Excerpt + similar past incidents → a verdict."""

    name: str

    def classify(self, excerpt: str, similar: list[SimilarIncident]) -> ClassifierVerdict: ...


class SecretStore(Protocol):
    """Name → current secret value from a source of truth (environment, AWS Secrets Manager)."""

    def get(self, name: str) -> str: ...
