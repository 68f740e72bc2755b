"""The backfill (rollup.md, "Driving it"): dry run, convergence, resume, partial refusal, CLI."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from app.rollup.backfill import plan_backfill, run_backfill
from tests.rollup_helpers import (
    Conn,
    advisory_locks,
    assert_matches,
    at,
    backfill,
    catch_up,
    connect,
    day,
    month_edge_windows,
    month_start,
    queue,
    register_zones,
    rollup_rows,
    rollup_state,
    rollup_tables,
    run_cli,
    tick,
)
from tests.world import World, midnight, today_utc

# Spread over at least three UTC months whatever today is (100 days back reaches 3+ months).
DAYS_AGO = (0, 1, 20, 35, 50, 70, 100)


def month_edge_instants() -> list[datetime.datetime]:
    """The first and last instants of UTC months' first and last days, recent and a year back.

    A year back they fall on the leading edge days of the 365-day window, recent ones on the
    edges of the shorter windows and of whole months.
    """
    today = today_utc()
    instants = []
    for months_back in (0, 1, 2, 11, 12):
        first = month_start(today, months_back)
        instants.append(midnight(first))
        last_of_previous = first - datetime.timedelta(days=1)
        instants.append(midnight(last_of_previous) + datetime.timedelta(hours=23, minutes=59, seconds=59))
    return instants


@dataclass(frozen=True)
class History:
    """Two workspaces with usage on each of DAYS_AGO."""

    workspaces: list[uuid.UUID]
    projects: dict[uuid.UUID, list[uuid.UUID]]


def run(k: int, completed_at: datetime.datetime) -> dict[str, Any]:
    """A terminal run that ended at completed_at: completed, failed or cancelled by k."""
    return {
        "status": ("completed", "failed", "cancelled")[k % 3],
        "started_at": completed_at - datetime.timedelta(minutes=k + 1),
        "completed_at": completed_at,
        "failure_reason": "timeout" if k % 3 == 1 else None,
    }


def history(world: World) -> History:
    workspaces: list[uuid.UUID] = []
    projects: dict[uuid.UUID, list[uuid.UUID]] = {}
    for n in range(2):
        ws = world.workspace()
        agent = world.agent(ws)
        project = world.project(ws)
        issue = world.issue(ws, project)
        for days_ago in DAYS_AGO:
            task = world.task(agent, issue if days_ago % 2 else None, **run(days_ago, at(days_ago)))
            world.usage(
                task, model=f"m{n}", input_tokens=days_ago + 1, output_tokens=n, created_at=at(days_ago)
            )
        for k, ts in enumerate(month_edge_instants()):
            task = world.task(agent, issue if k % 2 else None, **run(k, ts))
            world.usage(task, model="edge", input_tokens=1_000 * (k + 1), created_at=ts)
        workspaces.append(ws)
        projects[ws] = [project]
    return History(workspaces, projects)


def usage_days(db: Conn) -> set[datetime.date]:
    """The UTC days that have usage."""
    rows = db.execute("SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM task_usage").fetchall()
    return {r[0] for r in rows}


def forget_queue(db: Conn) -> None:
    """As if the usage predated the triggers (first enable): only a backfill can roll it up."""
    db.execute("DELETE FROM task_usage_dashboard_dirty")


def everything(db: Conn) -> tuple[list[dict[str, Any]], list[tuple[int, datetime.date]], dict[str, Any]]:
    return rollup_rows(db), queue(db), rollup_state(db)


async def test_a_dry_run_changes_nothing(world: World, db: Conn, database_url: str) -> None:
    h = history(world)
    await catch_up(database_url)
    world.usage(world.task(world.agent(h.workspaces[0])), model="queued", input_tokens=1, created_at=at(5))
    before = everything(db)
    assert before[0] != []
    assert before[1] != []

    result = run_cli(database_url, "backfill", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "dry run" in result.stdout
    assert "usage rows" in result.stdout
    assert everything(db) == before
    assert advisory_locks(db) == 0


async def test_a_backfill_from_an_empty_rollup_converges_to_raw_and_stamps_the_watermark(
    world: World, db: Conn, database_url: str
) -> None:
    h = history(world)
    forget_queue(db)
    assert rollup_rows(db) == []

    plan = await backfill(database_url)

    assert len(plan.slices) >= 3
    assert not plan.resumed
    assert (
        await assert_matches(database_url, h.workspaces, h.projects, extra_windows=month_edge_windows()) > 0
    )
    state = rollup_state(db)
    assert state["watermark_at"] == plan.upper_bound
    assert state["backfill_upper_bound"] is None
    assert state["backfill_done_before"] is None
    assert {r["bucket_date"] for r in rollup_rows(db)} == usage_days(db)
    assert advisory_locks(db) == 0


async def test_a_backfill_over_a_rolled_up_history_rewrites_what_changed_and_refills_what_is_gone(
    world: World, db: Conn, database_url: str
) -> None:
    # Days with base rows are upserted, days without are inserted plainly: one backfill here
    # walks months of both kinds.
    h = history(world)
    await catch_up(database_url)
    db.execute("UPDATE task_usage SET input_tokens = input_tokens + 7 WHERE model = 'edge'")
    emptied = month_start(today_utc(), 2)
    db.execute(
        "DELETE FROM task_usage_dashboard_daily WHERE bucket_date >= %s AND bucket_date < %s",
        (emptied, month_start(today_utc(), 1)),
    )
    forget_queue(db)
    assert rollup_rows(db, "bucket_date >= %(d)s AND bucket_date < %(d)s + 31", {"d": emptied}) == []

    await backfill(database_url)

    assert (
        await assert_matches(database_url, h.workspaces, h.projects, extra_windows=month_edge_windows()) > 0
    )
    assert {r["bucket_date"] for r in rollup_rows(db)} == usage_days(db)


async def test_a_backfill_drains_the_keys_of_the_days_it_rebuilt(
    world: World, db: Conn, database_url: str
) -> None:
    h = history(world)
    assert {d for _, d in queue(db)} == usage_days(db)
    await backfill(database_url)
    assert queue(db) == []
    assert tick(db) == 0
    assert (
        await assert_matches(database_url, h.workspaces, h.projects, extra_windows=month_edge_windows()) > 0
    )


class BackfillInterruptedError(Exception):
    """Raised by the progress callback to cut a backfill short."""


async def test_an_interrupted_backfill_keeps_its_progress_releases_the_lock_and_resumes(
    world: World, db: Conn, database_url: str
) -> None:
    h = history(world)
    forget_queue(db)

    def stop_after_first_slice(done: int, total: int) -> None:
        assert total >= 3
        raise BackfillInterruptedError

    async with await connect(database_url) as conn:
        plan = await plan_backfill(conn)
        assert len(plan.slices) >= 3
        with pytest.raises(BackfillInterruptedError):
            await run_backfill(conn, plan, on_progress=stop_after_first_slice)
        # The session is still open: the lock must be released, not only dropped at disconnect.
        assert advisory_locks(db) == 0

    state = rollup_state(db)
    assert state["backfill_upper_bound"] == plan.upper_bound
    assert state["backfill_done_before"] == plan.slices[0].end
    assert state["watermark_at"] is None
    first_month = {r["bucket_date"] for r in rollup_rows(db)}
    assert first_month != set()
    assert all(plan.slices[0].start.date() <= d < plan.slices[0].end.date() for d in first_month)

    status = run_cli(database_url, "rollup", "status")
    assert status.returncode == 0, status.stderr
    assert "backfilling" in status.stdout
    assert "interrupted" in status.stdout

    async with await connect(database_url) as conn:
        resumed = await plan_backfill(conn)
        assert resumed.resumed
        assert resumed.upper_bound == plan.upper_bound
        assert resumed.slices == plan.slices[1:]
        await run_backfill(conn, resumed)

    state = rollup_state(db)
    assert state["watermark_at"] == plan.upper_bound
    assert state["backfill_upper_bound"] is None
    assert (
        await assert_matches(database_url, h.workspaces, h.projects, extra_windows=month_edge_windows()) > 0
    )


async def test_a_backfill_holds_the_ticks_lock_while_it_walks(
    world: World, db: Conn, database_url: str
) -> None:
    h = history(world)
    ticks_during: list[int | None] = []

    def tick_meanwhile(done: int, total: int) -> None:
        ticks_during.append(tick(db))

    async with await connect(database_url) as conn:
        plan = await plan_backfill(conn)
        await run_backfill(conn, plan, on_progress=tick_meanwhile)
    assert ticks_during == [None] * len(plan.slices)
    assert advisory_locks(db) == 0
    assert (
        await assert_matches(database_url, h.workspaces, h.projects, extra_windows=month_edge_windows()) > 0
    )


async def test_months_back_refuses_a_partial_backfill_unless_forced(
    world: World, db: Conn, database_url: str
) -> None:
    history(world)
    forget_queue(db)
    before = rollup_state(db)

    refused = run_cli(database_url, "backfill", "--months-back", "1")
    assert refused.returncode != 0
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert "--force-partial" in lines[0]
    assert rollup_state(db) == before
    assert rollup_rows(db) == []

    forced = run_cli(database_url, "backfill", "--months-back", "1", "--force-partial")
    assert forced.returncode == 0, forced.stderr
    this_month = month_start(today_utc())
    built = {r["bucket_date"] for r in rollup_rows(db)}
    assert built == {d for d in usage_days(db) if d >= this_month}
    assert day(100) not in built
    assert rollup_state(db)["watermark_at"] is not None


async def test_force_partial_without_months_back_is_refused(db: Conn, database_url: str) -> None:
    result = run_cli(database_url, "backfill", "--force-partial")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert rollup_state(db)["watermark_at"] is None


async def test_the_cli_backfills_ticks_and_reports_the_watermark(
    world: World, db: Conn, database_url: str
) -> None:
    h = history(world)
    forget_queue(db)

    done = run_cli(database_url, "backfill")
    assert done.returncode == 0, done.stderr
    assert "watermark" in done.stdout
    watermark = rollup_state(db)["watermark_at"]
    assert isinstance(watermark, datetime.datetime)
    assert (
        await assert_matches(database_url, h.workspaces, h.projects, extra_windows=month_edge_windows()) > 0
    )

    world.usage(world.task(world.agent(h.workspaces[0])), model="late", input_tokens=5, created_at=at(2))
    ticked = run_cli(database_url, "rollup", "tick")
    assert ticked.returncode == 0, ticked.stderr
    assert [r["input_tokens"] for r in rollup_rows(db, "model = 'late'")] == [5]
    watermark = rollup_state(db)["watermark_at"]

    status = run_cli(database_url, "rollup", "status")
    assert status.returncode == 0, status.stderr
    [line] = [x for x in status.stdout.splitlines() if x.startswith("watermark:")]
    printed = datetime.datetime.fromisoformat(line.split(":", 1)[1].strip())
    assert printed == watermark.replace(microsecond=0)


async def test_a_backfill_leaves_the_planner_statistics_of_what_it_wrote(
    world: World, db: Conn, database_url: str
) -> None:
    history(world)
    # A viewer in Kolkata: the backfill fills that zone's prefixes too.
    await register_zones(database_url, ["Asia/Kolkata"])
    await backfill(database_url)
    # ANALYZE sets reltuples (-1 until a table was first analyzed or vacuumed); it reads every
    # row of tables this small, so the estimate is the count.
    tables = rollup_tables(db)
    assert "task_usage_dashboard_weekly_agent_model" in tables
    for table in tables:
        [(estimated, counted)] = db.execute(
            f"SELECT (SELECT reltuples FROM pg_class WHERE oid = '{table}'::regclass),"
            f" (SELECT count(*) FROM {table})"
        ).fetchall()
        assert counted > 0, f"{table} is empty: the check would be vacuous"
        assert estimated == counted, f"{table}: reltuples {estimated}, rows {counted}"


QUEUES = ("task_usage_dashboard_dirty", "task_run_dashboard_dirty")


def _vacuums(db: Conn, table: str) -> int:
    # vacuum_count counts explicit VACUUMs only (autovacuum has its own counter). Dead keys left
    # are not checked: a snapshot still open elsewhere (any session's) may keep some.
    [(vacuums,)] = db.execute(
        "SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = %s::regclass", (table,)
    ).fetchall()
    return int(vacuums)


async def test_a_backfill_vacuums_the_queue_keys_it_drained(
    world: World, db: Conn, database_url: str
) -> None:
    """The walk drains a key per usage row and run written; every read probes the queue, so the
    backfill vacuums them away before it finishes instead of leaving them to autovacuum."""
    history(world)
    before = {table: _vacuums(db, table) for table in QUEUES}
    for table in QUEUES:
        [(queued,)] = db.execute(f"SELECT count(*) FROM {table}").fetchall()
        assert queued > 0, f"{table} is empty: the check would be vacuous"
    await backfill(database_url)
    for table in QUEUES:
        assert _vacuums(db, table) == before[table] + 1, f"{table} was not vacuumed by the backfill"
