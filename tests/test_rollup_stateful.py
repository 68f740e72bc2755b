"""Rollup guarantees 1 (equivalence with no lag), 4 (UTC buckets) and v2's point 4 (fresh at every
instant), by random interleavings.

A hypothesis state machine performs every write the platform makes in random order, each
from a session with a random TimeZone: creates (workspace, agent, project, issue in a project or
not, task with an issue or quick-create), UpsertTaskUsage (new keys at created_at near UTC
midnights over the last ~40 days, at window edges, > 365 days ago and in the future, or at now()
through app.db.queries.upsert_task_usage; re-reports of existing keys, which keep created_at),
deletes (usage row, task, issue, project, agent, workspace, with their cascades), issue moves
between projects or out of any, and links of quick-create tasks to issues. Ticks come in between,
from a session with a random TimeZone, either `SELECT rollup_task_usage_dashboard_daily()` until
the queue is empty or app.rollup.tick.tick_until_caught_up.

After every write that moves or removes usage, with a tick in between or (half the time) none,
and after every tick, for every live workspace, every window (days = 1, 2, 7, 31, 365, plus one
spanning all generated history) and every project filter (none, each project of the workspace,
a project of another workspace), the rollup read path must return exactly what the raw read path
returns for usage/daily and usage/by-agent, read from a session with a random TimeZone. Right
after a tick, also: no rollup row may survive its agent or workspace, and every level agrees with
the one below it.

Usage rows come under several providers, some spelled two ways ("OpenAI", "openai ": one provider
once normalized, on any day), with or without a provider-reported amount (none, zero, negative,
small, near 9e15 ticks), for models the price table prices, prices only from a date, or not at
all; and operator price versions are written between ticks, through the CLI's query, at dates
around the generated days. Every field is compared, cost and task counts included.

Database per example: the `database_url` fixture is function-scoped, so every example starts by
truncating the platform and rollup tables of the test's database and resetting the rollup state
row (TRUNCATE fires no delete triggers, so the queue starts empty). Cloning a database per
example would cost a CREATE DATABASE each time for the same clean slate.
"""

from __future__ import annotations

import asyncio
import datetime
import itertools
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)
from psycopg import AsyncConnection, sql

from app.api.read_path import RAW, ROLLUP, DashboardDb
from app.db import queries
from app.db.queries import DashboardFilter, UsageReport
from app.prices import EPOCH, PRICE_COLUMNS, PriceVersion
from app.rollup.tick import tick_until_caught_up
from app.window import window_for_days, zone_named
from tests.rollup_helpers import (
    PROJECT_MONTH_MISMATCHES_SQL,
    RUN_ROLLUP_ORPHANS_SQL,
    TASK_LEVEL_MISMATCHES_SQL,
    WEEK_LEVEL_MISMATCHES_SQL,
)

T = TypeVar("T")
AConn = AsyncConnection[Any]
UsageKey = tuple[uuid.UUID, str, str]  # (task_id, provider, model): task_usage's unique key

UTC = datetime.UTC
TIME_ZONES = (
    "UTC",
    "Pacific/Kiritimati",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Pacific/Pago_Pago",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/New_York",
)
# Windows also read as a viewer in the reader's zone (tz), through the read paths the app uses.
VIEWER_WINDOW_DAYS = (2, 31)
WINDOW_DAYS = (1, 2, 7, 31, 365)
# Priced by the shipped table (by a dated suffix, by provider qualification), priced only by
# the operator versions this test writes, and never priced.
MODELS = ("claude-sonnet-5-20260101", "auto", "model-x", "model-unpriced")
PROVIDERS = ("", "anthropic", "OpenAI", "openai ", "cursor")
PRICED_KEYS = ("model-x", "claude-sonnet-5", "cursor/auto")
PRICES = st.sampled_from(["0", "0.0001", "1.25", "3", "75.5"])
REPORTED_TICKS = st.sampled_from([None, None, 0, -5, 1, 123_456_789, 9_000_000_000_000_000])

# Keep the world small enough that the check after each tick stays cheap.
MAX_WORKSPACES = 3
MAX_AGENTS = 6
MAX_PROJECTS = 5
MAX_ISSUES = 8
MAX_TASKS = 12

# created_at = UTC midnight of (today + day offset) + time offset: offsets straddle midnight by a
# microsecond, and by the UTC offsets of the writers' time zones (+14, +5:30, -8/-7, -11).
# (today is the UTC date when the test started; a run across midnight only shifts the days.)
# Day offsets: the edges of every window (days = 1, 2, 7, 31, 365 cover offsets -(days - 1)..0),
# any day of the last ~40, days of settled months (-200, -95: summed monthly per project) and
# days far outside every window (older than 365 days, future).
FAR_DAYS = 1000  # no created_at is further than this from today
WINDOW_EDGES = st.sampled_from([0, -1, -2, -6, -7, -30, -31, -364, 1])
DAY_OFFSETS = st.one_of(
    WINDOW_EDGES,
    st.integers(min_value=-40, max_value=1),
    st.integers(min_value=-40, max_value=1),
    st.sampled_from([-400, -366, -365, -200, -95, 2, 45, 400]),
)
TIME_OFFSETS = st.sampled_from(
    [
        datetime.timedelta(0),
        datetime.timedelta(microseconds=1),
        datetime.timedelta(microseconds=-1),
        datetime.timedelta(hours=1),
        datetime.timedelta(hours=-1),
        datetime.timedelta(hours=5, minutes=30),
        datetime.timedelta(hours=-5, minutes=-30),
        datetime.timedelta(hours=11),
        datetime.timedelta(hours=-11),
        datetime.timedelta(hours=14),
        datetime.timedelta(hours=-14),
        datetime.timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999),
    ]
)
TOKENS = st.integers(min_value=0, max_value=2**40)
TOKEN_COUNTS = st.tuples(TOKENS, TOKENS, TOKENS, TOKENS)

