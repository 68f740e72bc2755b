"""Shared pieces of the rollup tests (docs/rollup.md): ticks, backfills, CLI and checks.

The central check is `assert_rollup_matches_raw`: for every workspace, window and project filter,
the rollup read path must return exactly what the raw read path returns (guarantee 1).
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import uuid
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from app.api.read_path import RAW, ROLLUP, DashboardDb
from app.db import queries
from app.db.queries import DashboardFilter
from app.rollup.backfill import BackfillPlan, plan_backfill, run_backfill
from app.rollup.tick import TickReport, tick_until_caught_up
from app.window import MAX_DAYS, Window, window_for_days
from app.wire import AgentUsage, DailyUsage
from tests.world import midnight, today_utc

Conn = psycopg.Connection[tuple[Any, ...]]
AsyncConn = psycopg.AsyncConnection[Any]

ROOT = Path(__file__).resolve().parent.parent
WINDOW_DAYS = (1, 2, 7, 30, 365)
ROLLUP_COLUMNS = (
    "bucket_date, workspace_id, agent_id, project_id, provider, model, input_tokens, output_tokens,"
    " cache_read_tokens, cache_write_tokens, cost_usd_ticks, uncosted_input_tokens,"
    " uncosted_output_tokens, uncosted_cache_read_tokens, uncosted_cache_write_tokens,"
    " estimated_cost_ticks, unpriced_tokens, task_count, event_count, updated_at"
)
# Every summed column of the read levels, in table order.
LEVEL_MEASURES = (
    "input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd_ticks,"
    " uncosted_input_tokens, uncosted_output_tokens, uncosted_cache_read_tokens,"
    " uncosted_cache_write_tokens, estimated_cost_ticks, unpriced_tokens, task_count"
)
LEVEL_SUMS = ", ".join(f"sum({c.strip()})" for c in LEVEL_MEASURES.split(","))
# Variables the CLI reads; the parent's values must not leak into the command under test.
_CLI_SETTINGS = (
    "DATABASE_URL",
    "DATABASE_POOL_MIN_SIZE",
    "DATABASE_POOL_MAX_SIZE",
    "USAGE_DASHBOARD_DATA_DIR",
    "USAGE_DASHBOARD_ROLLUP_ENABLED",
    "USAGE_DASHBOARD_ROLLUP_SCHEDULER",
    "ROLLUP_INTERVAL_SECONDS",
)


# ---- time --------------------------------------------------------------------------------


def day(days_ago: int) -> datetime.date:
    """The UTC date `days_ago` days before today."""
    return today_utc() - datetime.timedelta(days=days_ago)


def at(days_ago: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    """An instant on the UTC day `days_ago` days before today, at hour:minute UTC."""
    return midnight(day(days_ago)) + datetime.timedelta(hours=hour, minutes=minute)


def month_start(day_: datetime.date, months_back: int = 0) -> datetime.date:
    """The first day of the month `months_back` months before day_'s month."""
    index = day_.year * 12 + day_.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_edge_windows(months: int = 3) -> list[Window]:
    """Windows of every length placed on the UTC month boundaries of the last `months` months.

    Each length once starting on a month's first day, once ending on it, and once ending on
    the day before it: reads that serve whole months apart from their edge days meet every
    combination of edge days and whole months. Windows ending after today are left out.
    """
    today = today_utc()
    windows: set[Window] = set()
    for months_back in range(months):
        first = month_start(today, months_back)
        for days in WINDOW_DAYS:
            for last_day in (
                first + datetime.timedelta(days=days - 1),
                first,
                first - datetime.timedelta(days=1),
            ):
                if last_day <= today:
                    windows.add(window_for_days(days, now=midnight(last_day)))
    return sorted(windows, key=lambda w: (w.until, w.since))


def week_edge_windows() -> list[Window]:
    """Windows of 1 to 15 days ending on each of the last seven days: every weekday as a first
    and a last day, with no, one and two whole weeks inside."""
    return [
        window_for_days(days, now=midnight(day(days_ago))) for days_ago in range(7) for days in range(1, 16)
    ]


# ---- ticks and backfills -------------------------------------------------------------------


def tick(db: Conn) -> int | None:
    """One tick step on a sync connection: rows touched, None when the lock is busy, -1 on failure."""
    row = db.execute("SELECT rollup_task_usage_dashboard_daily()").fetchone()
    assert row is not None
    value = row[0]
    assert value is None or isinstance(value, int)
    return value


