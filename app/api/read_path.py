"""Which table the usage routes read: raw task_usage, or the daily rollup when enabled.

The rollup holds UTC days. A window whose local days are not UTC days (any zone off UTC+0)
is read from raw rows on either path, so every zone is exact; a finer rollup grain that serves
those zones is the next step (docs/rollup.md).
"""

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


async def _daily_rollup(conn: Connection, f: DashboardFilter) -> list[DailyUsage]:
    if f.window.utc_days:
        return await queries.list_dashboard_usage_daily_rollup(conn, f)
    return await queries.list_dashboard_usage_daily(conn, f)


async def _by_agent_rollup(conn: Connection, f: DashboardFilter) -> list[AgentUsage]:
    if f.window.utc_days:
        return await queries.list_dashboard_usage_by_agent_rollup(conn, f)
    return await queries.list_dashboard_usage_by_agent(conn, f)


RAW = UsageReadPath("raw", queries.list_dashboard_usage_daily, queries.list_dashboard_usage_by_agent)
ROLLUP = UsageReadPath("rollup", _daily_rollup, _by_agent_rollup)


def read_path(rollup_enabled: bool) -> UsageReadPath:
    """ROLLUP when USAGE_DASHBOARD_ROLLUP_ENABLED is true, else RAW."""
    return ROLLUP if rollup_enabled else RAW
