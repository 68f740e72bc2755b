"""Turns a dashboard request into a DashboardFilter: token, workspace, window and project.

Checks that need no database run first (`provide_dashboard_request`): a request without
credentials, or with a value PostgreSQL could not store, is answered before a connection is
borrowed, so it gets its 4xx at once even while the database is down. Then, on one connection,
the token and membership (one round trip), then the workspace and the parameters, in the
contract's order; each failure raises the contract's status and message.
"""

from __future__ import annotations

import datetime
import re
import uuid
import zoneinfo
from collections.abc import AsyncGenerator
from typing import Annotated, Any

import msgspec
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, QueryParameter

from app.api.deps import Db, Filter
from app.api.errors import ApiError
from app.api.formats import wants_csv
from app.api.read_path import DashboardDb
from app.db.pool import RequestConnections
from app.db.queries import Connection, Credentials, DashboardFilter, resolve_dashboard_caller
from app.sessions import SESSION_COOKIE
from app.tokens import token_digest
from app.window import (
    DEFAULT_DAYS,
    MAX_DAYS,
    MIN_DAYS,
    RANGE_ERROR,
    UTC_ZONE,
    Window,
    WindowError,
    window_for_days,
    window_for_range,
    zone_named,
)

_BEARER = "bearer "
_DIGITS = re.compile(r"[0-9]{1,4}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Longer than any slug the platform makes; a longer value is malformed, not unknown.
_MAX_TEXT = 200


class RequestedWorkspace(msgspec.Struct, frozen=True):
    """The workspace the request names, by the first present of slug and id."""

    slug: str | None
    raw_id: str | None

    @property
    def id(self) -> uuid.UUID | None:
        """The named id when it is a UUID."""
        try:
            return None if self.raw_id is None else uuid.UUID(self.raw_id)
        except ValueError:
            return None

    @property
    def id_is_valid(self) -> bool:
        """False when an id was named and is not a UUID."""
        return self.raw_id is None or self.id is not None


class DashboardRequest(msgspec.Struct, frozen=True):
    """What a dashboard request asks for, checked as far as possible without the database."""

    credentials: Credentials
    workspace: RequestedWorkspace
    days: str | None
    first_date: str | None
    last_date: str | None
    tz: str | None
    project_id: str | None
    csv: bool


DashboardRequestDep = NamedDependency[DashboardRequest]
"""The request's checked credentials and parameters, injected by the name `dashboard_request`."""


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


def _requested_workspace(
    slug_query: str | None, slug_header: str | None, id_query: str | None, id_header: str | None
) -> RequestedWorkspace:
    slug = _first(slug_query, slug_header)
    if slug is not None:
        return RequestedWorkspace(slug, None)
    return RequestedWorkspace(None, _first(id_query, id_header))


def request_credentials(request: Request[Any, Any, Any]) -> Credentials:
    """The Bearer token's digest, else the page session cookie's; raises the 401 of neither."""
    authorization = request.headers.get("authorization")
    if authorization:
        # RFC 7235: the scheme name is case-insensitive.
        if authorization[: len(_BEARER)].lower() != _BEARER:
            raise ApiError(401, "missing authorization")
        return Credentials(token_hash=token_digest(authorization[len(_BEARER) :].strip()))
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        return Credentials(session_hash=token_digest(session_id))
    raise ApiError(401, "missing authorization")


def _storable(raw: str | None, name: str) -> str | None:
    """raw when PostgreSQL can store it as text (no NUL, valid UTF-8, not absurdly long)."""
    if raw is None:
        return None
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, f"invalid {name}") from None
    if "\x00" in raw or len(raw) > _MAX_TEXT:
        raise ApiError(400, f"invalid {name}")
    return raw


def _days(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_DAYS
    if not _DIGITS.fullmatch(raw) or not MIN_DAYS <= int(raw) <= MAX_DAYS:
        raise ApiError(400, "days must be an integer between 1 and 365")
    return int(raw)


def _zone(raw: str | None, user_timezone: str | None) -> zoneinfo.ZoneInfo:
    if raw:
        zone = zone_named(raw)
        if zone is None:
            raise ApiError(400, "invalid tz")
        return zone
    # A zone the platform stored that the tz database does not know is not the caller's fault.
    return (zone_named(user_timezone) if user_timezone else None) or UTC_ZONE


def _date(raw: str) -> datetime.date:
    if not _ISO_DATE.fullmatch(raw):
        raise ApiError(400, RANGE_ERROR)
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, RANGE_ERROR) from None


