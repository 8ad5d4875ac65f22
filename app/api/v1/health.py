"""Liveness and readiness."""

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from app.api.deps import ContainerDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "Database unreachable or schema behind"}})
async def ready(container: ContainerDep) -> JSONResponse:
    """The database answers and its schema is at the latest migration."""
    state = await run_in_threadpool(container.readiness)
    return JSONResponse(state, status_code=200 if state["ready"] else 503)
