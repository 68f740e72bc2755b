"""Typed wrappers of the named queries: the only door from Python to queries/*.sql."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec
from psycopg import AsyncConnection

from app.db.sql import QUERIES
from app.fold import fold_agents
from app.money import usd, whole_ticks
from app.prices import PriceListing, PriceVersion
from app.window import Window
from app.wire import (
    AgentFailures,
    AgentListing,
    AgentRunTime,
    AgentUsage,
    DailyFailures,
    DailyRunTime,
    DailyUsage,
    ListedToken,
    Me,
    MeUser,
    MeWorkspace,
    ProjectListing,
    RollupState,
)

Connection = AsyncConnection[Any]


class DashboardFilter(msgspec.Struct, frozen=True):
    """What a dashboard query covers: one workspace, a window, maybe one project, and the agents
    whose rows are folded for this caller (private agents of others, for a plain member)."""

    workspace_id: uuid.UUID
    window: Window
    project_id: uuid.UUID | None = None
    hidden_agents: frozenset[uuid.UUID] = frozenset()
    workspace_slug: str = ""


class Credentials(msgspec.Struct, frozen=True):
    """Who a request says it is: a token's digest, or the digest of a page session's id."""

    token_hash: str | None = None
    session_hash: str | None = None


class Caller(msgspec.Struct, frozen=True):
    """A valid token's user and, when a member, the workspace it asked for and the agents there
    it may not see."""

    user_id: uuid.UUID
    timezone: str | None
    workspace_id: uuid.UUID | None
    workspace_slug: str | None
    hidden_agent_ids: list[uuid.UUID]


class UsageReport(msgspec.Struct, frozen=True):
    """One (task, provider, model) usage report as the platform writes it."""

    task_id: uuid.UUID
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd_ticks: int | None = None


def _filter_params(f: DashboardFilter) -> dict[str, Any]:
    return {
        "workspace_id": f.workspace_id,
        "since": f.window.since,
        "until": f.window.until,
        "project_id": f.project_id,
    }


def _daily_params(f: DashboardFilter) -> dict[str, Any]:
    """_filter_params and the local days: every local midnight of the window, and the first date."""
    return {**_filter_params(f), "bounds": list(f.window.bounds), "first_date": f.window.first_date}


async def _rows(method: Any, conn: Connection, **params: Any) -> list[dict[str, Any]]:
    return [row async for row in method(conn, **params)]


async def _tuples(method: Any, conn: Connection, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    # The per-day and per-agent answers are the largest (up to 365 days x models, or agents x
    # models, rows): building a dict per row and converting it cost about a quarter of a year's
    # read, so these are read as tuples and their structs built by position.
    async with conn.cursor() as cur:
        await cur.execute(method.sql, params)
        return await cur.fetchall()


# Position of the ticks in a usage row: the daily and per-agent queries' columns are DailyUsage's
# and AgentUsage's fields in order, with estimated_cost_ticks where cost_usd goes
# (tests/test_queries_load.py checks it); both have their key in the first three columns.
_REPORTED, _ESTIMATED = 7, 12


def _ticked(row: Sequence[Any]) -> list[Any]:
    """A usage row as a list, its two tick sums (sent as text) as ints."""
    values = list(row)
    values[_REPORTED] = whole_ticks(values[_REPORTED])
    values[_ESTIMATED] = whole_ticks(values[_ESTIMATED])
    return values


def _priced(values: list[Any]) -> list[Any]:
    """A ticked usage row with cost_usd, from reported + estimated ticks, where the estimate was."""
    values[_ESTIMATED] = usd(values[_REPORTED] + values[_ESTIMATED])
    return values


async def _daily_usage(method: Any, conn: Connection, params: dict[str, Any]) -> list[DailyUsage]:
    """A daily usage query's rows as DailyUsage, built by position."""
    return [DailyUsage(*_priced(_ticked(row))) for row in await _tuples(method, conn, params)]


# The columns of a per-agent row that fold_agents merges on and adds up (the wire structs'
# positions). Seconds add up as each agent's rounded figure, so a run-time answer's total is the
# same folded or not.
_USAGE_KEY, _USAGE_SUMS = (1, 2), range(3, 15)
_RUN_SUMS = range(1, 5)
_FAILURE_KEY, _FAILURE_SUMS = (1,), (2,)


async def list_dashboard_usage_daily(conn: Connection, f: DashboardFilter) -> list[DailyUsage]:
    """ListDashboardUsageDaily: usage and cost per (local date, provider, model), newest first."""
    return await _daily_usage(QUERIES.list_dashboard_usage_daily, conn, _daily_params(f))