# A run's status, failure reason and, for its completed_at, a day offset as for usage.
RUN_STATUSES = st.sampled_from(
    ["completed", "completed", "failed", "failed", "cancelled", "running", "queued"]
)
FAILURE_REASONS = st.sampled_from([None, "", "timeout", "agent_error", "a-reason-added-later"])
RUN_LENGTHS = st.sampled_from(
    [
        None,
        datetime.timedelta(0),
        datetime.timedelta(microseconds=1),
        datetime.timedelta(milliseconds=499),
        datetime.timedelta(milliseconds=500),
        datetime.timedelta(minutes=7, seconds=3),
        datetime.timedelta(hours=30),
    ]
)

TASKS_WITH_USAGE = "SELECT DISTINCT task_id FROM task_usage"
TERMINAL_TASKS = "SELECT id FROM agent_task_queue WHERE completed_at IS NOT NULL"
ISSUES_IN_A_PROJECT = "SELECT id FROM issue WHERE project_id IS NOT NULL"
ISSUES_WITH_USAGE = (
    "SELECT DISTINCT t.issue_id FROM agent_task_queue AS t JOIN task_usage AS u ON u.task_id = t.id"
)
PROJECTS_WITH_USAGE = (
    "SELECT DISTINCT i.project_id FROM issue AS i JOIN agent_task_queue AS t ON t.issue_id = i.id"
    " JOIN task_usage AS u ON u.task_id = t.id"
)
AGENTS_WITH_USAGE = (
    "SELECT DISTINCT t.agent_id FROM agent_task_queue AS t JOIN task_usage AS u ON u.task_id = t.id"
)
WORKSPACES_WITH_USAGE = (
    "SELECT DISTINCT a.workspace_id FROM agent AS a JOIN agent_task_queue AS t ON t.agent_id = a.id"
    " JOIN task_usage AS u ON u.task_id = t.id"
)

# What an example starts from: every table emptied but the rollup's state row (reset below) and
# the migration runner's record, read from the catalog so a new table is never left over.
TABLES_TO_EMPTY = """
SELECT relname
FROM pg_class
WHERE relkind = 'r'
    AND relnamespace = 'public'::regnamespace
    AND relname NOT IN (
        'task_usage_dashboard_rollup_state',
        'schema_migrations',
        'schema_functions',
        'schema_function_snapshots',
        'model_price_shipped'
    )
"""


@dataclass
class Context:
    """What every example of one test run shares: an event loop and three sessions."""

    runner: asyncio.Runner
    writer: AConn
    ticker: AConn
    reader: AConn
    today: datetime.date

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coro)


def _optional(ids: list[uuid.UUID]) -> st.SearchStrategy[uuid.UUID | None]:
    """None or one of ids."""
    none: list[uuid.UUID | None] = [None]
    return st.sampled_from(none + list(ids))


async def _set_time_zone(conn: AConn, tz: str) -> None:
    await conn.execute("SELECT set_config('TimeZone', %s, false)", (tz,))


async def _uuid(conn: AConn, query: str, params: dict[str, Any]) -> uuid.UUID:
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    assert row is not None
    value = row[0]
    assert isinstance(value, uuid.UUID)
    return value


async def _ids(conn: AConn, table: str) -> set[uuid.UUID]:
    cur = await conn.execute(sql.SQL("SELECT id FROM {}").format(sql.Identifier(table)))
    return {row[0] for row in await cur.fetchall()}


async def _reset(conn: AConn) -> None:
    cur = await conn.execute(TABLES_TO_EMPTY)
    tables = [row[0] for row in await cur.fetchall()]
    await conn.execute(
        sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
            sql.SQL(", ").join(sql.Identifier(t) for t in tables)
        )
    )
    await conn.execute(
        "UPDATE task_usage_dashboard_rollup_state SET watermark_at = NULL, last_run_started_at = NULL,"
        " last_run_finished_at = NULL, last_run_rows = NULL, last_error = NULL, last_success_at = NULL,"
        " backfill_upper_bound = NULL, backfill_done_before = NULL WHERE id = 1"
    )


async def _tick_sql_until_empty(conn: AConn) -> None:
    """`SELECT rollup_task_usage_dashboard_daily()` until both queues are empty."""
    for _ in range(1000):
        cur = await conn.execute("SELECT rollup_task_usage_dashboard_daily()")
        row = await cur.fetchone()
        assert row is not None
        assert row[0] is not None, "no other tick runs, yet the tick found its lock busy"
        assert row[0] >= 0, "the tick step failed"
        cur = await conn.execute(
            "SELECT EXISTS (SELECT 1 FROM task_usage_dashboard_dirty)"
            " OR EXISTS (SELECT 1 FROM task_run_dashboard_dirty)"
        )
        left = await cur.fetchone()
        assert left is not None
        if not left[0]:
            return
    raise AssertionError("the queue never drained")


