"""Read API: incidents with their deliveries, attempts and audit trail."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from app.api.deps import (
    AUTH_RESPONSES,
    ERROR_BODY,
    ApiKeyGuard,
    IncidentId,
    IncidentViewsDep,
    filter_text,
)
from app.core.enums import IncidentSource, IncidentStatus
from app.services.incident_views import IncidentDetail, IncidentPage

router = APIRouter(
    prefix="/api/v1/incidents",
    tags=["incidents"],
    dependencies=[ApiKeyGuard],
    responses=AUTH_RESPONSES,
)


@router.get("", response_model=IncidentPage)
async def list_incidents(
    incidents: IncidentViewsDep,
    status: IncidentStatus | None = None,
    source: IncidentSource | None = None,
    repo: Annotated[str | None, filter_text(300)] = None,
    category: Annotated[str | None, filter_text(64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Incidents, newest first, filtered by status, source, repo or category."""
    return await run_in_threadpool(
        incidents.page,
        status=status,
        source=source,
        repo=repo,
        category=category,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/{incident_id}",
    response_model=IncidentDetail,
    responses={404: {"description": "No such incident", **ERROR_BODY}},
)
async def get_incident(incidents: IncidentViewsDep, incident_id: IncidentId) -> dict[str, Any]:
    """One incident with its deliveries, remediation attempts, approvals and audit entries."""
    return await run_in_threadpool(incidents.detail, incident_id)
