"""What every remediator shares: typed params, a pre-validation, a result with a status."""

from enum import StrEnum
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field

from app.core.enums import ActionKind

# Actions a verdict may name that CodeHealer never executes: a person does them (or nothing).
PERSON_ACTIONS = frozenset({ActionKind.NONE, ActionKind.CONFIG_FIX_PR})


class RemediationStatus(StrEnum):
    SUCCEEDED = "succeeded"  # the call was made and accepted
    ALREADY_DONE = "already_done"  # someone (or a previous try of ours) already did it
    FAILED = "failed"  # the call was refused; a person must look
    DEFERRED = "deferred"  # not now (busy, rate-limited, operation in progress): try later
    ABORTED = "aborted"  # pre-validation says acting would be wrong (superseded, gone, ...)


class RemediationResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: RemediationStatus
    detail: str
    data: dict[str, Any] = Field(default_factory=dict)
    retry_after: float | None = None


class StrictParams(BaseModel):
    """Params are validated before any call (types, required fields) and frozen.

    Keys a remediator does not take are ignored, not refused: the attempt planner passes every
    target field the incident has (``remediation_params``), and each model picks its own.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)


class Remediator(Protocol):
    action: ClassVar[ActionKind]
    params_model: ClassVar[type[StrictParams]]

    def prevalidate(self, params: StrictParams) -> RemediationResult | None:
        """None when it is right to act now; otherwise the result that ends the attempt."""
        ...

    def execute(self, params: StrictParams) -> RemediationResult:
        """Change the world once. Raises IntegrationError for failures the service classifies."""
        ...

    def describe(self, params: StrictParams) -> str:
        """The planned call in words, for dry-run records and Slack."""
        ...