async def _agent_usage(
    method: Any, conn: Connection, params: dict[str, Any], f: DashboardFilter
) -> list[AgentUsage]:
    ticked = [_ticked(row) for row in await _tuples(method, conn, params)]
    rows = fold_agents(ticked, f.hidden_agents, _USAGE_KEY, _USAGE_SUMS)
    return [AgentUsage(*_priced(values)) for values in rows]


async def list_dashboard_usage_by_agent(conn: Connection, f: DashboardFilter) -> list[AgentUsage]:
    """ListDashboardUsageByAgent: usage and cost per (agent, provider, model) over the window."""
    return await _agent_usage(QUERIES.list_dashboard_usage_by_agent, conn, _filter_params(f), f)


async def _agent_run_time(
    method: Any, conn: Connection, params: dict[str, Any], f: DashboardFilter
) -> list[AgentRunTime]:
    rows = fold_agents(await _tuples(method, conn, params), f.hidden_agents, (), _RUN_SUMS)
    return [AgentRunTime(*values) for values in rows]


async def _agent_failures(
    method: Any, conn: Connection, params: dict[str, Any], f: DashboardFilter
) -> list[AgentFailures]:
    rows = fold_agents(await _tuples(method, conn, params), f.hidden_agents, _FAILURE_KEY, _FAILURE_SUMS)
    return [AgentFailures(*values) for values in rows]


async def list_dashboard_agent_run_time(conn: Connection, f: DashboardFilter) -> list[AgentRunTime]:
    """ListDashboardAgentRunTime: run time of terminal runs per agent, longest first."""
    return await _agent_run_time(QUERIES.list_dashboard_agent_run_time, conn, _filter_params(f), f)


async def list_dashboard_runtime_daily(conn: Connection, f: DashboardFilter) -> list[DailyRunTime]:
    """ListDashboardRuntimeDaily: run time of terminal runs per local date, newest first."""
    rows = await _rows(QUERIES.list_dashboard_runtime_daily, conn, **_daily_params(f))
    return msgspec.convert(rows, list[DailyRunTime])


async def list_dashboard_failures_daily(conn: Connection, f: DashboardFilter) -> list[DailyFailures]:
    """ListDashboardFailuresDaily: finished runs per (local date, failure reason), newest first."""
    rows = await _rows(QUERIES.list_dashboard_failures_daily, conn, **_daily_params(f))
    return msgspec.convert(rows, list[DailyFailures])


async def list_dashboard_failures_by_agent(conn: Connection, f: DashboardFilter) -> list[AgentFailures]:
    """ListDashboardFailuresByAgent: finished runs per (agent, failure reason) over the window."""
    return await _agent_failures(QUERIES.list_dashboard_failures_by_agent, conn, _filter_params(f), f)


def _rollup_window_params(f: DashboardFilter) -> dict[str, Any]:
    """The run rollup's window reads: the workspace, the project or None, the window's instants."""
    return {
        "workspace_id": f.workspace_id,
        "project_id": f.project_id,
        "since": f.window.since,
        "until": f.window.until,
    }


def _rollup_days_params(f: DashboardFilter) -> dict[str, Any]:
    """The run rollup's daily reads: every local midnight of the window, and the first date."""
    return {
        "workspace_id": f.workspace_id,
        "project_id": f.project_id,
        "bounds": list(f.window.bounds),
        "first_date": f.window.first_date,
    }


async def list_dashboard_agent_run_time_rollup(conn: Connection, f: DashboardFilter) -> list[AgentRunTime]:
    """ListDashboardAgentRunTime from the run rollup; the same rows as the raw query."""
    return await _agent_run_time(
        QUERIES.list_dashboard_agent_run_time_rollup, conn, _rollup_window_params(f), f
    )


async def list_dashboard_runtime_daily_rollup(conn: Connection, f: DashboardFilter) -> list[DailyRunTime]:
    """ListDashboardRuntimeDaily from the run rollup; the same rows as the raw query."""
    rows = await _rows(QUERIES.list_dashboard_runtime_daily_rollup, conn, **_rollup_days_params(f))
    return msgspec.convert(rows, list[DailyRunTime])


async def list_dashboard_failures_daily_rollup(conn: Connection, f: DashboardFilter) -> list[DailyFailures]:
    """ListDashboardFailuresDaily from the run rollup; the same rows as the raw query."""
    rows = await _rows(QUERIES.list_dashboard_failures_daily_rollup, conn, **_rollup_days_params(f))
    return msgspec.convert(rows, list[DailyFailures])


