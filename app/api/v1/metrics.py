"""KPIs as JSON: the same function the dashboard and `codehealer report` use."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from app.api.deps import AUTH_RESPONSES, ApiKeyGuard, KpisDep
from app.services.metrics import MetricsSummary

router = APIRouter(
    prefix="/api/v1/metrics", tags=["metrics"], dependencies=[ApiKeyGuard], responses=AUTH_RESPONSES
)


@router.get("/summary", response_model=MetricsSummary)
async def metrics_summary(
    kpis: KpisDep, days: Annotated[int, Query(ge=1, le=365)] = 7
) -> dict[str, Any]:
    """Incidents 24 h / 7 d, auto-resolution and false-positive rates, MTTR, pending approvals,
    remediations used of the hourly budget."""
    return await run_in_threadpool(kpis.summary, days=days)
