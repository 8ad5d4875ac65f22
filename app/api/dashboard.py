"""The web dashboard: KPI tiles, charts, incidents. Server-rendered HTML, no script.

Access follows API_KEY like the JSON API: with no key outside prod the dashboard is open (and says
so); otherwise a person signs in with the key through a form, which sets a signed session cookie,
or sends it as the password of HTTP Basic auth. The cookie holds only an expiry time and its
HMAC-SHA256 under a key derived from API_KEY, never the key, and rotating API_KEY ends every
session. In prod without a key nothing is shown at all.
"""

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.api.deps import DashboardDep, RunbooksDep, SettingsDep, count_key_check
from app.core.config import Settings
from app.core.errors import TooManyAttemptsError
from app.core.security import tokens_equal
from app.services.dashboard import Filters

APP_DIR = Path(__file__).resolve().parents[1]
TEMPLATES = APP_DIR / "templates" / "dashboard"
STYLESHEET = APP_DIR / "static" / "dashboard.css"
COOKIE = "codehealer_dashboard"
SESSION_SECONDS = 12 * 60 * 60
_KEY_CONTEXT = b"codehealer/dashboard-session/v1"
_BIGINT = 2**63 - 1
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
SAMPLE_HINT = "scripts/test_webhook.sh"

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)


# --- session cookie -------------------------------------------------------------------------
def _session_key(api_key: str) -> bytes:
    return hmac.new(api_key.encode(), _KEY_CONTEXT, hashlib.sha256).digest()


def sign_session(api_key: str, *, expires_at: int) -> str:
    """The cookie value: ``v1.<expiry>.<HMAC-SHA256 of "v1.<expiry>">``."""
    message = f"v1.{expires_at}".encode()
    return f"v1.{expires_at}.{hmac.new(_session_key(api_key), message, hashlib.sha256).hexdigest()}"


def session_valid(api_key: str, cookie: str | None, *, now: float) -> bool:
    """True for an unexpired cookie this API_KEY signed (compared in constant time)."""
    if cookie is None:
        return False
    parts = cookie.split(".")
    if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit()) or len(parts[1]) > 12:
        return False
    expected = sign_session(api_key, expires_at=int(parts[1]))
    return hmac.compare_digest(expected.encode(), cookie.encode()) and int(parts[1]) > now


