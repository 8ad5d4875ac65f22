"""The kill switch over HTTP: list the pauses in force, pause, resume.

One method per path (as the CLI: ``pauses``, ``pause``, ``resume``), so a 405 names exactly the
method its path supports.

Listing follows the read API's key rule; pausing and resuming need ``API_KEY`` set and sent
(``ChangeKeyGuard``), even in dev. A source or action CodeHealer does not know is a 422 that
names the values it accepts.
"""

from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.api.deps import AUTH_RESPONSES, ERROR_BODY, ApiKeyGuard, ChangeKeyGuard, PausesDep
from app.core.enums import ActionKind, IncidentSource
from app.core.errors import NotFoundError
from app.domain.pauses import scope_text
from app.services.pauses import PauseAnswer, PauseList, PauseView, ResumeAnswer

router = APIRouter(prefix="/api/v1", tags=["pauses"], responses=AUTH_RESPONSES)

ACTOR = r"^[A-Za-z0-9][A-Za-z0-9 ._@:/+-]{0,99}$"


class PauseScope(BaseModel):
    """What to pause or resume: a source, an action, both, or neither (everything)."""

    model_config = ConfigDict(extra="forbid")

    source: IncidentSource | None = None
    action: ActionKind | None = None
    by: str = Field(default="api", pattern=ACTOR, description="who, for the record")

    @field_validator("action")
    @classmethod
    def _runs_something(cls, action: ActionKind | None) -> ActionKind | None:
        if action is ActionKind.NONE:
            raise ValueError("'none' runs nothing: name an action, or leave it out for every one")
        return action


class PauseRequest(PauseScope):
    reason: str = Field(default="", max_length=500, pattern=r"^[^\x00]*$")


@router.get("/pauses", response_model=PauseList, dependencies=[ApiKeyGuard])
async def list_pauses(pauses: PausesDep) -> dict[str, Any]:
    """The pauses in force, oldest first."""
    active = await run_in_threadpool(pauses.active)
    return {"pauses": [PauseView.of(p) for p in active]}


@router.post(
    "/pause",
    response_model=PauseAnswer,
    status_code=201,
    dependencies=[ChangeKeyGuard],
    responses={
        200: {"description": "Already paused: the pause in force", "model": PauseAnswer},
        400: {"description": "Body is not JSON", **ERROR_BODY},
    },
)
async def pause(body: PauseRequest, pauses: PausesDep, response: Response) -> dict[str, Any]:
    """Pause automatic fixes of this scope: decisions are still made and recorded, and a fix
    that would run by itself waits for an approval. 201 when started, 200 when in force already."""
    change = await run_in_threadpool(
        pauses.pause,
        source=body.source,
        action=body.action,
        by=body.by,
        reason=body.reason,
    )
    if not change.changed:
        response.status_code = 200
    return {"pause": PauseView.of(change.pause), "started": change.changed}


@router.post(
    "/resume",
    response_model=ResumeAnswer,
    dependencies=[ChangeKeyGuard],
    responses={
        400: {"description": "Body is not JSON", **ERROR_BODY},
        404: {"description": "No pause of exactly this scope is in force", **ERROR_BODY},
    },
)
async def resume(body: PauseScope, pauses: PausesDep) -> dict[str, Any]:
    """End the pause of exactly this scope (the same source and action it was set with)."""
    ended = await run_in_threadpool(
        pauses.resume, source=body.source, action=body.action, by=body.by
    )
    active = await run_in_threadpool(pauses.active)
    if ended is None:
        in_force = "; ".join(p.scope for p in active) or "none"
        raise NotFoundError(
            f"no pause of {scope_text(body.source, body.action)} is in force (in force: {in_force})"
        )
    return {"resumed": PauseView.of(ended), "pauses": [PauseView.of(p) for p in active]}
