"""KPIs as JSON: the same function the dashboard and `codehealer report` use."""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from app.api.deps import AUTH_RESPONSES, ApiKeyGuard, ContainerDep
from app.services.metrics import summary

router = APIRouter(
    prefix="/api/v1/metrics", tags=["metrics"], dependencies=[ApiKeyGuard], responses=AUTH_RESPONSES
)


@router.get("/summary")
async def metrics_summary(
    container: ContainerDep, days: Annotated[int, Query(ge=1, le=365)] = 7
) -> dict[str, Any]:
    """Incidents 24 h / 7 d, auto-resolution and false-positive rates, MTTR, pending approvals,
    remediations used of the hourly budget."""

    def compute() -> dict[str, Any]:
        with container.db.session() as session:
            return summary(
                session,
                since=timedelta(days=days),
                max_fixes_per_hour=container.settings.max_fixes_per_hour,
            )

    return await run_in_threadpool(compute)
