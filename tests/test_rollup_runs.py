"""The run rollup (docs/rollup.md, "The run rollup"): every write that changes what the run routes
count, read on both paths before a tick (fresh at every instant) and after one (rolled up).

Every test builds the same small world of runs, backfills, makes ONE write, and checks that the
four run routes agree on both read paths with the write's keys still queued, that the tick
drains them and moves the rolled-up buckets, and that the paths still agree after it.
"""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from app.api.read_path import RAW, ROLLUP, DashboardDb
from app.db.migrate import Runner
from app.db.queries import DashboardFilter
from app.window import local_midnight, today_in, window_for_dates, window_for_days
from tests.rollup_helpers import (
    RUN_ROUTES,
    Conn,
    assert_matches,
    assert_no_orphan_rollup_rows,
    assert_run_routes_match,
    at,
    backfill,
    catch_up,
    connect,
    fill_splits,
    register_zones,
    tick,
)
from tests.world import World

MINUTE = datetime.timedelta(minutes=1)
MICROSECOND = datetime.timedelta(microseconds=1)
RUN_TABLES = (
    "task_run_dashboard_daily",
    "task_run_dashboard_daily_agent",
    "task_run_dashboard_monthly_agent",
    "task_run_dashboard_daily_split",
)


@dataclass(frozen=True)
class Runs:
    """Two workspaces; agents, projects and issues; runs of every kind on a few UTC days."""

    ws: uuid.UUID
    other_ws: uuid.UUID
    agent_a: uuid.UUID
    agent_b: uuid.UUID
    agent_other: uuid.UUID
    project_1: uuid.UUID
    project_2: uuid.UUID
    issue_1: uuid.UUID
    issue_2: uuid.UUID
    done: uuid.UUID
    failed: uuid.UUID
    quick: uuid.UUID
    running: uuid.UUID

    @property
    def workspaces(self) -> list[uuid.UUID]:
        return [self.ws, self.other_ws]

    @property
    def projects(self) -> dict[uuid.UUID, list[uuid.UUID]]:
        return {self.ws: [self.project_1, self.project_2]}


def ended(
    world: World,
    agent: uuid.UUID,
    issue: uuid.UUID | None,
    status: str,
    completed_at: datetime.datetime,
    minutes: int | None = 5,
    reason: str | None = None,
) -> uuid.UUID:
    """A terminal run that ended at completed_at after `minutes` (never started when None)."""
    started_at = None if minutes is None else completed_at - minutes * MINUTE
    return world.task(
        agent,
        issue,
        status=status,
        started_at=started_at,
        completed_at=completed_at,
        failure_reason=reason,
    )


def build(world: World) -> Runs:
    ws, other_ws = world.workspace(), world.workspace()
    agent_a, agent_b, agent_other = world.agent(ws), world.agent(ws), world.agent(other_ws)
    project_1, project_2 = world.project(ws), world.project(ws)
    issue_1, issue_2, issue_none = world.issue(ws, project_1), world.issue(ws, project_2), world.issue(ws)
    done = ended(world, agent_a, issue_1, "completed", at(3, 0, 1), minutes=7)
    failed = ended(world, agent_b, issue_2, "failed", at(3, 23, 59), minutes=61, reason="timeout")
    ended(world, agent_a, issue_none, "failed", at(1, 0), reason=None)
    ended(world, agent_a, issue_2, "failed", at(1, 12), reason="")
    quick = ended(world, agent_b, None, "cancelled", at(2), minutes=3)
    ended(world, agent_a, issue_1, "cancelled", at(2), minutes=None)
    ended(world, agent_b, issue_1, "completed", at(5), minutes=None)
    ended(world, agent_a, issue_1, "completed", at(100), minutes=90)
    ended(world, agent_other, None, "completed", at(3), minutes=11)
    running = world.task(agent_a, issue_2, status="running", started_at=at(0, 0))
    return Runs(
        ws,
        other_ws,
        agent_a,
        agent_b,
        agent_other,
        project_1,
        project_2,
        issue_1,
        issue_2,
        done,
        failed,
        quick,
        running,
    )


def run_queue(db: Conn) -> list[tuple[uuid.UUID, datetime.date]]:
    """The run queue's (workspace, UTC day) keys in id order."""
    rows = db.execute("SELECT workspace_id, bucket_date FROM task_run_dashboard_dirty ORDER BY id")
    return [(r[0], r[1]) for r in rows]


def run_buckets(db: Conn, workspace_id: uuid.UUID) -> set[tuple[Any, ...]]:
    """The workspace's per-agent daily rows of the run rollup, every column but the workspace."""
    rows = db.execute(
        "SELECT project_id, bucket_date, agent_id, failure_reason, finished_count, run_count,"
        " run_micros, cancelled_count FROM task_run_dashboard_daily_agent WHERE workspace_id = %s",
        (workspace_id,),
    )
    return {tuple(r) for r in rows}


async def prepared(world: World, database_url: str) -> Runs:
    """The runs, backfilled, before the write under test."""
    runs = build(world)
    await backfill(database_url)
    return runs