async def list_dashboard_failures_by_agent_rollup(
    conn: Connection, f: DashboardFilter
) -> list[AgentFailures]:
    """ListDashboardFailuresByAgent from the run rollup; the same rows as the raw query."""
    return await _agent_failures(
        QUERIES.list_dashboard_failures_by_agent_rollup, conn, _rollup_window_params(f), f
    )


async def list_dashboard_agents(conn: Connection, f: DashboardFilter) -> list[AgentListing]:
    """ListDashboardAgents: the workspace's agents the caller may see, by name."""
    rows = await _rows(
        QUERIES.list_dashboard_agents,
        conn,
        workspace_id=f.workspace_id,
        hidden_agent_ids=list(f.hidden_agents),
    )
    return msgspec.convert(rows, list[AgentListing])


async def list_dashboard_projects(conn: Connection, f: DashboardFilter) -> list[ProjectListing]:
    """ListDashboardProjects: the workspace's projects, by title."""
    rows = await _rows(QUERIES.list_dashboard_projects, conn, workspace_id=f.workspace_id)
    return msgspec.convert(rows, list[ProjectListing])


async def get_me(conn: Connection, credentials: Credentials) -> Me | None:
    """GetMe: the caller and its workspaces, or None when the token or session is invalid."""
    row = await QUERIES.get_me(conn, token_hash=credentials.token_hash, session_hash=credentials.session_hash)
    if row is None:
        return None
    workspaces = row.pop("workspaces")
    return Me(user=msgspec.convert(row, MeUser), workspaces=msgspec.convert(workspaces, list[MeWorkspace]))


async def resolve_dashboard_caller(
    conn: Connection,
    credentials: Credentials,
    workspace_slug: str | None,
    workspace_id: uuid.UUID | None,
) -> Caller | None:
    """The caller (None when the token or session is invalid) and its workspace if a member."""
    row = await QUERIES.resolve_dashboard_caller(
        conn,
        token_hash=credentials.token_hash,
        session_hash=credentials.session_hash,
        workspace_slug=workspace_slug,
        workspace_id=workspace_id,
    )
    return None if row is None else msgspec.convert(row, Caller)


async def get_workspace_id_by_slug(conn: Connection, slug: str) -> uuid.UUID | None:
    """The workspace id of a slug, or None."""
    value: uuid.UUID | None = await QUERIES.get_workspace_id_by_slug(conn, slug=slug)
    return value


async def upsert_user(conn: Connection, email: str, name: str) -> uuid.UUID:
    """The id of the user with this email, created when missing."""
    value: uuid.UUID = await QUERIES.upsert_user(conn, email=email, name=name)
    return value


async def ensure_member(conn: Connection, workspace_id: uuid.UUID, user_id: uuid.UUID, role: str) -> bool:
    """Adds the membership when missing; True when it was created."""
    count: int = await QUERIES.ensure_member(conn, workspace_id=workspace_id, user_id=user_id, role=role)
    return count > 0


async def insert_personal_access_token(
    conn: Connection,
    user_id: uuid.UUID,
    name: str,
    token_hash: str,
    token_prefix: str,
    expires_at: datetime.datetime | None,
) -> uuid.UUID:
    """Stores a token digest and returns the token's id."""
    value: uuid.UUID = await QUERIES.insert_personal_access_token(
        conn,
        user_id=user_id,
        name=name,
        token_hash=token_hash,
        token_prefix=token_prefix,
        expires_at=expires_at,
    )
    return value


async def list_personal_access_tokens(conn: Connection, email: str | None) -> list[ListedToken]:
    """Every token (of one email, when given), newest first, without digests."""
    rows = await _rows(QUERIES.list_personal_access_tokens, conn, email=email)
    return [msgspec.convert(row, ListedToken) for row in rows]


async def revoke_personal_access_token(conn: Connection, token_id: uuid.UUID) -> bool | None:
    """Revokes a token; None when the id is unknown, else whether it was revoked already."""
    value: bool | None = await QUERIES.revoke_personal_access_token(conn, id=token_id)
    return value


async def upsert_task_usage(conn: Connection, reports: Sequence[UsageReport]) -> None:
    """UpsertTaskUsage for a batch of reports, as the platform writes them."""
    await QUERIES.upsert_task_usage(conn, [msgspec.structs.asdict(r) for r in reports])