def counted_tick(database_url: str) -> dict[str, int]:
    """One tick with sequential scans off; the rows and index scans it spent on the raw tables.

    With sequential scans off the planner must find an index path, and the transaction's own
    statistics count what the real tick read, whatever its SQL looks like (planner probes of
    index ends included, which are a few rows whatever the history).
    """
    with psycopg.connect(database_url, autocommit=False) as ticker:
        ticker.execute("SET LOCAL enable_seqscan = off")
        assert (tick(ticker) or 0) > 0
        row = ticker.execute(
            "SELECT"
            " sum(seq_scan) FILTER (WHERE relname = 'task_usage'),"
            " sum(seq_scan) FILTER (WHERE relname = 'agent_task_queue'),"
            " sum(idx_tup_fetch) FILTER (WHERE relname = 'task_usage'),"
            " sum(idx_tup_fetch) FILTER (WHERE relname = 'agent_task_queue'),"
            " pg_stat_get_xact_numscans('task_usage_created_at_idx'::regclass),"
            " pg_stat_get_xact_numscans('task_usage_task_id_idx'::regclass)"
            " FROM pg_stat_xact_user_tables"
        ).fetchone()
        ticker.commit()
    assert row is not None
    names = (
        "usage_seq_scans",
        "task_seq_scans",
        "usage_rows",
        "task_rows",
        "task_usage_created_at_idx",
        "task_usage_task_id_idx",
    )
    return dict(zip(names, (int(v or 0) for v in row), strict=True))


async def connect(database_url: str) -> AsyncConn:
    """An autocommit async connection, as tick_until_caught_up and the wrappers want."""
    return await psycopg.AsyncConnection.connect(database_url, autocommit=True)


async def catch_up(database_url: str) -> TickReport:
    """`rollup tick` in-process: steps until everything committed before the call is rolled up."""
    async with await connect(database_url) as conn:
        return await tick_until_caught_up(conn)


async def backfill(database_url: str) -> BackfillPlan:
    """Plans and runs a full backfill on its own connection; returns the plan it walked."""
    async with await connect(database_url) as conn:
        plan = await plan_backfill(conn)
        await run_backfill(conn, plan)
        return plan


async def register_zones(database_url: str, zone_names: Iterable[str]) -> set[int]:
    """Registers the quarters of every local midnight of the zones over the last year (as their
    viewers' reads would); a backfill or the ticks then fill them. Returns the quarters."""
    quarters: set[int] = set()
    for name in zone_names:
        quarters |= window_for_days(MAX_DAYS, zoneinfo.ZoneInfo(name)).split_quarters
    async with await connect(database_url) as conn:
        await queries.register_rollup_splits(conn, sorted(quarters))
    return quarters


async def fill_splits(database_url: str) -> int:
    """Runs fill steps until every registered quarter is filled; returns the steps that worked."""
    steps = 0
    async with await connect(database_url) as conn:
        while await queries.fill_rollup_splits(conn):
            steps += 1
    return steps


# ---- reading the rollup's tables -------------------------------------------------------------


