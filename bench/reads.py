"""Read measurements on the database directly: the raw and the rollup query wrappers."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from app.db import queries
from app.db.queries import Connection, DashboardFilter
from app.window import window_for_days
from bench.measure import log, p50_ms

Wrapper = Callable[[Connection, DashboardFilter], Awaitable[list[Any]]]

DAYS = (30, 365)

RAW: dict[str, Wrapper] = {
    "daily": queries.list_dashboard_usage_daily,
    "by_agent": queries.list_dashboard_usage_by_agent,
    "agent_runtime": queries.list_dashboard_agent_run_time,
}

ROLLUP: dict[str, Wrapper] = {
    "daily": queries.list_dashboard_usage_daily_rollup,
    "by_agent": queries.list_dashboard_usage_by_agent_rollup,
}


async def measure_wrappers(
    conn: Connection,
    prefix: str,
    wrappers: dict[str, Wrapper],
    workspace_id: uuid.UUID,
    project_id: uuid.UUID,
    runs: int,
) -> dict[str, float]:
    """p50 ms of every wrapper, whole workspace and one project, at each of DAYS.

    Keys: `<prefix>.<name>.<days>` and `<prefix>.<name>_project.<days>`.
    """
    results: dict[str, float] = {}
    for name, wrapper in wrappers.items():
        for suffix, project in (("", None), ("_project", project_id)):
            for days in DAYS:
                key = f"{prefix}.{name}{suffix}.{days}"
                f = DashboardFilter(
                    workspace_id=workspace_id, window=window_for_days(days), project_id=project
                )
                # The first call is the warm-up, and its answer is checked: an empty answer is
                # fast for the wrong reason and would mean the bench is broken.
                rows = await wrapper(conn, f)
                if not rows:
                    raise RuntimeError(f"{key}: the query returned no rows")

                async def call(wrapper: Wrapper = wrapper, f: DashboardFilter = f) -> object:
                    return await wrapper(conn, f)

                results[key] = await p50_ms(call, runs, warmup=0)
                log(f"{key} = {results[key]:.2f} ms ({len(rows)} rows)")
    return results


async def rollup_equals_raw(conn: Connection, workspace_id: uuid.UUID, project_id: uuid.UUID) -> bool:
    """Whether the rollup's daily series equals the raw one at 30 days (whole and project).

    A cheap guard that the rollup figures describe the same answer as the raw ones.
    """
    for project in (None, project_id):
        f = DashboardFilter(workspace_id=workspace_id, window=window_for_days(30), project_id=project)
        raw = await queries.list_dashboard_usage_daily(conn, f)
        rolled = await queries.list_dashboard_usage_daily_rollup(conn, f)
        if raw != rolled:
            return False
    return True
