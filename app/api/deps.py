"""Request-scoped dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar.datastructures import State
from litestar.di import NamedDependency

from app.api.read_path import DashboardDb, DashboardReadPath
from app.config import Settings
from app.db.queries import Connection, DashboardFilter

Db = NamedDependency[Connection]
"""A pooled connection, injected by the name `db`."""

Filter = NamedDependency[DashboardFilter]
"""The authenticated request's DashboardFilter, injected by the name `dashboard_filter`."""

ReadPath = NamedDependency[DashboardReadPath]
"""The request's dashboard read path (raw or rollup, by mode and backfill), injected as `read_path`."""

DashboardDbDep = NamedDependency[DashboardDb]
"""A dashboard request's read and primary connections, injected by the name `dashboard_db`."""

AppSettings = NamedDependency[Settings]
"""The app's settings, injected by the name `settings`."""


async def provide_connection(state: State) -> AsyncGenerator[Connection, None]:
    """One pooled connection per request, in the request's transaction (RequestConnections)."""
    async with state.db.connection() as conn:
        yield conn
