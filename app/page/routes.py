"""GET / (the page), /static/ (its files), and the sign-in and sign-out that open its session."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.config.compression import CompressionConfig
from litestar.datastructures import CacheControlHeader, Cookie, State
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.compression import CompressionMiddleware
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_204_NO_CONTENT

from app.api.errors import ApiError, error_responses
from app.page.assets import STATIC_DIR, asset_version, index_html
from app.page.throttle import SignInThrottle
from app.sessions import SESSION_COOKIE, SESSION_LIFETIME, close_session, open_session

# The page loads only its own files and talks only to its own origin.
_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": _CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
_GZIP = DefineMiddleware(CompressionMiddleware, config=CompressionConfig(backend="gzip"))


class SignIn(msgspec.Struct, frozen=True):
    """The sign-in form's body."""

    token: str


@get(
    "/",
    include_in_schema=False,
    media_type="text/html",
    cache_control=CacheControlHeader(no_cache=True),
    middleware=[_GZIP],
)
async def page() -> Response[bytes]:
    """The dashboard page; its asset URLs carry the version, so the page itself is never cached."""
    return Response(index_html(), media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)


def static_files() -> Router:
    """/static/<asset version>/...: the version is in the path, so the modules' relative imports
    carry it too, and a year of caching can never pair a new module with an old one."""
    return create_static_files_router(
        path=f"/static/{asset_version()}",
        directories=[STATIC_DIR],
        cache_control=CacheControlHeader(max_age=31_536_000, public=True),
        middleware=[_GZIP],
        include_in_schema=False,
    )


def _same_origin(request: Request[Any, Any, Any]) -> None:
    """Refuses a POST whose Origin is not this host: another site cannot sign anyone in or out."""
    origin = request.headers.get("origin")
    if not origin or urlsplit(origin).netloc != request.headers.get("host"):
        raise ApiError(403, "cross-origin request refused")


def _session_cookie(request: Request[Any, Any, Any], value: str, max_age: int) -> Cookie:
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


@post(
    "/auth/sign-in",
    status_code=HTTP_204_NO_CONTENT,
    summary="Exchange a personal access token for a page session cookie",
    tags=["page"],
    responses=error_responses(400, 401, 403, 429, 503),
)
async def sign_in(request: Request[Any, Any, Any], state: State) -> Response[None]:
    """Opens a session for a valid token and sets its HttpOnly cookie; the page never keeps the token."""
    _same_origin(request)
    throttle: SignInThrottle = state.sign_in_throttle
    client = _client(request)
    wait = throttle.retry_after(client)
    if wait:
        raise ApiError(429, f"too many sign-in attempts; try again in {wait} s", {"Retry-After": str(wait)})
    try:
        token = msgspec.json.decode(await request.body(), type=SignIn).token.strip()
    except msgspec.DecodeError:
        raise ApiError(400, "token is required") from None
    if not token:
        raise ApiError(400, "token is required")
    async with state.db.connection() as conn:
        session_id = await open_session(conn, token)
    if session_id is None:
        throttle.failed(client)
        raise ApiError(401, "invalid token")
    throttle.succeeded(client)
    cookie = _session_cookie(request, session_id, int(SESSION_LIFETIME.total_seconds()))
    return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=[cookie])


@post(
    "/auth/sign-out",
    status_code=HTTP_204_NO_CONTENT,
    summary="End the page session",
    tags=["page"],
    responses=error_responses(403, 503),
)
async def sign_out(request: Request[Any, Any, Any], state: State) -> Response[None]:
    """Deletes the session and clears its cookie; signing out twice is not an error."""
    _same_origin(request)
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        async with state.db.connection() as conn:
            await close_session(conn, session_id)
    return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=[_session_cookie(request, "", 0)])