def _window(days: str | None, first: str | None, last: str | None, zone: zoneinfo.ZoneInfo) -> Window:
    if not first and not last:
        return window_for_days(_days(days), zone)
    if days:
        raise ApiError(400, "use either days or from/to")
    if not first or not last:
        raise ApiError(400, RANGE_ERROR)
    try:
        return window_for_range(_date(first), _date(last), zone)
    except WindowError as exc:
        raise ApiError(400, str(exc)) from None


def _project_id(raw: str | None) -> uuid.UUID | None:
    if raw is None or raw == "":
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ApiError(400, "invalid project_id") from None


def provide_dashboard_request(
    request: Request[Any, Any, Any],
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
            description="Window length in local calendar days ending today, 1..365 (default 30).",
            schema_extra={
                "type": "integer",
                "minimum": MIN_DAYS,
                "maximum": MAX_DAYS,
                "default": DEFAULT_DAYS,
            },
        ),
    ] = None,
    first_date: Annotated[
        str | None,
        QueryParameter(
            name="from",
            description="First local date of an explicit range (YYYY-MM-DD), with `to`, instead of days.",
            schema_extra={"format": "date"},
        ),
    ] = None,
    last_date: Annotated[
        str | None,
        QueryParameter(
            name="to",
            description="Last local date of the range, included; at most 366 days, not after today.",
            schema_extra={"format": "date"},
        ),
    ] = None,
    tz: Annotated[
        str | None,
        QueryParameter(
            name="tz",
            description="Viewing time zone, an IANA name; default the caller's own zone, else UTC.",
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
    output_format: Annotated[
        str | None,
        QueryParameter(
            name="format",
            description="csv for a CSV attachment (as Accept: text/csv does); json by default.",
            schema_extra={"enum": ["json", "csv"]},
        ),
    ] = None,
) -> DashboardRequest:
    """The request's credentials and parameters; raises the checks that need no database."""
    credentials = request_credentials(request)
    requested = _requested_workspace(
        _storable(workspace_slug, "workspace_slug"),
        _storable(x_workspace_slug, "workspace_slug"),
        workspace_id,
        x_workspace_id,
    )
    return DashboardRequest(
        credentials=credentials,
        workspace=requested,
        days=days,
        first_date=first_date,
        last_date=last_date,
        tz=tz,
        project_id=project_id,
        csv=wants_csv(output_format, request.headers.get("accept")),
    )


async def provide_checked_connection(
    state: State, dashboard_request: DashboardRequestDep
) -> AsyncGenerator[Connection, None]:
    """A pooled connection, borrowed only once the checks that need no database have passed.

    Depending on `dashboard_request` is what orders the two: Litestar resolves it first.
    """
    del dashboard_request
    async with state.db.connection() as conn:
        yield conn


async def provide_dashboard_db(
    state: State, db: Db, dashboard_filter: Filter
) -> AsyncGenerator[DashboardDb, None]:
    """The request's connections: reads on the replica when DATABASE_READ_URL is set, borrowed
    only once the caller is authenticated on the primary (where its token is certain to exist)."""
    del dashboard_filter
    replica: RequestConnections | None = state.read_db
    if replica is None:
        yield DashboardDb.of(db)
        return
    async with replica.connection() as read:
        yield DashboardDb(primary=db, read=read)


async def provide_dashboard_filter(dashboard_request: DashboardRequestDep, db: Db) -> DashboardFilter:
    """Authenticates the caller and returns what the dashboard query should cover."""
    requested = dashboard_request.workspace
    caller = await resolve_dashboard_caller(db, dashboard_request.credentials, requested.slug, requested.id)
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
        workspace_slug=caller.workspace_slug or "",
        hidden_agents=frozenset(caller.hidden_agent_ids),
        window=_window(
            dashboard_request.days,
            dashboard_request.first_date,
            dashboard_request.last_date,
            _zone(dashboard_request.tz, caller.timezone),
        ),
        project_id=_project_id(dashboard_request.project_id),
    )