def basic_password(header: str) -> str | None:
    """The password of an ``Authorization: Basic`` header (any user name), None if malformed."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return password if colon else None


# --- access ---------------------------------------------------------------------------------
class Mode(StrEnum):
    OPEN = "open"  # no API_KEY outside prod: local use
    COOKIE = "cookie"
    BASIC = "basic"


@dataclass(frozen=True)
class Viewer:
    mode: Mode | None
    denied: Response | None = None


def configured_key(settings: Settings) -> str | None:
    """API_KEY; None in prod without one (Settings takes a blank one for none)."""
    return settings.server.api_key.get_secret_value() if settings.server.api_key else None


def _base(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/") + "/dashboard"


async def current_viewer(request: Request, settings: SettingsDep) -> Viewer:
    """Who may see the dashboard; ``denied`` is the response to send when nobody may."""
    if not settings.requires_api_key:
        return Viewer(Mode.OPEN)
    key = configured_key(settings)
    header = request.headers.get("authorization")
    if header and header.lower().startswith("basic "):
        return _basic_viewer(request, key, basic_password(header))
    if key and session_valid(key, request.cookies.get(COOKIE), now=time.time()):
        return Viewer(Mode.COOKIE)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login = f"{_base(request)}/login?{urlencode({'next': target})}"
    return Viewer(None, RedirectResponse(login, status_code=303, headers=SECURITY_HEADERS))


def _basic_viewer(request: Request, key: str | None, password: str | None) -> Viewer:
    """HTTP Basic: the password is the key (any user name); each one counts as a key check."""
    if key is not None:
        matched = password is not None and tokens_equal(key, password)
        try:
            if count_key_check(request, matched=matched):
                return Viewer(Mode.BASIC)
        except TooManyAttemptsError as refused:
            return Viewer(None, _too_many_attempts(request, refused, next=_base(request)))
    base = _base(request)
    page = _page(request, "login.html", status=401, next=base, error="Wrong key.", locked=not key)
    page.headers["WWW-Authenticate"] = 'Basic realm="CodeHealer dashboard", charset="UTF-8"'
    return Viewer(None, page)


def _too_many_attempts(request: Request, refused: TooManyAttemptsError, *, next: str) -> Response:
    error = f"Too many wrong keys from this address. Try again in {refused.retry_after} seconds."
    page = _page(request, "login.html", status=429, next=next, error=error, locked=False)
    page.headers["Retry-After"] = str(refused.retry_after)
    return page


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def safe_next(target: str | None, base: str) -> str:
    """Only a path inside the dashboard: never another host (no open redirect)."""
    if not target or any(c in target for c in "\r\n\\"):
        return base
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(base):
        return base
    return target


# --- rendering ------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _page(request: Request, name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    settings: Settings = request.app.state.container.settings
    context.setdefault("mode", None)
    html = (
        templates()
        .get_template(name)
        .render(
            base=_base(request),
            environment=settings.environment.value,
            open_mode=not settings.requires_api_key,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


# --- routes ---------------------------------------------------------------------------------
@router.get("/static/dashboard.css")
async def stylesheet() -> FileResponse:
    return FileResponse(
        STYLESHEET,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/login")
async def login_form(request: Request, settings: SettingsDep, next: str | None = None) -> Response:
    base = _base(request)
    if not settings.requires_api_key:
        return RedirectResponse(base, status_code=303)
    locked = configured_key(settings) is None
    return _page(request, "login.html", next=safe_next(next, base), error=None, locked=locked)


@router.post("/login")
async def login(
    request: Request,
    settings: SettingsDep,
    api_key: Annotated[str, Form(max_length=4096)] = "",
    next: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    base = _base(request)
    if not settings.requires_api_key:
        return RedirectResponse(base, status_code=303)
    key = configured_key(settings)
    target = safe_next(next, base)
    if key is None:
        error = "Set API_KEY to use the dashboard."
        return _page(request, "login.html", status=401, next=target, error=error, locked=True)
    try:
        accepted = count_key_check(request, matched=tokens_equal(key, api_key))
    except TooManyAttemptsError as refused:
        return _too_many_attempts(request, refused, next=target)
    if not accepted:
        error = "That key is not right."
        return _page(request, "login.html", status=401, next=target, error=error, locked=False)
    expires = int(time.time()) + SESSION_SECONDS
    response = RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
    response.set_cookie(
        COOKIE,
        sign_session(key, expires_at=expires),
        max_age=SESSION_SECONDS,
        path=base,
        httponly=True,
        samesite="lax",
        secure=_https(request),
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    base = _base(request)
    response = RedirectResponse(f"{base}/login", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(COOKIE, path=base, httponly=True, samesite="lax", secure=_https(request))
    return response


def _https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


@router.get("")
async def overview(
    request: Request,
    viewer: ViewerDep,
    dashboard: DashboardDep,
    source: str | None = None,
    status: str | None = None,
    category: str | None = None,
    repo: str | None = None,
    page: str | None = None,
) -> Response:
    if viewer.denied is not None:
        return viewer.denied
    filters = Filters.parse(
        source=_cap(source),
        status=_cap(status),
        category=_cap(category),
        repo=_cap(repo),
        page=page,
    )
    data = await run_in_threadpool(dashboard.overview, filters)
    return _page(request, "index.html", view=data, mode=viewer.mode, sample_hint=SAMPLE_HINT)


def _cap(value: str | None, limit: int = 300) -> str | None:
    """A filter as typed in the page's form: cut to length, NUL characters (which PostgreSQL
    text cannot hold) dropped."""
    value = value.replace("\x00", "")[:limit] if value else None
    return value or None


@router.get("/incidents/{incident_id}")
async def incident(
    request: Request, viewer: ViewerDep, dashboard: DashboardDep, incident_id: str
) -> Response:
    if viewer.denied is not None:
        return viewer.denied
    digits = incident_id.isascii() and incident_id.isdigit() and len(incident_id) <= 19
    number = int(incident_id) if digits else None
    detail = None
    if number is not None and number <= _BIGINT:
        detail = await run_in_threadpool(dashboard.incident, number)
    if detail is None:
        return _page(request, "not_found.html", status=404, mode=viewer.mode, what=incident_id)
    return _page(request, "incident.html", incident=detail, mode=viewer.mode)


@router.get("/runbooks")
async def runbooks(request: Request, viewer: ViewerDep, library: RunbooksDep) -> Response:
    if viewer.denied is not None:
        return viewer.denied
    pages = await run_in_threadpool(library.pages)
    return _page(request, "runbooks.html", pages=pages, mode=viewer.mode)


@router.get("/runbooks/{name}")
async def runbook(request: Request, viewer: ViewerDep, library: RunbooksDep, name: str) -> Response:
    if viewer.denied is not None:
        return viewer.denied
    page = await run_in_threadpool(library.page, name)
    if page is None:
        return _page(request, "runbook_missing.html", status=404, mode=viewer.mode, what=name)
    return _page(request, "runbook.html", page=page, mode=viewer.mode)