def set_task(db: Conn, task: uuid.UUID, **columns: Any) -> None:
    assignments = ", ".join(f"{name} = %({name})s" for name in columns)
    db.execute(f"UPDATE agent_task_queue SET {assignments} WHERE id = %(task)s", {**columns, "task": task})


# One write of every kind that changes what the run routes count.
WRITES: dict[str, Callable[[World, Conn, Runs], object]] = {
    "a running task completes": lambda w, db, r: set_task(
        db, r.running, status="completed", completed_at=at(0, 0, 30)
    ),
    "a new run is written already ended": lambda w, db, r: ended(
        w, r.agent_b, r.issue_1, "failed", at(4, 23), reason="agent_error"
    ),
    "a failure reason changes": lambda w, db, r: set_task(db, r.failed, failure_reason="agent_error"),
    "completed_at moves to another day": lambda w, db, r: set_task(db, r.done, completed_at=at(4, 12)),
    "started_at moves": lambda w, db, r: set_task(db, r.done, started_at=at(4, 12)),
    "a completed run is marked failed": lambda w, db, r: set_task(db, r.done, status="failed"),
    "a completed run is marked cancelled": lambda w, db, r: set_task(db, r.done, status="cancelled"),
    "a failed run is requeued": lambda w, db, r: set_task(db, r.failed, status="queued", completed_at=None),
    "a run moves to another agent": lambda w, db, r: set_task(db, r.done, agent_id=r.agent_b),
    "a run moves to another workspace's agent": lambda w, db, r: set_task(db, r.done, agent_id=r.agent_other),
    "a quick-create run gets an issue": lambda w, db, r: set_task(db, r.quick, issue_id=r.issue_1),
    "an issue moves to another project": lambda w, db, r: db.execute(
        "UPDATE issue SET project_id = %s WHERE id = %s", (r.project_2, r.issue_1)
    ),
    "an issue leaves its project": lambda w, db, r: db.execute(
        "UPDATE issue SET project_id = NULL WHERE id = %s", (r.issue_1,)
    ),
    "an agent moves to another workspace": lambda w, db, r: db.execute(
        "UPDATE agent SET workspace_id = %s WHERE id = %s", (r.other_ws, r.agent_b)
    ),
    "a task is deleted": lambda w, db, r: db.execute("DELETE FROM agent_task_queue WHERE id = %s", (r.done,)),
    "an issue is deleted": lambda w, db, r: db.execute("DELETE FROM issue WHERE id = %s", (r.issue_1,)),
    "a project is deleted": lambda w, db, r: db.execute("DELETE FROM project WHERE id = %s", (r.project_1,)),
    "an agent is deleted": lambda w, db, r: db.execute("DELETE FROM agent WHERE id = %s", (r.agent_a,)),
    "a workspace is deleted": lambda w, db, r: db.execute("DELETE FROM workspace WHERE id = %s", (r.ws,)),
    "the task table is truncated": lambda w, db, r: db.execute("TRUNCATE agent_task_queue CASCADE"),
}


@pytest.mark.parametrize("write", list(WRITES))
async def test_every_write_is_read_fresh_then_rolled_up(
    write: str, world: World, db: Conn, database_url: str
) -> None:
    r = await prepared(world, database_url)
    assert run_queue(db) == []
    before = run_buckets(db, r.ws)
    assert before

    WRITES[write](world, db, r)
    assert r.ws in {ws for ws, _ in run_queue(db)}, "the write queued nothing for its workspace"
    # Fresh: the queued days are read from raw tasks, before any tick.
    await assert_matches(database_url, r.workspaces, r.projects)
    await assert_matches(database_url, r.workspaces, r.projects, time_zone="Asia/Kolkata")

    await catch_up(database_url)
    assert run_queue(db) == []
    assert run_buckets(db, r.ws) != before, "the tick left the written buckets as they were"
    await assert_matches(database_url, r.workspaces, r.projects)
    assert_no_orphan_rollup_rows(db)


async def test_the_rollup_path_reads_the_run_rollup(world: World, db: Conn, database_url: str) -> None:
    r = await prepared(world, database_url)
    for days in (7, 365):
        f = DashboardFilter(workspace_id=r.ws, window=window_for_days(days))
        async with await connect(database_url) as conn:
            assert await assert_run_routes_match(conn, f, f"days={days}") > 0
            before = [await getattr(ROLLUP, route)(DashboardDb.of(conn), f) for route in RUN_ROUTES]
            for table in RUN_TABLES:
                db.execute(
                    f"UPDATE {table} SET finished_count = finished_count + 1, run_count = run_count + 1"
                )
            after = [await getattr(ROLLUP, route)(DashboardDb.of(conn), f) for route in RUN_ROUTES]
            for table in RUN_TABLES:
                db.execute(
                    f"UPDATE {table} SET finished_count = finished_count - 1, run_count = run_count - 1"
                )
            for route, old, new in zip(RUN_ROUTES, before, after, strict=True):
                assert new != old, f"{route} over {days} days does not read the rollup"
            assert [await getattr(RAW, route)(DashboardDb.of(conn), f) for route in RUN_ROUTES] == before


