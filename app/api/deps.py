"""FastAPI dependencies as Annotated aliases. Tests override them via app.dependency_overrides."""

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from anyio import to_thread
from fastapi import Depends, Header, Path, Query, Request

from app.api.body import read_body
from app.core.config import Settings
from app.core.errors import AuthenticationError, TooManyAttemptsError
from app.core.security import header_matches

if TYPE_CHECKING:
    # Named for the annotations only: the container imports each service when it builds it,
    # so a webhook does not import the read models (Lambda cold start).
    from app.bootstrap import Container
    from app.services.dashboard import DashboardQuery
    from app.services.health import HealthCheck
    from app.services.incident_views import IncidentQuery
    from app.services.interactions import InteractionService
    from app.services.metrics import KpiQuery
    from app.services.pauses import PauseService
    from app.services.runbooks import RunbookLibrary

log = logging.getLogger(__name__)


def filter_text(max_length: int) -> Any:
    """A free-text query filter. PostgreSQL text cannot hold the NUL character: refused here
    with a 422 rather than by the database with a 500."""
    return Query(max_length=max_length, pattern=r"^[^\x00]*$")


# Incident ids are Postgres BIGINTs: anything outside that range is a 422, not a database error.
IncidentId = Annotated[int, Path(ge=1, le=2**63 - 1)]


# Dependencies are ``async def`` although they never wait: FastAPI runs a plain ``def``
# dependency in the thread pool, one thread hop per dependency per request.
async def get_container(request: Request) -> "Container":
    return request.app.state.container


ContainerDep = Annotated["Container", Depends(get_container)]

T = TypeVar("T")


async def run_database_work(request: Request, work: Callable[..., T], /, **kwargs: Any) -> T:
    """Run blocking database work off the event loop, within the app's database slots."""
    slots = request.app.state.container.database_slots
    return await to_thread.run_sync(partial(work, **kwargs), limiter=slots)


async def get_settings_dep(container: ContainerDep) -> Settings:
    return container.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


# --- the services routers call, each built once by the composition root ----------------------
async def get_incident_views(container: ContainerDep) -> "IncidentQuery":
    return container.incident_views


async def get_kpis(container: ContainerDep) -> "KpiQuery":
    return container.kpis


async def get_health(container: ContainerDep) -> "HealthCheck":
    return container.health


async def get_dashboard(container: ContainerDep) -> "DashboardQuery":
    return container.dashboard


async def get_runbooks(container: ContainerDep) -> "RunbookLibrary":
    return container.runbooks


async def get_interactions(container: ContainerDep) -> "InteractionService":
    return container.interactions


async def get_pauses(container: ContainerDep) -> "PauseService":
    return container.pauses


IncidentViewsDep = Annotated["IncidentQuery", Depends(get_incident_views)]
KpisDep = Annotated["KpiQuery", Depends(get_kpis)]
HealthDep = Annotated["HealthCheck", Depends(get_health)]
DashboardDep = Annotated["DashboardQuery", Depends(get_dashboard)]
RunbooksDep = Annotated["RunbookLibrary", Depends(get_runbooks)]
InteractionsDep = Annotated["InteractionService", Depends(get_interactions)]
PausesDep = Annotated["PauseService", Depends(get_pauses)]


async def read_limited_body(request: Request, settings: SettingsDep) -> bytes:
    """The raw body of a request authenticated by a header (route-level dependencies run
    first), within the size limit and the read deadline (app/api/body.py)."""
    return await read_body(request, settings)


RawBody = Annotated[bytes, Depends(read_limited_body)]


def client_address(request: Request) -> str:
    """The address failed key checks are counted by: the peer the ASGI server reports."""
    return request.client.host if request.client else "unknown"


def count_key_check(request: Request, *, matched: bool) -> bool:
    """Count one check of a presented key (X-API-Key, dashboard sign-in, HTTP Basic) for the
    client's address, and return ``matched``. Past the limit every check is refused with
    TooManyAttemptsError (429), even a right key: a guess that succeeds is not told apart."""
    limiter = request.app.state.container.auth_limiter
    client = client_address(request)
    wait = limiter.retry_after(client)
    if wait is not None:
        raise TooManyAttemptsError(
            f"too many failed keys from this address: try again in {wait} s", retry_after=wait
        )
    if not matched:
        limiter.record_failure(client)
        if (wait := limiter.retry_after(client)) is not None:
            log.warning("%s failed too many key checks: refused for %d s", client, wait)
    return matched


async def require_api_key(
    request: Request, settings: SettingsDep, x_api_key: Annotated[str | None, Header()] = None
) -> None:
    """``X-API-Key`` must match API_KEY when one is set (always in prod). A request without
    the header is refused without counting: it guesses nothing."""
    if not settings.requires_api_key:
        return
    expected = settings.server.api_key.get_secret_value() if settings.server.api_key else None
    if expected is None or x_api_key is None:
        raise AuthenticationError("missing or wrong X-API-Key")
    if not count_key_check(request, matched=header_matches(expected, x_api_key)):
        raise AuthenticationError("missing or wrong X-API-Key")


ApiKeyGuard = Depends(require_api_key)


async def require_api_key_to_change(
    request: Request, settings: SettingsDep, x_api_key: Annotated[str | None, Header()] = None
) -> None:
    """A change through the API (pausing, resuming) needs API_KEY set and sent, even in dev
    where reads may be open: a resume undoes someone's pause."""
    if settings.server.api_key is None:
        raise AuthenticationError(
            "API_KEY is not set: changes through the API need one (codehealer pause and "
            "resume work without)"
        )
    await require_api_key(request, settings, x_api_key)


ChangeKeyGuard = Depends(require_api_key_to_change)


ERROR_BODY = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "detail": {}},
            }
        }
    }
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or wrong X-API-Key", **ERROR_BODY},
    429: {
        "description": "Too many failed keys from this address: every key is refused until "
        "Retry-After seconds have passed",
        "headers": {
            "Retry-After": {
                "description": "Seconds before a key is checked again",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
        **ERROR_BODY,
    },
}
