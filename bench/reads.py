"""Read measurements on the database directly: the raw and the rollup query wrappers."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from app.api.read_path import ROLLUP as ROLLUP_READ_PATH
from app.api.read_path import DashboardDb, Query
from app.db import queries
from app.db.queries import Connection, DashboardFilter
from app.window import window_for_days, zone_named
from bench.measure import log, p50_ms

Wrapper = Callable[[Connection, DashboardFilter], Awaitable[list[Any]]]


def _on(query: Query[Any]) -> Wrapper:
    """A read path's query, on one connection (the bench has no replica)."""

    async def run(conn: Connection, f: DashboardFilter) -> list[Any]:
        return await query(DashboardDb.of(conn), f)

    return run


DAYS = (30, 365)

RAW: dict[str, Wrapper] = {
    "daily": queries.list_dashboard_usage_daily,
    "by_agent": queries.list_dashboard_usage_by_agent,
    "agent_runtime": queries.list_dashboard_agent_run_time,
    "runtime_daily": queries.list_dashboard_runtime_daily,
    "failures_daily": queries.list_dashboard_failures_daily,
    "failures_by_agent": queries.list_dashboard_failures_by_agent,
}

ROLLUP: dict[str, Wrapper] = {
    "daily": queries.list_dashboard_usage_daily_rollup,
    "by_agent": queries.list_dashboard_usage_by_agent_rollup,
    "agent_runtime": _on(ROLLUP_READ_PATH.agent_runtime),
    "runtime_daily": _on(ROLLUP_READ_PATH.runtime_daily),
    "failures_daily": _on(ROLLUP_READ_PATH.failures_daily),
    "failures_by_agent": _on(ROLLUP_READ_PATH.failures_by_agent),
}

# The rollup read path as the app runs it, for viewers off UTC (bench.md's @zone keys).
ROLLUP_PATH: dict[str, Wrapper] = {
    "daily": _on(ROLLUP_READ_PATH.daily),
    "by_agent": _on(ROLLUP_READ_PATH.by_agent),
    "agent_runtime": _on(ROLLUP_READ_PATH.agent_runtime),
    "runtime_daily": _on(ROLLUP_READ_PATH.runtime_daily),
    "failures_daily": _on(ROLLUP_READ_PATH.failures_daily),
    "failures_by_agent": _on(ROLLUP_READ_PATH.failures_by_agent),
}
ZONES = ("Asia/Kolkata", "America/New_York")
# The zone whose reads are also measured with the queue holding a tick interval of writes.
QUEUED_ZONE = "Asia/Kolkata"


async def measure_wrappers(
    conn: Connection,
    prefix: str,
    wrappers: dict[str, Wrapper],
    workspace_id: uuid.UUID,
    project_id: uuid.UUID | None,
    runs: int,
    zone: str | None = None,
) -> dict[str, float]:
    """p50 ms of every wrapper, whole workspace and one project (unless project_id is None), at
    each of DAYS, in UTC or the viewing zone.

    Keys: `<prefix>.<name>.<days>` and `<prefix>.<name>_project.<days>`, `@<zone>` appended.
    """
    results: dict[str, float] = {}
    projects = (("", None),) if project_id is None else (("", None), ("_project", project_id))
    at = f"@{zone}" if zone else ""
    for name, wrapper in wrappers.items():
        for suffix, project in projects:
            for days in DAYS:
                key = f"{prefix}.{name}{suffix}.{days}{at}"
                window = window_for_days(days, zone_named(zone) if zone else None)
                f = DashboardFilter(workspace_id=workspace_id, window=window, project_id=project)
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
    """Whether every route's rollup answer equals the raw one at 30 days (whole and project).

    A cheap guard that the rollup figures describe the same answer as the raw ones.
    """
    for project in (None, project_id):
        f = DashboardFilter(workspace_id=workspace_id, window=window_for_days(30), project_id=project)
        for name, raw_wrapper in RAW.items():
            if await raw_wrapper(conn, f) != await ROLLUP[name](conn, f):
                return False
    return True
