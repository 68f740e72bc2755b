"""Turns a dashboard request into a DashboardFilter: token, workspace, window and project.

Checks run in the contract's order (authentication, then workspace, then parameters) and each
failure raises the contract's status and message. Token and membership are one round trip.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from litestar import Request
from litestar.params import HeaderParameter, QueryParameter

from app.api.deps import Db
from app.api.errors import ApiError
from app.db.queries import DashboardFilter, resolve_dashboard_caller
from app.tokens import token_digest
from app.window import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS, window_for_days

_BEARER = "Bearer "
_DIGITS = re.compile(r"[0-9]{1,4}")


class _Requested:
    """The workspace the request names, by the first present of slug and id."""

    def __init__(self, slug: str | None, raw_id: str | None) -> None:
        self.slug = slug
        self.raw_id = raw_id
        self.id: uuid.UUID | None = None
        self.id_is_valid = True
        if raw_id is not None:
            try:
                self.id = uuid.UUID(raw_id)
            except ValueError:
                self.id_is_valid = False


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


def _requested_workspace(
    slug_query: str | None, slug_header: str | None, id_query: str | None, id_header: str | None
) -> _Requested:
    slug = _first(slug_query, slug_header)
    if slug is not None:
        return _Requested(slug, None)
    return _Requested(None, _first(id_query, id_header))


def _token_digest(authorization: str | None) -> str:
    if not authorization or not authorization.startswith(_BEARER):
        raise ApiError(401, "missing authorization")
    return token_digest(authorization[len(_BEARER) :].strip())


def _days(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_DAYS
    if not _DIGITS.fullmatch(raw) or not MIN_DAYS <= int(raw) <= MAX_DAYS:
        raise ApiError(400, "days must be an integer between 1 and 365")
    return int(raw)


def _project_id(raw: str | None) -> uuid.UUID | None:
    if raw is None or raw == "":
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ApiError(400, "invalid project_id") from None


async def provide_dashboard_filter(
    request: Request[Any, Any, Any],
    db: Db,
    workspace_slug: Annotated[
        str | None,
        QueryParameter(name="workspace_slug", description="Workspace slug; wins over ids."),
    ] = None,
    x_workspace_slug: Annotated[
        str | None, HeaderParameter(name="X-Workspace-Slug", description="Workspace slug (header).")
    ] = None,
    workspace_id: Annotated[
        str | None,
        QueryParameter(name="workspace_id", description="Workspace UUID.", schema_extra={"format": "uuid"}),
    ] = None,
    x_workspace_id: Annotated[
        str | None,
        HeaderParameter(
            name="X-Workspace-ID",
            description="Workspace UUID (header).",
            schema_extra={"format": "uuid"},
        ),
    ] = None,
    days: Annotated[
        str | None,
        QueryParameter(
            name="days",
            description="Window length in UTC calendar days ending today, 1..365 (default 30).",
            schema_extra={
                "type": "integer",
                "minimum": MIN_DAYS,
                "maximum": MAX_DAYS,
                "default": DEFAULT_DAYS,
            },
        ),
    ] = None,
    project_id: Annotated[
        str | None,
        QueryParameter(
            name="project_id",
            description="Only usage of tasks whose issue is in this project (UUID).",
            schema_extra={"format": "uuid"},
        ),
    ] = None,
) -> DashboardFilter:
    """Authenticates the caller and returns what the dashboard query should cover."""
    digest = _token_digest(request.headers.get("authorization"))
    requested = _requested_workspace(workspace_slug, x_workspace_slug, workspace_id, x_workspace_id)
    caller = await resolve_dashboard_caller(db, digest, requested.slug, requested.id)
    if caller is None:
        raise ApiError(401, "invalid token")
    if requested.slug is None and requested.raw_id is None:
        raise ApiError(400, "workspace_id or workspace_slug is required")
    if not requested.id_is_valid:
        raise ApiError(400, "invalid workspace_id")
    if caller.workspace_id is None:
        raise ApiError(404, "workspace not found")
    return DashboardFilter(
        workspace_id=caller.workspace_id,
        window=window_for_days(_days(days)),
        project_id=_project_id(project_id),
    )
