"""Liveness (/health) and readiness (/ready).

/health answers while the process does, whatever the database: it is for a probe that
restarts the process, and a database outage is not fixed by a restart. /ready checks the
database and the schema: it is for whatever decides where traffic goes (a load balancer's
health check, a readiness probe), and answers 503 while the database is down.
"""

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from app.api.deps import ContainerDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers (the database is not checked)."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "Database unreachable or schema behind"}})
async def ready(container: ContainerDep) -> JSONResponse:
    """Readiness: the database answers and its schema is at the latest migration; 503 if not."""
    state = await run_in_threadpool(container.readiness)
    return JSONResponse(state, status_code=200 if state["ready"] else 503)
