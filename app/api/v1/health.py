"""Liveness (/health) and readiness (/ready).

/health answers while the process does, whatever the database: it is for a probe that
restarts the process, and a database outage is not fixed by a restart. /ready checks the
database and the schema: it is for whatever decides where traffic goes (a load balancer's
health check, a readiness probe), and answers 503 while the database is down.
"""

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from app.api.deps import HealthDep
from app.services.health import Liveness, Readiness

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> Liveness:
    """Liveness: the process answers (the database is not checked)."""
    return Liveness()


@router.get(
    "/ready",
    # Without the database there is no schema to report: those fields are left out, not null.
    response_model_exclude_unset=True,
    responses={503: {"description": "Database unreachable or schema behind", "model": Readiness}},
)
async def ready(checks: HealthDep, response: Response) -> Readiness:
    """Readiness: the database answers and its schema is at the latest migration; 503 if not."""
    state = await run_in_threadpool(checks.readiness)
    response.status_code = 200 if state.ready else 503
    return state
