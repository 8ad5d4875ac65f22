"""Analysis value objects shared by the classifiers, the retriever and the scoring step."""

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.enums import ActionKind, Category, Fixability


class AnalysisFallback(BaseModel):
    """A part of the analysis that could not use what is configured, and what it used
    instead: the NIM embeddings or chat failed (down, timing out, refusing, answering
    nonsense), and the analysis went on with the local embedder or the rules."""

    model_config = ConfigDict(frozen=True)

    stage: str  # "embeddings" | "classifier"
    configured: str  # e.g. "nim:nvidia/llama-3.2-nv-embedqa-1b-v2"
    used: str  # e.g. "local-hash", "rules"
    reason: str  # masked, short: "nvidia answered 503 for POST /v1/embeddings"


class EmbeddingSpace(BaseModel):
    """What made a vector: the embedder and its model. Vectors of two spaces are never
    compared, whatever their width: their distances mean nothing to each other."""

    model_config = ConfigDict(frozen=True)

    embedder: str  # "nim" | "local"
    model: str


class ClassifierVerdict(BaseModel):
    """What a classifier (LLM or rules) says about one excerpt."""

    model_config = ConfigDict(frozen=True)

    category: Category
    root_cause: str
    fixability: Fixability
    action: ActionKind
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: list[str] = Field(default_factory=list)
    transient: bool = False
    classifier: str = "rules"
    note: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Set when the configured classifier failed and another one gave this verdict.
    fallback: AnalysisFallback | None = None


class SimilarIncident(BaseModel):
    """A past incident close to the current one, with what happened to it; or an entry of the
    reference memory (``reference`` set, no ``incident_id``): a labelled failure of another
    project, with the action its thread settled on and no outcome here."""

    model_config = ConfigDict(frozen=True)

    incident_id: int | None = None
    similarity: float = Field(ge=-1.0, le=1.0)
    category: str | None = None
    action: str | None = None
    outcome: str | None = None  # resolved | failed | escalated | ... (the incident status)
    signature_hash: str | None = None
    reference: str | None = None  # the reference entry's name
    reference_source: str | None = None  # the public thread its log was posted in

    @model_validator(mode="after")
    def _incident_or_reference(self) -> "SimilarIncident":
        if (self.incident_id is None) == (self.reference is None):
            raise ValueError("a neighbour is an incident or a reference entry, not both")
        return self


class ConfidenceParts(BaseModel):
    """confidence = w_c·classifier + w_s·similarity + w_h·history (weights are settings)."""

    model_config = ConfigDict(frozen=True)

    classifier: float
    similarity: float
    history: float
    total: float


class LogExcerpt(BaseModel):
    """The masked, capped part of a log that explains a failure."""

    model_config = ConfigDict(frozen=True)

    text: str
    lines: int
    truncated: bool = False