def rollup_rows(
    db: Conn, where: str = "TRUE", params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Rows of task_usage_dashboard_daily (all columns) matching `where`, in key order."""
    with db.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(
            f"SELECT {ROLLUP_COLUMNS} FROM task_usage_dashboard_daily WHERE {where}"
            " ORDER BY bucket_date, workspace_id, agent_id, project_id NULLS FIRST, provider, model",
            params or {},
        )
        return cur.fetchall()


def rollup_state(db: Conn) -> dict[str, Any]:
    """The rollup's state row."""
    with db.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute("SELECT * FROM task_usage_dashboard_rollup_state WHERE id = 1")
        row = cur.fetchone()
    assert row is not None
    return row


def queue(db: Conn) -> list[tuple[int, datetime.date]]:
    """The invalidation queue as (id, bucket_date) in id order."""
    rows = db.execute("SELECT id, bucket_date FROM task_usage_dashboard_dirty ORDER BY id").fetchall()
    return [(int(r[0]), r[1]) for r in rows]


def queued_days(db: Conn) -> set[datetime.date]:
    """The distinct days waiting in the queue."""
    return {d for _, d in queue(db)}


def advisory_locks(db: Conn) -> int:
    """Advisory locks held or awaited by any session (the rollup's is the only one in tests)."""
    row = db.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone()
    assert row is not None
    return int(row[0])


def bucket_tokens(db: Conn, workspace_id: uuid.UUID) -> dict[tuple[datetime.date, uuid.UUID | None], int]:
    """Input tokens of the workspace's rollup per (day, project), for "this bucket moved" checks."""
    rows = db.execute(
        "SELECT bucket_date, project_id, sum(input_tokens)::bigint FROM task_usage_dashboard_daily"
        " WHERE workspace_id = %s GROUP BY 1, 2",
        (workspace_id,),
    ).fetchall()
    return {(r[0], r[1]): int(r[2]) for r in rows}


def assert_no_orphan_rollup_rows(db: Conn) -> None:
    """No rollup row names a workspace or agent that is gone (nor an agent of another workspace).

    Checks task_usage_dashboard_daily and every other table of both rollups
    (task_usage_dashboard_*, task_run_dashboard_*) that carries a workspace_id or agent_id column,
    so derived read levels are covered too. The run queue's keys name the workspace of a
    delete, so it is left out.
    """
    columns = db.execute(
        "SELECT table_name, array_agg(column_name::text) FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
        "   AND (starts_with(table_name, 'task_usage_dashboard_')"
        "     OR starts_with(table_name, 'task_run_dashboard_'))"
        "   AND table_name <> 'task_run_dashboard_dirty'"
        "   AND column_name IN ('workspace_id', 'agent_id')"
        " GROUP BY table_name"
    ).fetchall()
    checked = {str(name) for name, _ in columns}
    assert {"task_usage_dashboard_daily", "task_run_dashboard_daily_agent"} <= checked
    for name, cols in columns:
        table = sql.Identifier(str(name))
        conditions: list[sql.Composable] = []
        if "workspace_id" in cols:
            conditions.append(
                sql.SQL("NOT EXISTS (SELECT 1 FROM workspace AS w WHERE w.id = r.workspace_id)")
            )
        if "agent_id" in cols:
            agent_in = " AND a.workspace_id = r.workspace_id" if "workspace_id" in cols else ""
            conditions.append(
                sql.SQL("NOT EXISTS (SELECT 1 FROM agent AS a WHERE a.id = r.agent_id{})").format(
                    sql.SQL(agent_in)
                )
            )
        query = sql.SQL("SELECT count(*) FROM {} AS r WHERE {}").format(
            table, sql.SQL(" OR ").join(conditions)
        )
        row = db.execute(query).fetchone()
        assert row is not None
        assert row[0] == 0, f"{name}: {row[0]} row(s) without their workspace or agent"


# The tables the rollups derive from raw usage and runs: every task_usage_dashboard_* and
# task_run_dashboard_* table but the state row, the queues, the registry of quarters and the list
# of respelled tasks (kept by triggers, not rebuilt), read from the catalog so a new level is
# never left out of a check.
ROLLUP_TABLES_SQL = r"""
SELECT relname
FROM pg_class
WHERE relkind = 'r'
    AND relnamespace = 'public'::regnamespace
    AND (relname LIKE 'task\_usage\_dashboard\_%' OR relname LIKE 'task\_run\_dashboard\_%')
    AND relname NOT IN (
        'task_usage_dashboard_rollup_state',
        'task_usage_dashboard_dirty',
        'task_run_dashboard_dirty',
        'task_usage_dashboard_split',
        'task_usage_dashboard_respelled_task'
    )
ORDER BY relname
"""

# Run rollup rows whose workspace is gone or whose agent is gone or now in another workspace.
RUN_ROLLUP_ORPHANS_SQL = """
SELECT count(*)
FROM task_run_dashboard_daily_agent AS r
WHERE NOT EXISTS (
    SELECT 1
    FROM agent AS a
    WHERE a.id = r.agent_id
        AND a.workspace_id = r.workspace_id
)
"""


def rollup_tables(db: Conn) -> list[str]:
    """The rollup's derived tables (ROLLUP_TABLES_SQL)."""
    return [str(r[0]) for r in db.execute(ROLLUP_TABLES_SQL)]


# ---- rollup == raw -----------------------------------------------------------------------------


async def assert_rollup_matches_raw(
    conn: AsyncConn,
    workspace_ids: Iterable[uuid.UUID],
    project_ids_by_workspace: Mapping[uuid.UUID, Sequence[uuid.UUID]] | None = None,
    *,
    extra_windows: Sequence[Window] = (),
) -> int:
    """Rollup and raw read paths agree exactly for every workspace, window and project filter.

    Windows: each of WINDOW_DAYS ending today, then `extra_windows` (see month_edge_windows).
    Project filters: none, each project of the workspace, and a random UUID. Every field is
    compared, cost and task counts included. Returns how many raw rows were compared, so callers
    can make sure the comparison was not vacuous.
    """
    compared = 0
    projects = project_ids_by_workspace or {}
    workspaces = list(workspace_ids)
    windows = [window_for_days(days) for days in WINDOW_DAYS] + list(extra_windows)
    for workspace_id in workspaces:
        filters: list[uuid.UUID | None] = [None, *projects.get(workspace_id, ()), uuid.uuid4()]
        for window in windows:
            for project_id in filters:
                f = DashboardFilter(workspace_id=workspace_id, window=window, project_id=project_id)
                span = f"{window.since.date()}..{window.until.date()}"
                where = f"workspace {workspace_id}, window {span}, project {project_id}"
                raw_daily: list[DailyUsage] = await queries.list_dashboard_usage_daily(conn, f)
                rollup_daily = await queries.list_dashboard_usage_daily_rollup(conn, f)
                assert rollup_daily == raw_daily, f"daily differs for {where}"
                raw_agents: list[AgentUsage] = await queries.list_dashboard_usage_by_agent(conn, f)
                rollup_agents = await queries.list_dashboard_usage_by_agent_rollup(conn, f)
                assert rollup_agents == raw_agents, f"by-agent differs for {where}"
                compared += len(raw_daily) + len(raw_agents)
                compared += await assert_run_routes_match(conn, f, where)
    return compared


# The DashboardReadPath fields of the four run routes.
RUN_ROUTES = ("agent_runtime", "runtime_daily", "failures_daily", "failures_by_agent")


async def assert_run_routes_match(conn: AsyncConn, f: DashboardFilter, where: str) -> int:
    """agent-runtime, runtime/daily, failures/daily and failures/by-agent agree on both read
    paths for one filter; returns how many raw rows were compared."""
    compared = 0
    for route in RUN_ROUTES:
        raw = await getattr(RAW, route)(DashboardDb.of(conn), f)
        assert await getattr(ROLLUP, route)(DashboardDb.of(conn), f) == raw, f"{route} differs for {where}"
        compared += len(raw)
    return compared


async def assert_matches(
    database_url: str,
    workspace_ids: Iterable[uuid.UUID],
    project_ids_by_workspace: Mapping[uuid.UUID, Sequence[uuid.UUID]] | None = None,
    *,
    time_zone: str | None = None,
    extra_windows: Sequence[Window] = (),
) -> int:
    """assert_rollup_matches_raw on a connection of its own, read from `time_zone` if given."""
    async with await connect(database_url) as conn:
        if time_zone is not None:
            await conn.execute("SELECT set_config('TimeZone', %s, false)", (time_zone,))
        return await assert_rollup_matches_raw(
            conn, workspace_ids, project_ids_by_workspace, extra_windows=extra_windows
        )


# ---- the CLI ---------------------------------------------------------------------------------


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs `python -m app ARGS` against the test database (never the embedded default)."""
    env = {k: v for k, v in os.environ.items() if k not in _CLI_SETTINGS}
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# Rows where the per-task level and raw usage disagree, over the days the level covers: each
# (UTC day, task, provider, model) of raw usage attributed as the read path does, both ways round.
TASK_LEVEL_MISMATCHES_SQL = """
WITH horizon AS (
    SELECT task_usage_dashboard_task_level_from() AS first_day
),
raw AS (
    SELECT
        (u.created_at AT TIME ZONE 'UTC')::date AS bucket_date,
        u.task_id,
        lower(btrim(u.provider)) AS provider,
        u.model,
        a.workspace_id,
        t.agent_id,
        i.project_id,
        sum(u.input_tokens)::bigint AS input_tokens,
        sum(u.output_tokens)::bigint AS output_tokens,
        sum(u.cache_read_tokens)::bigint AS cache_read_tokens,
        sum(u.cache_write_tokens)::bigint AS cache_write_tokens,
        coalesce(sum(u.cost_usd_ticks) FILTER (WHERE u.cost_usd_ticks > 0), 0) AS cost_usd_ticks,
        coalesce(sum(u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens)
            FILTER (WHERE coalesce(u.cost_usd_ticks, 0) <= 0), 0)::bigint AS uncosted_tokens,
        count(*) AS event_count
    FROM task_usage AS u
    JOIN agent_task_queue AS t ON t.id = u.task_id
    JOIN agent AS a ON a.id = t.agent_id
    LEFT JOIN issue AS i ON i.id = t.issue_id
    WHERE (u.created_at AT TIME ZONE 'UTC')::date >= (SELECT first_day FROM horizon)
    GROUP BY 1, 2, 3, 4, 5, 6, 7
),
level AS (
    SELECT
        bucket_date, task_id, provider, model, workspace_id, agent_id, project_id, input_tokens,
        output_tokens, cache_read_tokens, cache_write_tokens, cost_usd_ticks,
        uncosted_input_tokens + uncosted_output_tokens + uncosted_cache_read_tokens
            + uncosted_cache_write_tokens,
        event_count
    FROM task_usage_dashboard_daily_task_model
    WHERE bucket_date >= (SELECT first_day FROM horizon)
)
SELECT
    (SELECT count(*) FROM (SELECT * FROM raw EXCEPT ALL SELECT * FROM level) AS missing)
    + (SELECT count(*) FROM (SELECT * FROM level EXCEPT ALL SELECT * FROM raw) AS extra)
"""


def _count(db: Conn, query: str) -> int:
    row = db.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def task_level_mismatches(db: Conn) -> int:
    """How many per-task level rows differ from raw usage (0 when the level is exact)."""
    return _count(db, TASK_LEVEL_MISMATCHES_SQL)


# Rows where the monthly per-project level and the base table disagree: every settled month
# (before the state's project_months_before) of the base table's project rows summed, both ways
# round, and any level row of a month that has not settled counts as extra.
PROJECT_MONTH_MISMATCHES_SQL = f"""
WITH settled AS (
    SELECT project_months_before AS before
    FROM task_usage_dashboard_rollup_state
    WHERE id = 1
),
base AS (
    SELECT
        workspace_id,
        project_id,
        date_trunc('month', bucket_date::timestamp)::date AS month,
        agent_id,
        provider,
        model,
        {LEVEL_SUMS}
    FROM task_usage_dashboard_daily
    WHERE project_id IS NOT NULL
        AND bucket_date < (SELECT before FROM settled)
    GROUP BY 1, 2, 3, 4, 5, 6
),
level AS (
    SELECT workspace_id, project_id, month, agent_id, provider, model, {LEVEL_MEASURES}
    FROM task_usage_dashboard_monthly_project_agent_model
)
SELECT
    (SELECT count(*) FROM (SELECT * FROM base EXCEPT ALL SELECT * FROM level) AS missing)
    + (SELECT count(*) FROM (SELECT * FROM level EXCEPT ALL SELECT * FROM base) AS extra)
"""


def project_month_mismatches(db: Conn) -> int:
    """How many monthly per-project level rows differ from the base table (0 when exact)."""
    return _count(db, PROJECT_MONTH_MISMATCHES_SQL)


# Rows where the weekly per-agent level and the per-agent daily level disagree: every week
# (Monday to Sunday) of the daily level summed, both ways round.
WEEK_LEVEL_MISMATCHES_SQL = f"""
WITH daily AS (
    SELECT
        workspace_id,
        date_trunc('week', bucket_date::timestamp)::date AS week,
        agent_id,
        provider,
        model,
        {LEVEL_SUMS}
    FROM task_usage_dashboard_daily_agent_model
    GROUP BY 1, 2, 3, 4, 5
),
level AS (
    SELECT workspace_id, week, agent_id, provider, model, {LEVEL_MEASURES}
    FROM task_usage_dashboard_weekly_agent_model
)
SELECT
    (SELECT count(*) FROM (SELECT * FROM daily EXCEPT ALL SELECT * FROM level) AS missing)
    + (SELECT count(*) FROM (SELECT * FROM level EXCEPT ALL SELECT * FROM daily) AS extra)
"""


def week_level_mismatches(db: Conn) -> int:
    """How many weekly per-agent level rows differ from the per-agent daily level (0 when exact)."""
    return _count(db, WEEK_LEVEL_MISMATCHES_SQL)