async def configure_connection(conn: Connection) -> None:
    """JIT off for the session (the bench's direct connections)."""
    await QUERIES.configure_connection(conn)


async def configure_request(conn: Connection, statement_timeout_ms: int) -> None:
    """ConfigureRequest: the request transaction's local settings (JIT off, statement timeout)."""
    await QUERIES.configure_request(conn, statement_timeout=str(statement_timeout_ms))


async def ping(conn: Connection) -> bool:
    """True when the database answers a trivial query."""
    value: int | None = await QUERIES.ping(conn)
    return value == 1


async def count_workspaces(conn: Connection) -> int:
    """Number of workspaces in the database."""
    value: int = await QUERIES.count_workspaces(conn)
    return value


async def seed_workspace(conn: Connection, name: str, slug: str) -> uuid.UUID:
    """Creates a workspace to seed; fails on a taken slug."""
    value: uuid.UUID = await QUERIES.seed_workspace(conn, name=name, slug=slug)
    return value


async def seed_agents(conn: Connection, workspace_id: uuid.UUID, slug: str, agents: int) -> None:
    """Creates the demo runtime and `agents` agents."""
    await QUERIES.seed_agents(conn, workspace_id=workspace_id, slug=slug, agents=agents)


async def seed_projects(conn: Connection, workspace_id: uuid.UUID, slug: str, projects: int) -> None:
    """Creates `projects` projects."""
    await QUERIES.seed_projects(conn, workspace_id=workspace_id, slug=slug, projects=projects)


async def seed_issues(
    conn: Connection,
    workspace_id: uuid.UUID,
    slug: str,
    first_issue: int,
    last_issue: int,
    projects: int,
    random_seed: int,
) -> None:
    """Creates issues numbered first_issue..last_issue, 70% of them in a project."""
    await QUERIES.seed_issues(
        conn,
        workspace_id=workspace_id,
        slug=slug,
        first_issue=first_issue,
        last_issue=last_issue,
        projects=projects,
        random_seed=random_seed,
    )


async def seed_tasks_and_usage(
    conn: Connection,
    slug: str,
    anchor: datetime.datetime,
    first_day: int,
    last_day: int,
    tasks_per_day: int,
    agents: int,
    issues: int,
    random_seed: int,
) -> int:
    """Creates the tasks of days first_day..last_day before anchor; returns usage rows written."""
    value: int = await QUERIES.seed_tasks_and_usage(
        conn,
        slug=slug,
        anchor=anchor,
        first_day=first_day,
        last_day=last_day,
        tasks_per_day=tasks_per_day,
        agents=agents,
        issues=issues,
        random_seed=random_seed,
    )
    return value


# ---- prices -------------------------------------------------------------------------------


def _listings(rows: list[dict[str, Any]]) -> list[PriceListing]:
    return [
        PriceListing(
            msgspec.convert({k: v for k, v in r.items() if k != "source"}, PriceVersion), r["source"]
        )
        for r in rows
    ]


async def list_model_prices_at(conn: Connection, at_day: datetime.date) -> list[PriceListing]:
    """The version of every key in effect on at_day, by key."""
    return _listings(await _rows(QUERIES.list_model_prices_at, conn, at_day=at_day))


async def list_model_prices(conn: Connection) -> list[PriceListing]:
    """Every version in force, shipped and operator, by key and date."""
    return _listings(await _rows(QUERIES.list_model_prices, conn))


async def upsert_model_prices(conn: Connection, versions: Sequence[PriceVersion]) -> int:
    """Writes operator versions in one statement; returns how many were new or changed."""
    value: int = await QUERIES.upsert_model_prices(
        conn,
        keys=[v.key for v in versions],
        effective_froms=[v.effective_from for v in versions],
        inputs=[v.input for v in versions],
        outputs=[v.output for v in versions],
        cache_reads=[v.cache_read for v in versions],
        cache_writes=[v.cache_write for v in versions],
    )
    return value


# ---- rollup -------------------------------------------------------------------------------


class BackfillBounds(msgspec.Struct, frozen=True):
    """The watermark a new backfill stamps (now, fixed before walking) and the history's span:
    its oldest and newest usage row or terminal run."""

    upper_bound: datetime.datetime
    oldest_at: datetime.datetime | None
    newest_at: datetime.datetime | None


def _rollup_params(f: DashboardFilter) -> dict[str, Any]:
    return {
        "workspace_id": f.workspace_id,
        "since_date": f.window.since.date(),
        "until_date": f.window.until.date(),
        "project_id": f.project_id,
    }


