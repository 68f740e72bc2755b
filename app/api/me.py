"""GET /api/me: who a token belongs to and the workspaces it may read, for a workspace picker."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.datastructures import State

from app.api.errors import ApiError, error_responses
from app.api.scope import bearer_digest
from app.db import queries
from app.wire import Me

_ERRORS = error_responses(401, 503)


@get(
    "/api/me",
    responses=_ERRORS,
    summary="The caller and the workspaces it is a member of",
    tags=["dashboard"],
    security=[{"BearerToken": []}],
)
async def me(request: Request[Any, Any, Any], state: State) -> Me:
    """The token's user (with its time zone) and every workspace it may read, with its role."""
    # The header is checked before a connection is borrowed, as on the dashboard routes.
    digest = bearer_digest(request.headers.get("authorization"))
    async with state.pool.connection() as conn:
        caller = await queries.get_me(conn, digest)
    if caller is None:
        raise ApiError(401, "invalid token")
    return caller
