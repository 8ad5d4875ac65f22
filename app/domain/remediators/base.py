"""What every remediator shares: typed params, a pre-validation, a result with a status."""

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from app.core.enums import ActionKind
from app.domain.decisions.models import ActionRisks

# Actions a verdict may name that CodeHealer never executes: a person does them (or nothing).
# A configuration change (config_fix_pr) is CodeHealer's to propose as a pull request.
PERSON_ACTIONS = frozenset({ActionKind.NONE})


class Risk(StrEnum):
    """What a wrong run of an action costs; each remediator class declares its own."""

    LOW = "low"  # repeats what already ran (a rerun, a refresh): the slack_first strategy runs it alone
    MEDIUM = "medium"  # changes a workload or an app in a way the next deploy undoes
    HIGH = "high"  # costly to undo (a secret replaced, auto-sync switched off by a rollback)


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


P = TypeVar("P", bound=StrictParams)


class Remediator(Protocol[P]):
    """An action, typed by its params model: ``Remediator[Any]`` in a registry of them all."""

    action: ClassVar[ActionKind]
    risk: ClassVar[Risk]
    # True when the action re-runs a GitHub workflow run: the retry budget (MAX_RERUN_ATTEMPTS,
    # GitHub's own limits, a newer run superseding it) applies to it.
    reruns_workflow_run: ClassVar[bool]

    @property
    def params_model(self) -> type[P]:
        """The params model (a class attribute of each remediator), validated before any call."""
        ...

    def prevalidate(self, params: P) -> RemediationResult | None:
        """None when it is right to act now; otherwise the result that ends the attempt."""
        ...

    def execute(self, params: P) -> RemediationResult:
        """Change the world once. Raises IntegrationError for failures the service classifies."""
        ...

    def describe(self, params: P) -> str:
        """The planned call in words, for dry-run records and Slack."""
        ...


def declared_risks(remediators: Iterable[type[Remediator]]) -> ActionRisks:
    """What the decision rules need to know of each action, as its remediator class declares it."""
    classes = list(remediators)
    return ActionRisks(
        low=frozenset(c.action for c in classes if c.risk is Risk.LOW),
        high=frozenset(c.action for c in classes if c.risk is Risk.HIGH),
        reruns=frozenset(c.action for c in classes if c.reruns_workflow_run),
    )