async def list_dashboard_usage_daily_rollup(conn: Connection, f: DashboardFilter) -> list[DailyUsage]:
    """ListDashboardUsageDailyRollup: the daily series from the rollup table."""
    return await _daily_usage(QUERIES.list_dashboard_usage_daily_rollup, conn, _rollup_params(f))


async def list_dashboard_usage_daily_zone_rollup(conn: Connection, f: DashboardFilter) -> list[DailyUsage]:
    """ListDashboardUsageDailyZoneRollup: the daily series of a zone off UTC from the rollup, each
    local day stitched from whole UTC days and prefixes (or read raw where it cannot be)."""
    params = {
        "workspace_id": f.workspace_id,
        "project_id": f.project_id,
        "bounds": list(f.window.bounds),
        "first_date": f.window.first_date,
        "since_day": f.window.since.astimezone(datetime.UTC).date(),
        "until_day": f.window.until.astimezone(datetime.UTC).date(),
        "quarters": sorted(f.window.split_quarters),
    }
    return await _daily_usage(QUERIES.list_dashboard_usage_daily_zone_rollup, conn, params)


async def register_rollup_splits(conn: Connection, quarters: Sequence[int]) -> None:
    """Registers the quarter hours of UTC whose prefixes the zone reads need."""
    await QUERIES.register_rollup_splits(conn, quarters=list(quarters))


async def rollup_splits_unfilled(conn: Connection) -> bool:
    """Whether a registered quarter is not filled back to the start of history yet."""
    value: bool = await QUERIES.rollup_splits_unfilled(conn)
    return value


async def fill_rollup_splits(conn: Connection) -> bool:
    """One step of filling registered quarters; True while one is still unfilled."""
    value: bool = await QUERIES.fill_rollup_splits(conn)
    return value


def _by_agent_rollup_params(f: DashboardFilter) -> dict[str, Any]:
    # The whole UTC days inside the window; the query reads the partial days around them (a
    # window of a zone off UTC) from raw rows. A window inside one UTC day has none whole.
    since, until = f.window.since.astimezone(datetime.UTC), f.window.until.astimezone(datetime.UTC)
    at_midnight = since == datetime.datetime.combine(since.date(), datetime.time(), datetime.UTC)
    first_whole = since.date() if at_midnight else since.date() + datetime.timedelta(days=1)
    end_whole = max(until.date(), first_whole)
    return {
        "workspace_id": f.workspace_id,
        "since_date": first_whole,
        "until_date": end_whole,
        "project_id": f.project_id,
        "since": since,
        "until": until,
    }


async def list_dashboard_usage_by_agent_rollup(conn: Connection, f: DashboardFilter) -> list[AgentUsage]:
    """ListDashboardUsageByAgentRollup: per (agent, provider, model) usage from the rollup, in any
    zone (whole UTC days from the levels, the window's partial edge days from raw rows)."""
    return await _agent_usage(
        QUERIES.list_dashboard_usage_by_agent_rollup, conn, _by_agent_rollup_params(f), f
    )


async def rollup_tick(conn: Connection) -> int | None:
    """One tick step: rows touched, None when the lock is busy, -1 when the step failed."""
    value: int | None = await QUERIES.rollup_tick(conn)
    return value


async def rollup_wait(conn: Connection) -> None:
    """Waits until no tick or backfill holds the rollup lock."""
    await QUERIES.rollup_wait(conn)


class QueueMark(msgspec.Struct, frozen=True):
    """The newest queued key of each rollup's queue at one moment (0 for an empty queue)."""

    usage_key: int
    run_key: int


async def rollup_queue_high_water(conn: Connection) -> QueueMark:
    """Ids of the newest queued keys visible now."""
    row = await QUERIES.rollup_queue_high_water(conn)
    return msgspec.convert(row, QueueMark)


async def rollup_queue_has_keys_up_to(conn: Connection, mark: QueueMark) -> bool:
    """Whether keys enqueued up to the mark are still waiting."""
    value: bool = await QUERIES.rollup_queue_has_keys_up_to(
        conn, usage_key=mark.usage_key, run_key=mark.run_key
    )
    return value


async def record_rollup_failure(conn: Connection, message: str) -> None:
    """Stores a tick failure seen from outside the failed transaction."""
    await QUERIES.record_rollup_failure(conn, message=message)


