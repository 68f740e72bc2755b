"""Which table the usage routes read: raw task_usage, or the daily rollup when enabled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.db import queries
from app.db.queries import Connection, DashboardFilter
from app.wire import AgentUsage, DailyUsage


@dataclass(frozen=True)
class UsageReadPath:
    """The two usage queries of one read path; agent-runtime always reads raw tasks."""

    name: str
    daily: Callable[[Connection, DashboardFilter], Awaitable[list[DailyUsage]]]
    by_agent: Callable[[Connection, DashboardFilter], Awaitable[list[AgentUsage]]]


RAW = UsageReadPath("raw", queries.list_dashboard_usage_daily, queries.list_dashboard_usage_by_agent)
ROLLUP = UsageReadPath(
    "rollup", queries.list_dashboard_usage_daily_rollup, queries.list_dashboard_usage_by_agent_rollup
)


def read_path(rollup_enabled: bool) -> UsageReadPath:
    """ROLLUP when USAGE_DASHBOARD_ROLLUP_ENABLED is true, else RAW."""
    return ROLLUP if rollup_enabled else RAW
