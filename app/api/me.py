"""GET /api/me: who a token belongs to and the workspaces it may read, for a workspace picker."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.datastructures import State

from app.api.errors import ApiError, error_responses
from app.api.scope import request_credentials
from app.db import queries
from app.wire import Me

_ERRORS = error_responses(401, 503)


@get(
    "/api/me",
    responses=_ERRORS,
    summary="The caller and the workspaces it is a member of",
    tags=["dashboard"],
    security=[{"BearerToken": []}, {"PageSession": []}],
)
async def me(request: Request[Any, Any, Any], state: State) -> Me:
    """The caller's user (with its time zone) and every workspace it may read, with its role."""
    # The header is checked before a connection is borrowed, as on the dashboard routes.
    credentials = request_credentials(request)
    async with state.db.connection() as conn:
        caller = await queries.get_me(conn, credentials)
    if caller is None:
        raise ApiError(401, "invalid token")
    return caller