class RollupMachine(RuleBasedStateMachine):
    """Random platform writes and ticks; the rollup read path must equal the raw one after a tick."""

    shared: ClassVar[Context | None] = None
    _numbers: ClassVar[itertools.count[int]] = itertools.count(1)

    def __init__(self) -> None:
        super().__init__()
        assert RollupMachine.shared is not None, "run through test_rollup_matches_raw_under_random_writes"
        self.ctx: Context = RollupMachine.shared
        self.ctx.run(_reset(self.ctx.writer))
        # Ids in creation order (so an index drawn by hypothesis picks the same entity on replay).
        self.workspaces: list[uuid.UUID] = []
        self.runtime_of: dict[uuid.UUID, uuid.UUID] = {}
        self.agents: list[uuid.UUID] = []
        self.projects: list[uuid.UUID] = []
        self.issues: list[uuid.UUID] = []
        self.tasks: list[uuid.UUID] = []
        self.quick_tasks: list[uuid.UUID] = []  # tasks whose issue_id is null
        self.usage: dict[UsageKey, datetime.date] = {}  # key -> UTC day of created_at
        self.workspace_of: dict[uuid.UUID, uuid.UUID] = {}  # agent or project -> workspace
        self.wrote_since_tick = False
        self.check_failed = False

    # ---- helpers ---------------------------------------------------------------------------

    def _write(self, tz: str, query: str | sql.Composed, params: dict[str, Any] | None = None) -> None:
        self.wrote_since_tick = True

        async def go() -> None:
            await _set_time_zone(self.ctx.writer, tz)
            await self.ctx.writer.execute(query, params)

        self.ctx.run(go())

    def _insert(self, tz: str, query: str, params: dict[str, Any]) -> uuid.UUID:
        self.wrote_since_tick = True

        async def go() -> uuid.UUID:
            await _set_time_zone(self.ctx.writer, tz)
            return await _uuid(self.ctx.writer, query, params)

        return self.ctx.run(go())

    def _number(self) -> int:
        return next(RollupMachine._numbers)

    def _refresh(self) -> None:
        """Drops from the model whatever a delete (and its cascades) removed."""

        async def go() -> dict[str, set[uuid.UUID]]:
            tables = ("workspace", "agent", "project", "issue", "agent_task_queue", "task_usage")
            return {t: await _ids(self.ctx.writer, t) for t in tables}

        live = self.ctx.run(go())

        async def quick_and_usage() -> tuple[set[uuid.UUID], set[UsageKey]]:
            cur = await self.ctx.writer.execute("SELECT id FROM agent_task_queue WHERE issue_id IS NULL")
            quick = {row[0] for row in await cur.fetchall()}
            cur = await self.ctx.writer.execute("SELECT task_id, provider, model FROM task_usage")
            keys = {(row[0], row[1], row[2]) for row in await cur.fetchall()}
            return quick, keys

        quick, keys = self.ctx.run(quick_and_usage())
        self.workspaces = [w for w in self.workspaces if w in live["workspace"]]
        self.agents = [a for a in self.agents if a in live["agent"]]
        self.projects = [p for p in self.projects if p in live["project"]]
        self.issues = [i for i in self.issues if i in live["issue"]]
        self.tasks = [t for t in self.tasks if t in live["agent_task_queue"]]
        self.quick_tasks = [t for t in self.tasks if t in quick]
        self.usage = {k: d for k, d in self.usage.items() if k in keys}
        assert set(self.usage) == keys, "the model lost track of usage rows"

    def _created_at(self, data: st.DataObject) -> datetime.datetime:
        """A created_at near a UTC midnight."""
        offset = data.draw(TIME_OFFSETS, label="time offset")
        day = self.ctx.today + datetime.timedelta(days=data.draw(DAY_OFFSETS, label="day offset"))
        return datetime.datetime.combine(day, datetime.time(), UTC) + offset

    # ---- prices ----------------------------------------------------------------------------

    @rule(data=st.data())
    def set_price(self, data: st.DataObject) -> None:
        """An operator price version (`prices set`'s query) from a UTC date near the usage's days,
        so it covers some of them and not others; sometimes a correction of an earlier one."""
        key = data.draw(st.sampled_from(PRICED_KEYS), label="price key")
        usage_days = sorted(set(self.usage.values()))
        near_usage: bool = bool(usage_days) and data.draw(st.booleans(), label="from a day with usage")
        if near_usage:
            # The first day of some usage, or the day after: rows on both sides of the change.
            effective_from = data.draw(st.sampled_from(usage_days), label="effective day")
            effective_from += datetime.timedelta(days=data.draw(st.integers(0, 1), label="shift"))
        else:
            days = data.draw(DAY_OFFSETS, label="effective day offset")
            effective_from = max(self.ctx.today + datetime.timedelta(days=days), EPOCH)
        prices = [Decimal(data.draw(PRICES, label=name)) for name in PRICE_COLUMNS]
        version = PriceVersion(key, effective_from, *prices)
        self.wrote_since_tick = True

        async def go() -> None:
            async with self.ctx.writer.transaction():
                await queries.upsert_model_prices(self.ctx.writer, [version])

        self.ctx.run(go())
        self._maybe_tick(data)

    # ---- creates ---------------------------------------------------------------------------

    def _new_workspace(self, tz: str) -> uuid.UUID:
        n = self._number()
        ws = self._insert(
            tz, "INSERT INTO workspace (name, slug) VALUES (%(s)s, %(s)s) RETURNING id", {"s": f"ws-{n}"}
        )
        self.workspaces.append(ws)
        self.runtime_of[ws] = self._insert(
            tz,
            "INSERT INTO agent_runtime (workspace_id, name, provider)"
            " VALUES (%(w)s, 'rt', 'local') RETURNING id",
            {"w": ws},
        )
        return ws

    def _new_agent(self, tz: str, ws: uuid.UUID) -> uuid.UUID:
        agent = self._insert(
            tz,
            "INSERT INTO agent (workspace_id, runtime_id, name) VALUES (%(w)s, %(r)s, %(n)s) RETURNING id",
            {"w": ws, "r": self.runtime_of[ws], "n": f"agent-{self._number()}"},
        )
        self.agents.append(agent)
        self.workspace_of[agent] = ws
        return agent

    def _new_project(self, tz: str, ws: uuid.UUID) -> uuid.UUID:
        project = self._insert(
            tz, "INSERT INTO project (workspace_id, title) VALUES (%(w)s, 'p') RETURNING id", {"w": ws}
        )
        self.projects.append(project)
        self.workspace_of[project] = ws
        return project

    def _new_issue(self, tz: str, ws: uuid.UUID, project: uuid.UUID | None) -> uuid.UUID:
        issue = self._insert(
            tz,
            "INSERT INTO issue (workspace_id, title, creator_type, creator_id, project_id, number)"
            " VALUES (%(w)s, 'i', 'member', gen_random_uuid(), %(p)s, %(n)s) RETURNING id",
            {"w": ws, "p": project, "n": self._number()},
        )
        self.issues.append(issue)
        return issue

    def _new_task(self, tz: str, agent: uuid.UUID, issue: uuid.UUID | None) -> uuid.UUID:
        task = self._insert(
            tz,
            "INSERT INTO agent_task_queue (agent_id, issue_id, runtime_id, status)"
            " SELECT %(a)s, %(i)s, runtime_id, 'completed' FROM agent WHERE id = %(a)s RETURNING id",
            {"a": agent, "i": issue},
        )
        self.tasks.append(task)
        if issue is None:
            self.quick_tasks.append(task)
        return task

    @initialize(tz=st.sampled_from(TIME_ZONES), data=st.data())
    def bootstrap(self, tz: str, data: st.DataObject) -> None:
        """Two workspaces, the first with an agent, a project, an issue in it and one in none, a
        task of each and a quick-create task, the second with an agent, a project and a quick-create
        task; then usage for every task and some more. Every example starts with rows to move and
        delete."""
        ws = self._new_workspace(tz)
        agent = self._new_agent(tz, ws)
        self._new_task(tz, agent, self._new_issue(tz, ws, self._new_project(tz, ws)))
        self._new_task(tz, agent, self._new_issue(tz, ws, None))
        self._new_task(tz, agent, None)
        other = self._new_workspace(tz)
        self._new_project(tz, other)
        self._new_task(tz, self._new_agent(tz, other), None)
        for task in self.tasks:
            self._insert_usage(data, 1, task)
            self._set_run(tz, data, task)
        self._insert_usage(data, data.draw(st.integers(min_value=0, max_value=4), label="rows"))
        # Rolled up before the first rule: a later write that fails to invalidate what it moves
        # leaves a stale bucket for the next check to find.
        self._tick_and_check(tz, tz, app=False)

    def _creatable(self) -> list[str]:
        """What `create` may make now: the world stays small so each check stays cheap."""
        kinds = []
        if len(self.workspaces) < MAX_WORKSPACES:
            kinds.append("workspace")
        if self.workspaces and len(self.agents) < MAX_AGENTS:
            kinds.append("agent")
        if self.workspaces and len(self.projects) < MAX_PROJECTS:
            kinds.append("project")
        if self.workspaces and len(self.issues) < MAX_ISSUES:
            kinds.append("issue")
        if self.agents and len(self.tasks) < MAX_TASKS:
            kinds.append("task")
        return kinds

    # One rule for every create (creates move no usage; as separate rules they would crowd out
    # the writes that do).
    @precondition(lambda self: self._creatable())
    @rule(tz=st.sampled_from(TIME_ZONES), data=st.data())
    def create(self, tz: str, data: st.DataObject) -> None:
        """A workspace, an agent, a project, an issue (in no project, usually a project of its
        workspace, sometimes another workspace's) or a task (with an issue of any workspace,
        since attribution follows the agent, or a quick-create task without one)."""
        kind = data.draw(st.sampled_from(self._creatable()), label="create")
        if kind == "workspace":
            self._new_workspace(tz)
        elif kind == "agent":
            self._new_agent(tz, data.draw(st.sampled_from(self.workspaces), label="workspace"))
        elif kind == "project":
            self._new_project(tz, data.draw(st.sampled_from(self.workspaces), label="workspace"))
        elif kind == "issue":
            ws = data.draw(st.sampled_from(self.workspaces), label="workspace")
            own = [p for p in self.projects if self.workspace_of[p] == ws]
            self._new_issue(tz, ws, data.draw(_optional([*own, *own, *self.projects]), label="project"))
        else:
            agent = data.draw(st.sampled_from(self.agents), label="agent")
            self._new_task(tz, agent, data.draw(_optional(self.issues), label="issue"))

    # ---- usage -----------------------------------------------------------------------------

    @precondition(lambda self: self.tasks)
    @rule(data=st.data())
    def insert_usage_at(self, data: st.DataObject) -> None:
        """UpsertTaskUsage (the SQL of queries/usage.sql plus an explicit created_at) of one to
        three new (task, provider, model) keys in one statement; sometimes legacy rows with
        updated_at NULL."""
        self._insert_usage(data, data.draw(st.integers(min_value=1, max_value=3), label="rows"))
        self._maybe_tick(data)

    def _insert_usage(self, data: st.DataObject, count: int, task: uuid.UUID | None = None) -> None:
        values: list[sql.Composable] = []
        for _ in range(count):
            free = [k for k in self._free_keys() if task in (None, k[0])]
            if not free:
                break
            key = data.draw(st.sampled_from(free), label="new usage key")
            created_at = self._created_at(data)
            tokens = data.draw(TOKEN_COUNTS, label="tokens")
            reported = data.draw(REPORTED_TICKS, label="reported ticks")
            legacy = data.draw(st.booleans(), label="legacy")
            values.append(
                sql.SQL("({})").format(
                    sql.SQL(", ").join(
                        [
                            *map(sql.Literal, [*key, *tokens, reported, created_at]),
                            sql.SQL("NULL" if legacy else "now()"),
                        ]
                    )
                )
            )
            self.usage[key] = created_at.astimezone(UTC).date()
        if not values:
            return
        query = sql.SQL(
            "INSERT INTO task_usage (task_id, provider, model, input_tokens, output_tokens,"
            " cache_read_tokens, cache_write_tokens, cost_usd_ticks, created_at, updated_at) VALUES {}"
            " ON CONFLICT (task_id, provider, model) DO UPDATE"
            " SET input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens,"
            " cache_read_tokens = EXCLUDED.cache_read_tokens,"
            " cache_write_tokens = EXCLUDED.cache_write_tokens,"
            " cost_usd_ticks = EXCLUDED.cost_usd_ticks, updated_at = now()"
        ).format(sql.SQL(", ").join(values))
        self._write(data.draw(st.sampled_from(TIME_ZONES), label="writer TimeZone"), query)

    def _free_keys(self) -> list[UsageKey]:
        return [
            (t, p, m) for t in self.tasks for m in MODELS for p in PROVIDERS if (t, p, m) not in self.usage
        ]

    @precondition(lambda self: self.tasks)
    @rule(data=st.data())
    def upsert_usage_now(self, data: st.DataObject) -> None:
        """app.db.queries.upsert_task_usage of a new key: created_at = now() (today, UTC)."""
        free = self._free_keys()
        if not free:
            return
        key = data.draw(st.sampled_from(free), label="new usage key")
        tokens = data.draw(TOKEN_COUNTS, label="tokens")
        reported = data.draw(REPORTED_TICKS, label="reported ticks")
        self._upsert(
            data.draw(st.sampled_from(TIME_ZONES), label="writer TimeZone"), [(key, tokens, reported)]
        )

        async def day() -> datetime.date:
            cur = await self.ctx.writer.execute(
                "SELECT (created_at AT TIME ZONE 'UTC')::date FROM task_usage"
                " WHERE task_id = %s AND provider = %s AND model = %s",
                key,
            )
            row = await cur.fetchone()
            assert row is not None
            value = row[0]
            assert isinstance(value, datetime.date)
            return value

        self.usage[key] = self.ctx.run(day())
        self._maybe_tick(data)

    def _upsert(self, tz: str, reports: list[tuple[UsageKey, tuple[int, int, int, int], int | None]]) -> None:
        self.wrote_since_tick = True

        async def go() -> None:
            await _set_time_zone(self.ctx.writer, tz)
            await queries.upsert_task_usage(
                self.ctx.writer,
                [
                    UsageReport(
                        task_id=t,
                        provider=p,
                        model=m,
                        input_tokens=tokens[0],
                        output_tokens=tokens[1],
                        cache_read_tokens=tokens[2],
                        cache_write_tokens=tokens[3],
                        cost_usd_ticks=reported,
                    )
                    for (t, p, m), tokens, reported in reports
                ],
            )

        self.ctx.run(go())

    @precondition(lambda self: self.usage)
    @rule(data=st.data())
    def re_report_usage(self, data: st.DataObject) -> None:
        """UpsertTaskUsage of existing keys (one batch): new counts, created_at kept."""
        keys = data.draw(
            st.lists(st.sampled_from(list(self.usage)), min_size=1, max_size=3, unique=True), label="keys"
        )
        tokens = data.draw(st.lists(TOKEN_COUNTS, min_size=len(keys), max_size=len(keys)), label="tokens")
        reported = data.draw(
            st.lists(REPORTED_TICKS, min_size=len(keys), max_size=len(keys)), label="reported ticks"
        )
        tz = data.draw(st.sampled_from(TIME_ZONES), label="writer TimeZone")
        self._upsert(tz, list(zip(keys, tokens, reported, strict=True)))
        self._maybe_tick(data)

    @precondition(lambda self: self.usage)
    @rule(data=st.data())
    def delete_usage(self, data: st.DataObject) -> None:
        tz = data.draw(st.sampled_from(TIME_ZONES), label="writer TimeZone")
        task, provider, model = data.draw(st.sampled_from(list(self.usage)), label="usage key")
        self._write(
            tz,
            "DELETE FROM task_usage WHERE task_id = %(t)s AND provider = %(p)s AND model = %(m)s",
            {"t": task, "p": provider, "m": model},
        )
        self._refresh()
        self._maybe_tick(data)

    # ---- deletes ---------------------------------------------------------------------------
    # Targets are drawn preferably among those that carry usage (a delete or move of something
    # without usage changes nothing the check could see).

    def _query_ids(self, query: str, params: tuple[Any, ...] = ()) -> set[uuid.UUID]:
        async def go() -> set[uuid.UUID]:
            cur = await self.ctx.writer.execute(query, params)
            return {row[0] for row in await cur.fetchall()}

        return self.ctx.run(go())

    def _pick(self, data: st.DataObject, items: list[uuid.UUID], query: str, label: str) -> uuid.UUID:
        """One of items: three times in four among those the query returns (ids carrying usage)."""
        carrying = self._query_ids(query)
        preferred = [i for i in items if i in carrying]
        anything = st.sampled_from(items)
        if not preferred:
            return data.draw(anything, label=label)
        some = st.sampled_from(preferred)
        return data.draw(st.one_of(some, some, some, anything), label=label)

    def _delete(self, tz: str, table: str, target: uuid.UUID) -> None:
        self._write(
            tz, sql.SQL("DELETE FROM {} WHERE id = %(id)s").format(sql.Identifier(table)), {"id": target}
        )
        self._refresh()

    @precondition(lambda self: self.tasks)
    @rule(data=st.data())
    def delete_task(self, data: st.DataObject) -> None:
        tz = data.draw(st.sampled_from(TIME_ZONES), label="writer TimeZone")
        task = self._pick(data, self.tasks, TASKS_WITH_USAGE, "task")
        self._delete(tz, "agent_task_queue", task)
        self._maybe_tick(data)

    @precondition(lambda self: self.issues)
    @rule(data=st.data())
    def delete_issue(self, data: st.DataObject) -> None:
        """Its tasks go with it (ON DELETE CASCADE), and their usage."""
        tz = data.draw(st.sampled_from(TIME_ZONES), label="writer TimeZone")
        self._delete(tz, "issue", self._pick(data, self.issues, ISSUES_WITH_USAGE, "issue"))
        self._maybe_tick(data)

    @precondition(lambda self: self.projects)
    @rule(data=st.data())
    def delete_project(self, data: st.DataObject) -> None:
        """Its issues get project_id NULL (ON DELETE SET NULL)."""
        tz = data.draw(st.sampled_from(TIME_ZONES), label="writer TimeZone")
        self._delete(tz, "project", self._pick(data, self.projects, PROJECTS_WITH_USAGE, "project"))
        self._maybe_tick(data)

    @precondition(lambda self: self.agents)
    @rule(data=st.data())
    def delete_agent(self, data: st.DataObject) -> None:
        tz = data.draw(st.sampled_from(TIME_ZONES), label="writer TimeZone")
        self._delete(tz, "agent", self._pick(data, self.agents, AGENTS_WITH_USAGE, "agent"))
        self._maybe_tick(data)

    # Not the last one, so the check after the next tick is never vacuous (rollup rows of deleted
    # workspaces are checked by the orphan query anyway).
    @precondition(lambda self: len(self.workspaces) > 1)
    @rule(data=st.data())
    def delete_workspace(self, data: st.DataObject) -> None:
        """Cascades to its agents, projects, issues, their tasks and usage."""
        tz = data.draw(st.sampled_from(TIME_ZONES), label="writer TimeZone")
        self._delete(tz, "workspace", self._pick(data, self.workspaces, WORKSPACES_WITH_USAGE, "workspace"))
        self._maybe_tick(data)

    # ---- moves -----------------------------------------------------------------------------

    @precondition(lambda self: self.issues)
    @rule(data=st.data())
    def move_issue(self, data: st.DataObject) -> None:
        """To another project (of any workspace) or to no project."""
        tz = data.draw(st.sampled_from(TIME_ZONES), label="writer TimeZone")
        issue = self._pick(data, self.issues, ISSUES_WITH_USAGE, "issue")
        current = self._query_ids("SELECT project_id FROM issue WHERE id = %s", (issue,))
        others: list[uuid.UUID | None] = [p for p in [None, *self.projects] if p not in current]
        if not others:
            return
        project = data.draw(st.sampled_from(others), label="project")
        self._write(tz, "UPDATE issue SET project_id = %(p)s WHERE id = %(i)s", {"p": project, "i": issue})
        self._maybe_tick(data)

    @precondition(lambda self: self.quick_tasks and self.issues)
    @rule(data=st.data())
    def link_task_to_issue(self, data: st.DataObject) -> None:
        """A quick-create task gets an issue (of any workspace): its usage joins that issue's
        project."""
        tz = data.draw(st.sampled_from(TIME_ZONES), label="writer TimeZone")
        task = self._pick(data, self.quick_tasks, TASKS_WITH_USAGE, "quick-create task")
        issue = self._pick(data, self.issues, ISSUES_IN_A_PROJECT, "issue")
        self._write(
            tz, "UPDATE agent_task_queue SET issue_id = %(i)s WHERE id = %(t)s", {"i": issue, "t": task}
        )
        self.quick_tasks.remove(task)
        self._maybe_tick(data)

    # ---- runs ------------------------------------------------------------------------------

    def _set_run(self, tz: str, data: st.DataObject, task: uuid.UUID) -> None:
        """The task's status, failure reason, completed_at (near a UTC midnight, or none) and
        started_at (before it by a run length that rounds either way, or none), as the platform's
        task lifecycle writes them, even out of order."""
        completed_at = data.draw(st.one_of(st.none(), st.just(self._created_at(data))), label="completed_at")
        length = data.draw(RUN_LENGTHS, label="run length")
        started_at = None if completed_at is None or length is None else completed_at - length
        self._write(
            tz,
            "UPDATE agent_task_queue SET status = %(s)s, failure_reason = %(r)s, started_at = %(st)s,"
            " completed_at = %(c)s WHERE id = %(t)s",
            {
                "s": data.draw(RUN_STATUSES, label="status"),
                "r": data.draw(FAILURE_REASONS, label="failure reason"),
                "st": started_at,
                "c": completed_at,
                "t": task,
            },
        )

    @precondition(lambda self: self.tasks)
    @rule(data=st.data())
    def run_task(self, data: st.DataObject) -> None:
        """A task starts, finishes, fails with a reason, is cancelled, or is reset, at any time."""
        tz = data.draw(st.sampled_from(TIME_ZONES), label="writer TimeZone")
        self._set_run(tz, data, self._pick(data, self.tasks, TERMINAL_TASKS, "task"))
        self._maybe_tick(data)

    @precondition(lambda self: self.tasks and len(self.agents) > 1)
    @rule(data=st.data())
    def reassign_task(self, data: st.DataObject) -> None:
        """A task moves to another agent (of any workspace): its run and usage follow the agent."""
        tz = data.draw(st.sampled_from(TIME_ZONES), label="writer TimeZone")
        task = self._pick(data, self.tasks, TERMINAL_TASKS, "task")
        agent = data.draw(st.sampled_from(self.agents), label="agent")
        self._write(
            tz, "UPDATE agent_task_queue SET agent_id = %(a)s WHERE id = %(t)s", {"a": agent, "t": task}
        )
        self._maybe_tick(data)

    # ---- ticks and the check ---------------------------------------------------------------

    @precondition(lambda self: self.wrote_since_tick)
    @rule(tz=st.sampled_from(TIME_ZONES), reader_tz=st.sampled_from(TIME_ZONES), app=st.booleans())
    def tick_then_check(self, tz: str, reader_tz: str, app: bool) -> None:
        """Tick from a session in TimeZone tz, then compare the read paths from one in reader_tz.

        The tick is app.rollup.tick.tick_until_caught_up (the CLI's) when app, else
        `SELECT rollup_task_usage_dashboard_daily()` repeated until the queue is empty."""
        self._tick_and_check(tz, reader_tz, app=app)

    def _maybe_tick(self, data: st.DataObject) -> None:
        """Half the time, tick and check right after a write that moves or removes usage, before
        a later write to the same UTC day rebuilds that day anyway and hides a missed key."""
        if data.draw(st.booleans(), label="tick now"):
            self._tick_and_check(
                data.draw(st.sampled_from(TIME_ZONES), label="tick TimeZone"),
                data.draw(st.sampled_from(TIME_ZONES), label="reader TimeZone"),
                app=data.draw(st.booleans(), label="tick_until_caught_up"),
            )
        else:
            self._check_without_tick(data.draw(st.sampled_from(TIME_ZONES), label="reader TimeZone"))

    def _check_without_tick(self, reader_tz: str) -> None:
        """Compare the read paths with the write's keys still queued: the rollup path must
        correct for them at read time (fresh at every instant)."""
        self.check_failed = True  # until it returns
        self.ctx.run(self._compare(reader_tz, ticked=False))
        self.check_failed = False

    def _tick_and_check(self, tz: str, reader_tz: str, *, app: bool) -> None:
        async def go() -> None:
            await _set_time_zone(self.ctx.ticker, tz)
            if app:
                await tick_until_caught_up(self.ctx.ticker)
            else:
                await _tick_sql_until_empty(self.ctx.ticker)
            await self._compare(reader_tz, ticked=True)

        self.check_failed = True  # until it returns
        self.ctx.run(go())
        self.check_failed = self.wrote_since_tick = False

    def teardown(self) -> None:
        # Every example ends with a tick and a check, whatever its last step was, unless a check
        # already failed (teardown runs in a `finally`): one failure per example.
        if RollupMachine.shared is not None and not self.check_failed:
            self._tick_and_check("Pacific/Kiritimati", "Pacific/Pago_Pago", app=False)

    async def _check_levels(self, conn: AConn) -> None:
        """Right after a tick, no rollup row survives its agent and every level agrees with the one
        below it (between ticks they lag by what the queue holds)."""
        cur = await conn.execute(
            "SELECT count(*) FROM task_usage_dashboard_daily AS d"
            " WHERE NOT EXISTS (SELECT 1 FROM agent AS a"
            " WHERE a.id = d.agent_id AND a.workspace_id = d.workspace_id)"
        )
        orphans = await cur.fetchone()
        assert orphans is not None
        assert orphans[0] == 0, "rollup rows of a deleted agent or workspace survived the tick"
        cur = await conn.execute(RUN_ROLLUP_ORPHANS_SQL)
        orphans = await cur.fetchone()
        assert orphans is not None
        assert orphans[0] == 0, "run rollup rows of a deleted agent or workspace survived the tick"
        for level_check, level in (
            (TASK_LEVEL_MISMATCHES_SQL, "the per-task level differs from raw usage"),
            (PROJECT_MONTH_MISMATCHES_SQL, "the monthly per-project level differs from the base table"),
            (WEEK_LEVEL_MISMATCHES_SQL, "the weekly per-agent level differs from the per-agent daily level"),
        ):
            cur = await conn.execute(level_check)
            mismatches = await cur.fetchone()
            assert mismatches is not None
            assert mismatches[0] == 0, level

    async def _compare(self, reader_tz: str, *, ticked: bool) -> None:
        conn = self.ctx.reader
        await _set_time_zone(conn, reader_tz)
        if ticked:
            await self._check_levels(conn)
        now = datetime.datetime.now(UTC)
        windows = {f"days={days}": window_for_days(days, now=now) for days in WINDOW_DAYS}
        # Beyond what the API serves, so rows older than 365 days or in the future are compared too.
        whole = window_for_days(2 * FAR_DAYS, now=now + datetime.timedelta(days=FAR_DAYS))
        windows[f"{whole.since.date()}..{whole.until.date()}"] = whole
        for ws in self.workspaces:
            own = [p for p in self.projects if self.workspace_of[p] == ws]
            foreign = [p for p in self.projects if self.workspace_of[p] != ws][:1]
            for label, window in windows.items():
                for project in [None, *own, *foreign]:
                    f = DashboardFilter(workspace_id=ws, window=window, project_id=project)
                    where = f"workspace {ws}, {label}, project {project}, reader TimeZone {reader_tz}"
                    raw_daily = await queries.list_dashboard_usage_daily(conn, f)
                    rollup_daily = await queries.list_dashboard_usage_daily_rollup(conn, f)
                    assert rollup_daily == raw_daily, f"usage/daily differs: {where}"
                    raw_by_agent = await queries.list_dashboard_usage_by_agent(conn, f)
                    rollup_by_agent = await queries.list_dashboard_usage_by_agent_rollup(conn, f)
                    assert rollup_by_agent == raw_by_agent, f"usage/by-agent differs: {where}"
                    await _compare_run_routes(conn, f, where)
            for days in VIEWER_WINDOW_DAYS:
                f = DashboardFilter(workspace_id=ws, window=window_for_days(days, zone_named(reader_tz), now))
                where = f"workspace {ws}, days={days} viewed in {reader_tz}"
                await _compare_paths(conn, f, where, ("daily", "by_agent"))
                await _compare_run_routes(conn, f, where)


