"""Analysis value objects shared by the classifiers, the retriever and the scoring step."""

from pydantic import BaseModel, ConfigDict, Field

from app.core.enums import ActionKind, Category, Fixability


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


class SimilarIncident(BaseModel):
    """A past incident close to the current one, with what happened to it."""

    model_config = ConfigDict(frozen=True)

    incident_id: int
    similarity: float = Field(ge=-1.0, le=1.0)
    category: str | None = None
    action: str | None = None
    outcome: str | None = None  # resolved | failed | escalated | ... (the incident status)
    signature_hash: str | None = None


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
