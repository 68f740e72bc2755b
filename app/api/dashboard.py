"""The dashboard routes: parse the request (scope.py), call one query wrapper, return structs."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from app.api.deps import Db, Filter, ReadPath
from app.api.scope import provide_dashboard_filter
from app.db import queries
from app.wire import AgentRunTime, AgentUsage, DailyUsage, ErrorBody

_ERRORS = {
    400: ResponseSpec(
        ErrorBody,
        description="Missing workspace, or a malformed parameter.",
        examples=[Example(value={"error": "days must be an integer between 1 and 365"})],
    ),
    401: ResponseSpec(
        ErrorBody,
        description="Missing authorization or invalid token.",
        examples=[Example(value={"error": "invalid token"})],
    ),
    404: ResponseSpec(
        ErrorBody,
        description="Unknown workspace, or the caller is not a member.",
        examples=[Example(value={"error": "workspace not found"})],
    ),
}


class DashboardController(Controller):
    """Workspace usage over the last N UTC days, optionally for one project."""

    path = "/api/dashboard"
    tags = ["dashboard"]  # noqa: RUF012
    dependencies = {"dashboard_filter": Provide(provide_dashboard_filter)}  # noqa: RUF012
    security = [{"BearerToken": []}]  # noqa: RUF012

    @get("/usage/daily", responses=_ERRORS, summary="Token usage per UTC day and model")
    async def usage_daily(self, db: Db, dashboard_filter: Filter, read_path: ReadPath) -> list[DailyUsage]:
        """One row per (date, model), newest date first, then model."""
        return await read_path.daily(db, dashboard_filter)

    @get("/usage/by-agent", responses=_ERRORS, summary="Token usage per agent and model")
    async def usage_by_agent(self, db: Db, dashboard_filter: Filter, read_path: ReadPath) -> list[AgentUsage]:
        """One row per (agent, model), by agent id then model."""
        return await read_path.by_agent(db, dashboard_filter)

    @get("/agent-runtime", responses=_ERRORS, summary="Run time of terminal runs per agent")
    async def agent_runtime(self, db: Db, dashboard_filter: Filter) -> list[AgentRunTime]:
        """One row per agent, longest total run time first."""
        return await queries.list_dashboard_agent_run_time(db, dashboard_filter)
