"""The dashboard routes: parse the request (scope.py), call one query wrapper, return structs."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import Provide

from app.api.deps import DashboardDbDep, Filter, ReadPath
from app.api.errors import error_responses
from app.api.formats import reply
from app.api.scope import (
    DashboardRequestDep,
    provide_checked_connection,
    provide_dashboard_db,
    provide_dashboard_filter,
    provide_dashboard_request,
)
from app.db import queries
from app.wire import (
    AgentFailures,
    AgentListing,
    AgentRunTime,
    AgentUsage,
    DailyFailures,
    DailyRunTime,
    DailyUsage,
    ProjectListing,
)

_ERRORS = error_responses(400, 401, 404, 503)


class DashboardController(Controller):
    """A workspace's usage, cost, run time and failures over local days, optionally for one project.

    Every route answers JSON, or CSV for `Accept: text/csv` or `format=csv`.
    """

    path = "/api/dashboard"
    tags = ["dashboard"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "dashboard_request": Provide(provide_dashboard_request, sync_to_thread=False),
        "db": Provide(provide_checked_connection),
        "dashboard_filter": Provide(provide_dashboard_filter),
        "dashboard_db": Provide(provide_dashboard_db),
    }
    security = [{"BearerToken": []}, {"PageSession": []}]  # noqa: RUF012

    @get("/usage/daily", responses=_ERRORS, summary="Token usage and cost per local day, provider and model")
    async def usage_daily(
        self,
        dashboard_db: DashboardDbDep,
        dashboard_filter: Filter,
        dashboard_request: DashboardRequestDep,
        read_path: ReadPath,
    ) -> Response[list[DailyUsage]]:
        """One row per (date, provider, model), newest date first, then provider and model."""
        rows = await read_path.daily(dashboard_db, dashboard_filter)
        return reply(rows, DailyUsage, "usage-daily", dashboard_request.csv, dashboard_filter)

    @get("/usage/by-agent", responses=_ERRORS, summary="Token usage and cost per agent, provider and model")
    async def usage_by_agent(
        self,
        dashboard_db: DashboardDbDep,
        dashboard_filter: Filter,
        dashboard_request: DashboardRequestDep,
        read_path: ReadPath,
    ) -> Response[list[AgentUsage]]:
        """One row per (agent, provider, model), by agent id, then provider and model."""
        rows = await read_path.by_agent(dashboard_db, dashboard_filter)
        return reply(rows, AgentUsage, "usage-by-agent", dashboard_request.csv, dashboard_filter)

    @get("/agent-runtime", responses=_ERRORS, summary="Run time of terminal runs per agent")
    async def agent_runtime(
        self,
        dashboard_db: DashboardDbDep,
        dashboard_filter: Filter,
        dashboard_request: DashboardRequestDep,
        read_path: ReadPath,
    ) -> Response[list[AgentRunTime]]:
        """One row per agent, longest total run time first."""
        rows = await read_path.agent_runtime(dashboard_db, dashboard_filter)
        return reply(rows, AgentRunTime, "agent-runtime", dashboard_request.csv, dashboard_filter)

    @get("/runtime/daily", responses=_ERRORS, summary="Run time of terminal runs per local day")
    async def runtime_daily(
        self,
        dashboard_db: DashboardDbDep,
        dashboard_filter: Filter,
        dashboard_request: DashboardRequestDep,
        read_path: ReadPath,
    ) -> Response[list[DailyRunTime]]:
        """One row per local date of completion, newest first; the runs agent-runtime counts."""
        rows = await read_path.runtime_daily(dashboard_db, dashboard_filter)
        return reply(rows, DailyRunTime, "runtime-daily", dashboard_request.csv, dashboard_filter)

    @get("/failures/daily", responses=_ERRORS, summary="Finished runs per local day and failure reason")
    async def failures_daily(
        self,
        dashboard_db: DashboardDbDep,
        dashboard_filter: Filter,
        dashboard_request: DashboardRequestDep,
        read_path: ReadPath,
    ) -> Response[list[DailyFailures]]:
        """One row per (date, failure_reason), newest first; "" counts the completed runs."""
        rows = await read_path.failures_daily(dashboard_db, dashboard_filter)
        return reply(rows, DailyFailures, "failures-daily", dashboard_request.csv, dashboard_filter)

    @get("/failures/by-agent", responses=_ERRORS, summary="Finished runs per agent and failure reason")
    async def failures_by_agent(
        self,
        dashboard_db: DashboardDbDep,
        dashboard_filter: Filter,
        dashboard_request: DashboardRequestDep,
        read_path: ReadPath,
    ) -> Response[list[AgentFailures]]:
        """One row per (agent, failure_reason), by agent id then reason."""
        rows = await read_path.failures_by_agent(dashboard_db, dashboard_filter)
        return reply(rows, AgentFailures, "failures-by-agent", dashboard_request.csv, dashboard_filter)

    @get("/agents", responses=_ERRORS, summary="The agents the caller may see, to label rows")
    async def agents(
        self, dashboard_db: DashboardDbDep, dashboard_filter: Filter, dashboard_request: DashboardRequestDep
    ) -> Response[list[AgentListing]]:
        """The workspace's visible agents, by name; archived ones flagged."""
        rows = await queries.list_dashboard_agents(dashboard_db.read, dashboard_filter)
        return reply(rows, AgentListing, "agents", dashboard_request.csv, dashboard_filter)

    @get("/projects", responses=_ERRORS, summary="The workspace's projects, for a project picker")
    async def projects(
        self, dashboard_db: DashboardDbDep, dashboard_filter: Filter, dashboard_request: DashboardRequestDep
    ) -> Response[list[ProjectListing]]:
        """The workspace's projects, by title."""
        rows = await queries.list_dashboard_projects(dashboard_db.read, dashboard_filter)
        return reply(rows, ProjectListing, "projects", dashboard_request.csv, dashboard_filter)