async def get_rollup_status(conn: Connection) -> RollupState:
    """The rollup's state, lag and queue."""
    row = await QUERIES.get_rollup_status(conn)
    return msgspec.convert(row, RollupState)


async def rollup_backfilled(conn: Connection) -> bool:
    """True once a backfill has completed: the rollup then holds every day."""
    value: bool = await QUERIES.rollup_backfilled(conn)
    return value


async def rollup_window(conn: Connection, p_from: datetime.datetime, p_to: datetime.datetime) -> int:
    """Rebuilds the UTC days overlapping [p_from, p_to); returns rows touched."""
    value: int = await QUERIES.rollup_window(conn, p_from=p_from, p_to=p_to)
    return value


async def lock_rollup_for_backfill(conn: Connection) -> None:
    """Takes the rollup lock for this session, waiting for a running tick."""
    await QUERIES.lock_rollup_for_backfill(conn)


async def unlock_rollup_for_backfill(conn: Connection) -> None:
    """Releases the session's rollup lock."""
    await QUERIES.unlock_rollup_for_backfill(conn)


async def get_backfill_bounds(conn: Connection) -> BackfillBounds:
    """The upper bound a new backfill fixes (now) and the oldest usage instant."""
    row = await QUERIES.get_backfill_bounds(conn)
    return msgspec.convert(row, BackfillBounds)


async def count_usage_between(conn: Connection, p_from: datetime.datetime, p_to: datetime.datetime) -> int:
    """Usage rows created in [p_from, p_to)."""
    value: int = await QUERIES.count_usage_between(conn, p_from=p_from, p_to=p_to)
    return value


async def start_backfill(
    conn: Connection, upper_bound: datetime.datetime, done_before: datetime.datetime
) -> None:
    """Records a backfill in progress."""
    await QUERIES.start_backfill(conn, upper_bound=upper_bound, done_before=done_before)


async def advance_backfill(conn: Connection, done_before: datetime.datetime) -> None:
    """Records the backfill's progress."""
    await QUERIES.advance_backfill(conn, done_before=done_before)


async def finish_backfill(conn: Connection) -> None:
    """Stamps the watermark to the backfill's upper bound and clears its progress."""
    await QUERIES.finish_backfill(conn)


async def analyze_seeded_tables(conn: Connection) -> None:
    """AnalyzeSeededTables: fresh statistics for the platform tables after a seed."""
    await QUERIES.analyze_seeded_tables(conn)


async def vacuum_rollup(conn: Connection) -> None:
    """VACUUM (ANALYZE) of the rollup's tables and queues after a backfill; conn must autocommit."""
    await QUERIES.vacuum_rollup(conn)


# ---- pg_cron ------------------------------------------------------------------------------


async def get_cron_database_name(conn: Connection) -> str | None:
    """cron.database_name, or None when pg_cron is not loaded."""
    value: str | None = await QUERIES.get_cron_database_name(conn)
    return value


async def get_current_database_name(conn: Connection) -> str:
    """The connection's database."""
    value: str = await QUERIES.get_current_database_name(conn)
    return value


async def create_pg_cron_extension(conn: Connection) -> None:
    """CREATE EXTENSION IF NOT EXISTS pg_cron."""
    await QUERIES.create_pg_cron_extension(conn)


async def schedule_rollup_job(conn: Connection, job_name: str, schedule: str, database: str) -> int:
    """Schedules the tick job; returns its id."""
    value: int = await QUERIES.schedule_rollup_job(
        conn, job_name=job_name, schedule=schedule, database=database
    )
    return value


async def unschedule_rollup_job(conn: Connection, job_name: str) -> int:
    """Unschedules the tick job; returns how many were removed."""
    value: int = await QUERIES.unschedule_rollup_job(conn, job_name=job_name)
    return value


async def create_dashboard_session(
    conn: Connection, session_hash: str, token_hash: str, lifetime: datetime.timedelta
) -> bool:
    """CreateDashboardSession: True when the token is valid and the session was stored."""
    opened: bool | None = await QUERIES.create_dashboard_session(
        conn, session_hash=session_hash, token_hash=token_hash, lifetime=lifetime
    )
    return bool(opened)


async def delete_dashboard_session(conn: Connection, session_hash: str) -> None:
    """DeleteDashboardSession: ends one session."""
    await QUERIES.delete_dashboard_session(conn, session_hash=session_hash)


async def delete_expired_dashboard_sessions(conn: Connection) -> None:
    """DeleteExpiredDashboardSessions: removes every expired session."""
    await QUERIES.delete_expired_dashboard_sessions(conn)