async def test_a_run_committed_after_a_tick_is_read_and_rolled_up(
    world: World, db: Conn, database_url: str
) -> None:
    r = await prepared(world, database_url)
    with psycopg.connect(database_url, autocommit=False) as writer:
        writer.execute(
            "UPDATE agent_task_queue SET status = 'failed', completed_at = %s, failure_reason = 'late'"
            " WHERE id = %s",
            (at(0, 0, 20), r.running),
        )
        # The tick runs while the write is open: it cannot see the key and must not lose it.
        assert (tick(db) or 0) >= 0
        writer.commit()
    assert [ws for ws, _ in run_queue(db)] == [r.ws]
    await assert_matches(database_url, r.workspaces, r.projects)
    await catch_up(database_url)
    assert ("late",) in {(b[3],) for b in run_buckets(db, r.ws)}
    await assert_matches(database_url, r.workspaces, r.projects)


def runs_around_midnights(world: World, workspace_id: uuid.UUID, zone: zoneinfo.ZoneInfo) -> uuid.UUID:
    """Runs ending one microsecond either side of several local midnights (DST days included),
    in a project and in none, failed and completed; returns the project."""
    agent = world.agent(workspace_id)
    project = world.project(workspace_id)
    issue = world.issue(workspace_id, project)
    today = today_in(zone)
    days = [today - datetime.timedelta(days=n) for n in (0, 1, 2, 29, 40, 200)]
    days += [datetime.date(2026, 3, 8), datetime.date(2026, 3, 9), datetime.date(2026, 11, 1)]
    now = datetime.datetime.now(datetime.UTC)
    for n, local_day in enumerate(days):
        edge = local_midnight(local_day, zone)
        for k, completed_at in enumerate((edge - MICROSECOND, edge, edge + 7 * 60 * MINUTE)):
            if completed_at <= now:
                status = ("completed", "failed")[(n + k) % 2]
                ended(
                    world, agent, issue if k % 2 else None, status, completed_at, minutes=n + k, reason=None
                )
    return project


@pytest.mark.parametrize(
    "zone_name", ["Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham", "America/New_York"]
)
async def test_local_days_of_runs_are_exact_in_every_zone(
    zone_name: str, world: World, db: Conn, database_url: str
) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)
    ws = world.workspace()
    project = runs_around_midnights(world, ws, zone)
    windows = [window_for_days(d, zone) for d in (1, 7, 30, 365)]
    windows.append(window_for_dates(datetime.date(2026, 3, 1), datetime.date(2026, 11, 30), zone))

    async def agree() -> int:
        compared = 0
        async with await connect(database_url) as conn:
            for window in windows:
                for project_id in (None, project):
                    f = DashboardFilter(workspace_id=ws, window=window, project_id=project_id)
                    compared += await assert_run_routes_match(conn, f, f"{window.first_date} +{window.days}")
        return compared

    # Before the backfill (every day read raw), after it with the zone's prefixes filled, and
    # with a fresh write queued on top.
    assert await agree() > 20
    await register_zones(database_url, [zone_name])
    await backfill(database_url)
    await fill_splits(database_url)
    assert db.execute("SELECT count(*) FROM task_run_dashboard_daily_split").fetchone() != (0,)
    assert await agree() > 20
    edge = local_midnight(today_in(zone) - datetime.timedelta(days=1), zone)
    ended(world, world.agent(ws), None, "failed", edge - MICROSECOND, reason="timeout")
    assert await agree() > 20
    await catch_up(database_url)
    assert await agree() > 20


async def test_upgrading_to_the_run_rollup_queues_existing_runs(database_url: str) -> None:
    # Runs written before 0009 (down to 0008, which has no run triggers), then 0009 again.
    assert Runner(database_url).down("0008") == ["0012", "0011", "0010", "0009"]
    with psycopg.connect(database_url, autocommit=True) as db:
        r = build(World(db))
        assert Runner(database_url).up() == ["0009", "0010", "0011", "0012"]
        assert {ws for ws, _ in run_queue(db)} == set(r.workspaces)
        # Read fresh from raw tasks until the ticks have rolled them up.
        await assert_matches(database_url, r.workspaces, r.projects)
        await catch_up(database_url)
        assert run_queue(db) == []
        assert run_buckets(db, r.ws)
        assert await assert_matches(database_url, r.workspaces, r.projects) > 0


async def test_a_backlog_of_40_run_days_is_worked_off_in_steps_of_at_most_31_days(
    world: World, db: Conn, database_url: str
) -> None:
    r = await prepared(world, database_url)
    for days_ago in range(1, 41):
        ended(world, r.agent_a, r.issue_2, "completed", at(days_ago, 9), minutes=days_ago)
    assert len({d for _, d in run_queue(db)}) == 40

    assert (tick(db) or 0) > 0
    # Oldest keys first: the first 31 enqueued days are drained, the last 9 wait.
    assert {d for _, d in run_queue(db)} == {at(n).date() for n in range(32, 41)}
    await assert_matches(database_url, r.workspaces, r.projects)

    report = await catch_up(database_url)
    assert report.steps >= 1
    assert run_queue(db) == []
    assert await assert_matches(database_url, r.workspaces, r.projects) > 0