RUN_READ_PATH_FIELDS = ("agent_runtime", "runtime_daily", "failures_daily", "failures_by_agent")


async def _compare_paths(conn: AConn, f: DashboardFilter, where: str, routes: tuple[str, ...]) -> None:
    """The named read path queries (DashboardReadPath's fields) on both read paths."""
    db = DashboardDb.of(conn)
    for route in routes:
        rollup = await getattr(ROLLUP, route)(db, f)
        assert rollup == await getattr(RAW, route)(db, f), f"{route} differs: {where}"


async def _compare_run_routes(conn: AConn, f: DashboardFilter, where: str) -> None:
    """The four run routes on both read paths."""
    await _compare_paths(
        conn, f, where, ("agent_runtime", "runtime_daily", "failures_daily", "failures_by_agent")
    )


async def _connect(url: str) -> AConn:
    return await AsyncConnection.connect(url, autocommit=True)


def test_rollup_matches_raw_under_random_writes(database_url: str) -> None:
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        writer = runner.run(_connect(database_url))
        ticker = runner.run(_connect(database_url))
        reader = runner.run(_connect(database_url))
        RollupMachine.shared = Context(
            runner=runner,
            writer=writer,
            ticker=ticker,
            reader=reader,
            today=datetime.datetime.now(UTC).date(),
        )
        try:
            run_state_machine_as_test(
                RollupMachine,
                settings=settings(
                    max_examples=40,
                    stateful_step_count=20,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                ),
            )
        finally:
            RollupMachine.shared = None
            for conn in (writer, ticker, reader):
                runner.run(conn.close())
