"""The rollup's guarantees (docs/rollup.md), each by a test that fails without it.

Concurrency is ordered with open transactions and locks, never with sleeps: where a test must
know that a tick is waiting, it watches pg_locks for the tick's ungranted lock request.
"""

from __future__ import annotations

import asyncio
import datetime
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import load_settings
from app.db import queries
from app.db.queries import DashboardFilter, UsageReport
from app.rollup.backfill import plan_backfill, run_backfill
from app.rollup.tick import TickError, tick_until_caught_up
from app.window import window_for_days
from tests.conftest import Client
from tests.rollup_helpers import (
    Conn,
    advisory_locks,
    assert_matches,
    assert_run_routes_match,
    at,
    backfill,
    catch_up,
    connect,
    counted_tick,
    day,
    month_edge_windows,
    queue,
    queued_days,
    rollup_rows,
    rollup_state,
    run_cli,
    tick,
)
from tests.world import World, today_utc

BOOM = "ALTER TABLE task_usage_dashboard_daily ADD CONSTRAINT boom CHECK (input_tokens < 0) NOT VALID"
UNBOOM = "ALTER TABLE task_usage_dashboard_daily DROP CONSTRAINT boom"
LOCK_ROLLUP_TABLE = "LOCK TABLE task_usage_dashboard_daily IN ACCESS EXCLUSIVE MODE"


@dataclass(frozen=True)
class Small:
    """One workspace, one agent, a project with an issue, and a task on it."""

    ws: uuid.UUID
    agent: uuid.UUID
    project: uuid.UUID
    task: uuid.UUID

    @property
    def workspaces(self) -> list[uuid.UUID]:
        return [self.ws]

    @property
    def projects(self) -> dict[uuid.UUID, list[uuid.UUID]]:
        return {self.ws: [self.project]}


def small(world: World) -> Small:
    ws = world.workspace()
    agent = world.agent(ws)
    project = world.project(ws)
    task = world.task(agent, world.issue(ws, project))
    world.usage(task, model="seed", input_tokens=1, created_at=at(3))
    return Small(ws, agent, project, task)


def open_transaction(database_url: str) -> Conn:
    """A connection whose statements run in one transaction until commit or rollback."""
    return psycopg.connect(database_url, autocommit=False)


def backend_pid(conn: Conn) -> int:
    row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    return int(row[0])


def wait_until_waiting(db: Conn, pid: int, locktype: str = "relation") -> None:
    """Returns once backend `pid` waits for a lock of `locktype` (observed, not slept on)."""
    deadline = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=30)
    while datetime.datetime.now(datetime.UTC) < deadline:
        row = db.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND locktype = %s AND NOT granted)",
            (pid, locktype),
        ).fetchone()
        if row is not None and row[0]:
            return
    raise AssertionError(f"backend {pid} never waited for a {locktype} lock")


@contextmanager
def in_thread(fn: Callable[[], Any]) -> Iterator[list[Any]]:
    """Runs fn in a thread; the yielded list holds its result (or exception) after the block."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(fn())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    # On an exception the thread is left behind (a daemon): closing the test's connections
    # releases whatever it waits for.
    yield outcome
    thread.join(timeout=60)
    assert not thread.is_alive(), "the background statement never finished"


# ---- guarantee 2: no lost writes, whatever the commit order -----------------------------------


async def test_a_writer_that_commits_after_a_tick_is_counted_by_the_next_tick(
    world: World, db: Conn, database_url: str
) -> None:
    s = small(world)
    await backfill(database_url)
    with open_transaction(database_url) as writer:
        row = writer.execute(
            "INSERT INTO task_usage (task_id, model, input_tokens) VALUES (%s, 'late', 42)"
            " RETURNING created_at",
            (s.task,),
        ).fetchone()
        assert row is not None
        created_at = row[0]
        assert (tick(db) or 0) >= 0
        # The tick moved the watermark past the row's created_at: a design that reads rows
        # newer than the watermark would never see this row.
        watermark = rollup_state(db)["watermark_at"]
        assert watermark is not None
        assert watermark > created_at
        writer.commit()
    assert rollup_rows(db, "model = 'late'") == []
    assert (tick(db) or 0) >= 0
    assert [r["input_tokens"] for r in rollup_rows(db, "model = 'late'")] == [42]
    assert await assert_matches(database_url, s.workspaces, s.projects) > 0


async def test_a_late_update_by_upsert_task_usage_is_counted(
    world: World, db: Conn, database_url: str
) -> None:
    s = small(world)
    await backfill(database_url)
    async with await connect(database_url) as conn:
        await queries.upsert_task_usage(conn, [UsageReport(s.task, "", "late", 1, 0, 0, 0)])
    await catch_up(database_url)
    with open_transaction(database_url) as writer:
        writer.execute(
            "UPDATE task_usage SET input_tokens = 2, updated_at = now()"
            " WHERE task_id = %s AND model = 'late'",
            (s.task,),
        )
        assert (tick(db) or 0) >= 0
        writer.commit()
    assert [r["input_tokens"] for r in rollup_rows(db, "model = 'late'")] == [1]
    assert (tick(db) or 0) >= 0
    assert [r["input_tokens"] for r in rollup_rows(db, "model = 'late'")] == [2]
    assert await assert_matches(database_url, s.workspaces, s.projects) > 0


# ---- guarantee 3: no lost invalidations --------------------------------------------------------


async def test_a_key_enqueued_by_an_open_writer_survives_the_tick_that_drains_its_day(
    world: World, db: Conn, database_url: str
) -> None:
    s = small(world)
    await catch_up(database_url)
    world.usage(s.task, model="committed", input_tokens=1, created_at=at(2))
    [(committed_key, committed_day)] = queue(db)
    assert committed_day == day(2)
    with open_transaction(database_url) as writer:
        writer.execute(
            "INSERT INTO task_usage (task_id, model, input_tokens, created_at) VALUES (%s, 'open', 10, %s)",
            (s.task, at(2, 18)),
        )
        assert (tick(db) or 0) >= 0
        assert queue(db) == []
        writer.commit()
    [(open_key, open_day)] = queue(db)
    assert open_key > committed_key
    assert open_day == day(2)
    assert [r["model"] for r in rollup_rows(db, "bucket_date = %(d)s", {"d": day(2)})] == ["committed"]
    assert (tick(db) or 0) >= 0
    assert queue(db) == []
    assert await assert_matches(database_url, s.workspaces, s.projects) > 0


async def test_a_key_committed_while_a_tick_rebuilds_stays_queued(
    world: World, db: Conn, database_url: str
) -> None:
    s = small(world)
    await catch_up(database_url)
    world.usage(s.task, model="before", input_tokens=1, created_at=at(2))
    [(drained_key, _)] = queue(db)
    with open_transaction(database_url) as blocker, psycopg.connect(database_url, autocommit=True) as ticker:
        # The tick drains the queue, then waits for the rollup table the blocker holds.
        blocker.execute(LOCK_ROLLUP_TABLE)
        pid = backend_pid(ticker)
        with in_thread(lambda: tick(ticker)) as outcome:
            wait_until_waiting(db, pid)
            # Committed after the tick read the queue, before it finished.
            world.usage(s.task, model="during", input_tokens=10, created_at=at(2, 20))
            blocker.commit()
        [result] = outcome
    assert isinstance(result, int)
    assert result >= 0
    remaining = queue(db)
    assert drained_key not in [key for key, _ in remaining]
    assert [d for _, d in remaining] == [day(2)], "the key committed during the tick was deleted unread"
    # Before any further tick, the rollup path already shows the write of the burst's middle.
    assert await assert_matches(database_url, s.workspaces, s.projects) > 0
    assert (tick(db) or 0) >= 0
    assert {r["model"] for r in rollup_rows(db, "bucket_date = %(d)s", {"d": day(2)})} == {"before", "during"}
    assert await assert_matches(database_url, s.workspaces, s.projects) > 0


async def test_a_tick_that_finds_the_lock_busy_waits_and_covers_keys_committed_before_it(
    world: World, db: Conn, database_url: str
) -> None:
    s = small(world)
    with open_transaction(database_url) as holder:
        # Another tick holds the lock, having drained what it could see.
        assert (tick(holder) or 0) >= 0
        world.usage(s.task, model="after-holder", input_tokens=5, created_at=at(1))
        async with await connect(database_url) as watcher:
            caught_up = asyncio.ensure_future(catch_up(database_url))
            deadline = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=30)
            while not caught_up.done() and datetime.datetime.now(datetime.UTC) < deadline:
                cur = await watcher.execute(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted)"
                )
                row = await cur.fetchone()
                if row is not None and row[0]:
                    break
            assert not caught_up.done(), "the tick returned while another tick held the lock"
            holder.commit()
            report = await caught_up
    assert report.steps >= 1
    assert [r["input_tokens"] for r in rollup_rows(db, "model = 'after-holder'")] == [5]
    assert queue(db) == []
    assert await assert_matches(database_url, s.workspaces, s.projects) > 0


# ---- guarantee 5: failures are visible ---------------------------------------------------------


async def test_a_failing_tick_records_the_error_durably_and_keeps_watermark_and_queue(
    world: World, db: Conn, database_url: str
) -> None:
    s = small(world)
    await backfill(database_url)
    assert tick(db) == 0
    before = rollup_state(db)
    assert before["last_success_at"] is not None
    world.usage(s.task, model="queued", input_tokens=7, created_at=at(1))
    keys = queue(db)
    assert keys != []
    db.execute(BOOM)

    assert tick(db) == -1

    with psycopg.connect(database_url, autocommit=True) as fresh:
        after = rollup_state(fresh)
        assert after["last_error"] is not None
        assert "boom" in after["last_error"]
        assert after["last_run_finished_at"] is not None
        assert after["last_run_finished_at"] >= after["last_run_started_at"]
        assert after["watermark_at"] == before["watermark_at"]
        assert after["last_success_at"] == before["last_success_at"]
        assert queue(fresh) == keys
        assert rollup_rows(fresh, "model = 'queued'") == []

    result = run_cli(database_url, "rollup", "tick")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "boom" in lines[0]
    assert queue(db) == keys

    db.execute(UNBOOM)
    assert (tick(db) or 0) > 0
    state = rollup_state(db)
    assert state["last_error"] is None
    assert state["last_success_at"] == state["last_run_finished_at"]
    assert state["last_success_at"] > before["last_success_at"]
    assert state["watermark_at"] > before["watermark_at"]
    assert queue(db) == []
    assert await assert_matches(database_url, s.workspaces, s.projects) > 0


async def test_tick_until_caught_up_raises_on_a_failing_step(
    world: World, db: Conn, database_url: str
) -> None:
    small(world)
    db.execute(BOOM)
    async with await connect(database_url) as conn:
        with pytest.raises(TickError, match="boom"):
            await tick_until_caught_up(conn)
    assert "boom" in (rollup_state(db)["last_error"] or "")


def test_the_pg_cron_job_fails_visibly_and_keeps_the_error(world: World, db: Conn, database_url: str) -> None:
    small(world)
    db.execute(BOOM)
    with psycopg.connect(database_url, autocommit=True) as job, pytest.raises(psycopg.Error, match="boom"):
        job.execute("CALL rollup_task_usage_dashboard_daily_job()")
    with psycopg.connect(database_url, autocommit=True) as fresh:
        assert "boom" in (rollup_state(fresh)["last_error"] or "")
    db.execute(UNBOOM)
    db.execute("CALL rollup_task_usage_dashboard_daily_job()")
    assert rollup_state(db)["last_error"] is None


# ---- the lock never leaks ------------------------------------------------------------------------


async def test_a_cancelled_tick_leaves_no_lock_and_the_next_tick_succeeds(
    world: World, db: Conn, database_url: str
) -> None:
    s = small(world)
    with open_transaction(database_url) as blocker, psycopg.connect(database_url, autocommit=True) as ticker:
        blocker.execute(LOCK_ROLLUP_TABLE)
        ticker.execute("SET statement_timeout = '200ms'")
        with pytest.raises(psycopg.errors.QueryCanceled):
            tick(ticker)
        assert advisory_locks(db) == 0
        # Still blocked, but a tick from elsewhere must get the lock (it finds the table locked
        # only after taking it, so it must not return NULL).
        other = psycopg.connect(database_url, autocommit=True)
        with other:
            other.execute("SET statement_timeout = '200ms'")
            with pytest.raises(psycopg.errors.QueryCanceled):
                tick(other)
        blocker.rollback()
        assert advisory_locks(db) == 0
        ticker.execute("SET statement_timeout = 0")
    assert (tick(db) or 0) > 0
    assert queue(db) == []
    assert await assert_matches(database_url, s.workspaces, s.projects) > 0


async def test_a_cancelled_caught_up_tick_records_its_error(
    world: World, db: Conn, database_url: str
) -> None:
    s = small(world)
    with open_transaction(database_url) as blocker:
        blocker.execute(LOCK_ROLLUP_TABLE)
        async with await connect(database_url) as conn:
            await conn.execute("SET statement_timeout = '200ms'")
            with pytest.raises(TickError, match="statement timeout"):
                await tick_until_caught_up(conn)
        blocker.rollback()
    with psycopg.connect(database_url, autocommit=True) as fresh:
        state = rollup_state(fresh)
    assert "statement timeout" in (state["last_error"] or "")
    assert state["last_run_finished_at"] is not None
    assert advisory_locks(db) == 0
    await catch_up(database_url)
    assert rollup_state(db)["last_error"] is None
    assert await assert_matches(database_url, s.workspaces, s.projects) > 0


async def test_a_killed_tick_leaves_no_lock(world: World, db: Conn, database_url: str) -> None:
    s = small(world)
    with open_transaction(database_url) as blocker, psycopg.connect(database_url, autocommit=True) as ticker:
        blocker.execute(LOCK_ROLLUP_TABLE)
        pid = backend_pid(ticker)
        with in_thread(lambda: tick(ticker)) as outcome:
            wait_until_waiting(db, pid)
            assert advisory_locks(db) == 1
            # With a timeout it returns once the backend has exited (and released its locks).
            terminated = db.execute("SELECT pg_terminate_backend(%s, 30000)", (pid,)).fetchone()
            assert terminated == (True,)
        [result] = outcome
        assert isinstance(result, psycopg.OperationalError)
        assert advisory_locks(db) == 0
        blocker.rollback()
    assert (tick(db) or 0) > 0
    assert await assert_matches(database_url, s.workspaces, s.projects) > 0


# ---- a single runner ---------------------------------------------------------------------------


async def test_a_second_tick_returns_null_while_one_runs_and_nothing_counts_twice(
    world: World, db: Conn, database_url: str
) -> None:
    s = small(world)
    world.usage(s.task, model="twice", input_tokens=3, output_tokens=4, created_at=at(2))
    with open_transaction(database_url) as first:
        assert (tick(first) or 0) > 0
        keys_seen_by_others = queue(db)
        assert tick(db) is None
        assert queue(db) == keys_seen_by_others
        first.commit()
    assert tick(db) == 0
    assert queue(db) == []
    [row] = rollup_rows(db, "model = 'twice'")
    assert (row["input_tokens"], row["output_tokens"], row["event_count"], row["task_count"]) == (3, 4, 1, 1)
    assert await assert_matches(database_url, s.workspaces, s.projects) > 0


# ---- guarantee 7: bounded work per step ------------------------------------------------------------


async def test_a_backlog_of_40_days_is_worked_off_in_steps_of_at_most_31_days(
    world: World, db: Conn, database_url: str
) -> None:
    s = small(world)
    await backfill(database_url)
    watermark = rollup_state(db)["watermark_at"]
    tasks = [world.task(s.agent) for _ in range(40)]
    for days_ago, task in enumerate(tasks, start=1):
        world.usage(task, model="backlog", input_tokens=days_ago, created_at=at(days_ago))
    assert len(queued_days(db)) == 40

    assert tick(db) == 31
    built = {r["bucket_date"] for r in rollup_rows(db, "model = 'backlog'")}
    assert len(built) == 31
    # Oldest keys first: the first 31 enqueued days are the ones built.
    assert built == {day(n) for n in range(1, 32)}
    assert len(queued_days(db)) == 9
    assert rollup_state(db)["watermark_at"] == watermark, "a step that left a backlog moved the watermark"

    report = await catch_up(database_url)
    assert report.steps >= 1
    assert queue(db) == []
    assert len({r["bucket_date"] for r in rollup_rows(db, "model = 'backlog'")}) == 40
    assert rollup_state(db)["watermark_at"] > watermark
    assert (
        await assert_matches(database_url, s.workspaces, s.projects, extra_windows=month_edge_windows()) > 0
    )


async def test_tick_until_caught_up_takes_several_steps_for_a_long_backlog(
    world: World, db: Conn, database_url: str
) -> None:
    s = small(world)
    for days_ago in range(1, 71):
        world.usage(world.task(s.agent), model="long", input_tokens=days_ago, created_at=at(days_ago))
    report = await catch_up(database_url)
    assert report.steps >= 3
    assert report.rows >= 71
    assert queue(db) == []
    assert (
        await assert_matches(database_url, s.workspaces, s.projects, extra_windows=month_edge_windows()) > 0
    )


# ---- guarantee 6: cost follows the change -------------------------------------------------------


def history(world: World, s: Small, days: int, rows_per_day: int, first_day_ago: int = 1) -> None:
    """rows_per_day tasks, each with one usage row, on each of `days` days: first_day_ago days
    before today and the days before it."""
    world.conn.execute(
        "WITH tasks AS ("
        "    INSERT INTO agent_task_queue (agent_id, runtime_id)"
        "    SELECT a.id, a.runtime_id FROM agent AS a, generate_series(1, %(n)s) WHERE a.id = %(agent)s"
        "    RETURNING id"
        "), numbered AS (SELECT id, row_number() OVER () AS n FROM tasks)"
        " INSERT INTO task_usage (task_id, model, input_tokens, created_at)"
        " SELECT id, 'history', n,"
        "        ((now() AT TIME ZONE 'UTC')::date - %(first)s - ((n - 1) %% %(days)s)::int)::timestamp"
        "        AT TIME ZONE 'UTC' + interval '6 hours'"
        " FROM numbered",
        {"n": days * rows_per_day, "days": days, "first": first_day_ago, "agent": s.agent},
    )


async def test_a_tick_after_one_change_today_rewrites_only_todays_changed_bucket(
    world: World, db: Conn, database_url: str
) -> None:
    s = small(world)
    history(world, s, days=10, rows_per_day=3)
    changed_task, still_task = world.task(s.agent), world.task(s.agent)
    async with await connect(database_url) as conn:
        await queries.upsert_task_usage(
            conn,
            [
                UsageReport(changed_task, "", "today-changed", 1, 1, 1, 1),
                UsageReport(still_task, "", "today-still", 1, 1, 1, 1),
            ],
        )
    await backfill(database_url)
    before = rollup_rows(db)
    async with await connect(database_url) as conn:
        await queries.upsert_task_usage(conn, [UsageReport(changed_task, "", "today-changed", 9, 9, 9, 9)])
    assert queued_days(db) == {today_utc()}

    assert tick(db) == 1
    after = rollup_rows(db)
    assert rollup_state(db)["last_run_rows"] == 1
    changed = [r for r in after if r not in before]
    assert [(r["bucket_date"], r["model"], r["input_tokens"]) for r in changed] == [
        (today_utc(), "today-changed", 9)
    ]
    assert changed[0]["updated_at"] > max(r["updated_at"] for r in before)
    assert [r for r in before if r not in after] == [r for r in before if r["model"] == "today-changed"]


# A change inside the per-task horizon (today) is rebuilt from the changed task's rows; one on
# a day before it (200 days ago) from that whole day's rows. Neither may read more as the
# history grows.
@pytest.mark.parametrize(
    ("days_ago", "index"), [(0, "task_usage_task_id_idx"), (200, "task_usage_created_at_idx")]
)
async def test_a_ticks_reads_follow_the_change_not_the_history(
    world: World, db: Conn, database_url: str, days_ago: int, index: str
) -> None:
    s = small(world)
    task = world.task(s.agent)
    world.usage(task, model="changed", created_at=at(days_ago, hour=1))
    history(world, s, days=1, rows_per_day=10, first_day_ago=days_ago)
    history(world, s, days=30, rows_per_day=10)
    await backfill(database_url)
    async with await connect(database_url) as conn:
        await queries.upsert_task_usage(conn, [UsageReport(task, "", "changed", 1, 0, 0, 0)])
        db.execute("ANALYZE")
        small_history = counted_tick(database_url)

        # Ten times the history (more tasks and more days, older than the changed day, which
        # keeps its rows), then the same one-row change.
        history(world, s, days=300, rows_per_day=10, first_day_ago=days_ago + 31)
        await catch_up(database_url)
        await queries.upsert_task_usage(conn, [UsageReport(task, "", "changed", 2, 0, 0, 0)])
        db.execute("ANALYZE")
        large_history = counted_tick(database_url)

    [(total,)] = db.execute("SELECT count(*) FROM task_usage").fetchall()
    assert total > 3_000
    for counts in (small_history, large_history):
        assert counts["usage_seq_scans"] == 0
        assert counts["task_seq_scans"] == 0
        assert counts[index] >= 1, f"the change was not read through {index}: {counts}"
    for key in ("usage_rows", "task_rows"):
        assert large_history[key] <= small_history[key], f"{key} grew with the history: {large_history}"
    assert [(r["bucket_date"], r["input_tokens"]) for r in rollup_rows(db, "model = 'changed'")] == [
        (day(days_ago), 2)
    ]


# ---- the watermark ---------------------------------------------------------------------------


async def test_the_watermark_is_null_until_a_backfill_stamps_its_upper_bound(
    world: World, db: Conn, database_url: str
) -> None:
    s = small(world)
    await catch_up(database_url)
    assert rollup_state(db)["watermark_at"] is None
    async with await connect(database_url) as conn:
        plan = await plan_backfill(conn)
        # Written after the upper bound was fixed: the backfill must not stamp a later instant.
        world.usage(s.task, model="after-plan", input_tokens=2)
        await run_backfill(conn, plan)
    state = rollup_state(db)
    assert state["watermark_at"] == plan.upper_bound
    assert state["backfill_upper_bound"] is None
    assert state["backfill_done_before"] is None

    world.usage(s.task, model="later", input_tokens=3, created_at=at(1))
    await catch_up(database_url)
    assert queue(db) == []
    assert rollup_state(db)["watermark_at"] > plan.upper_bound
    assert await assert_matches(database_url, s.workspaces, s.projects) > 0


def test_a_tick_never_moves_a_null_watermark(world: World, db: Conn) -> None:
    small(world)
    assert (tick(db) or 0) > 0
    assert tick(db) == 0
    assert rollup_state(db)["watermark_at"] is None


# ---- the read path switch and health ---------------------------------------------------------------


async def rollup_health(client: Client) -> dict[str, Any]:
    response = await client.get("/healthz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, dict)
    rollup = body["rollup"]
    assert isinstance(rollup, dict)
    return rollup


async def test_the_rollup_read_path_serves_the_rollup_and_health_shows_its_state(
    world: World, db: Conn, database_url: str, client: Client, rollup_client: Client
) -> None:
    s = small(world)
    headers = world.caller(s.ws)
    params: dict[str, str | int] = {"workspace_id": str(s.ws), "days": 7}

    health = await rollup_health(rollup_client)
    assert health["state"] == "not_backfilled"
    assert health["watermark_at"] is None
    assert health["last_error"] is None
    assert health["queue_depth"] == 1
    assert health["read_path"] == "rollup"

    await backfill(database_url)
    health = await rollup_health(rollup_client)
    assert health["state"] == "ok"
    assert health["queue_depth"] == 0
    assert health["watermark_at"] is not None
    assert datetime.datetime.fromisoformat(health["watermark_at"]) == rollup_state(db)["watermark_at"]

    world.usage(s.task, model="unticked", input_tokens=1_000, created_at=at(1))
    for path in ("/api/dashboard/usage/daily", "/api/dashboard/usage/by-agent"):
        via_rollup = (await rollup_client.get(path, headers=headers, params=params)).json()
        via_raw = (await client.get(path, headers=headers, params=params)).json()
        # Fresh at every instant: the queued key is read from raw rows, no tick needed.
        assert via_rollup == via_raw
        assert "unticked" in {r["model"] for r in via_rollup}
    health = await rollup_health(rollup_client)
    assert health["queue_depth"] == 1
    assert health["staleness_seconds"] >= 0

    await catch_up(database_url)
    for path in ("/api/dashboard/usage/daily", "/api/dashboard/usage/by-agent"):
        via_rollup = (await rollup_client.get(path, headers=headers, params=params)).json()
        via_raw = (await client.get(path, headers=headers, params=params)).json()
        assert via_rollup == via_raw
        assert "unticked" in {r["model"] for r in via_rollup}

    db.execute(BOOM)
    world.usage(s.task, model="failing", input_tokens=1, created_at=at(1))
    assert tick(db) == -1
    health = await rollup_health(rollup_client)
    assert health["state"] == "failing"
    assert "boom" in health["last_error"]
    assert health["queue_depth"] == 1


async def test_auto_reads_raw_until_a_backfill_completes_then_the_rollup(
    world: World, db: Conn, database_url: str, client: Client
) -> None:
    s = small(world)
    headers = world.caller(s.ws)
    params: dict[str, str | int] = {"workspace_id": str(s.ws), "days": 7}
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "DATABASE_POOL_MIN_SIZE": "0",
            "USAGE_DASHBOARD_ROLLUP_SCHEDULER": "off",
        }
    )
    daily = "/api/dashboard/usage/daily"
    # Rollup rows without a completed backfill, each a token off the raw rows: only a read of
    # the rollup could show the extra token.
    db.execute("SELECT rollup_task_usage_dashboard_daily_window(now() - INTERVAL '400 days', now())")
    bumped = db.execute(
        "UPDATE task_usage_dashboard_daily_model SET input_tokens = input_tokens + 1 WHERE workspace_id = %s",
        (s.ws,),
    )
    assert bumped.rowcount > 0
    async with AsyncTestClient(app=create_app(settings)) as auto_client:
        health = await rollup_health(auto_client)
        assert (health["mode"], health["read_path"], health["enabled"]) == ("auto", "raw", False)
        raw = (await client.get(daily, headers=headers, params=params)).json()
        assert (await auto_client.get(daily, headers=headers, params=params)).json() == raw

        await backfill(database_url)
        health = await rollup_health(auto_client)
        assert (health["mode"], health["read_path"], health["enabled"]) == ("auto", "rollup", True)
        assert (await auto_client.get(daily, headers=headers, params=params)).json() == raw
        db.execute(
            "UPDATE task_usage_dashboard_daily_model SET input_tokens = input_tokens + 1"
            " WHERE workspace_id = %s",
            (s.ws,),
        )
        via_auto = (await auto_client.get(daily, headers=headers, params=params)).json()
        assert [r["input_tokens"] for r in via_auto] == [r["input_tokens"] + 1 for r in raw]


# ---- v2 point 4: fresh at every instant ------------------------------------------------------


async def test_reads_in_one_snapshot_agree_while_writers_and_ticks_run(
    world: World, db: Conn, database_url: str
) -> None:
    s = small(world)
    tasks = [s.task, world.task(s.agent, None), world.task(world.agent(s.ws), world.issue(s.ws, s.project))]
    await backfill(database_url)
    done = threading.Event()

    written = [0]

    def write() -> int:
        # Reports and re-reports across three UTC days, one commit each, as the platform sends
        # them; and runs ending, failing and being requeued on those days.
        with psycopg.connect(database_url, autocommit=True) as writer:
            while not done.is_set():
                n = written[0]
                writer.execute(
                    "INSERT INTO task_usage (task_id, provider, model, input_tokens, created_at)"
                    " VALUES (%s, 'openai', %s, 1, %s)"
                    " ON CONFLICT (task_id, provider, model)"
                    " DO UPDATE SET input_tokens = task_usage.input_tokens + 1, updated_at = now()",
                    (tasks[n % 3], f"m{n % 7}", at(n % 3, hour=n % 24)),
                )
                ended_at = at(n % 3, hour=n % 24, minute=n % 60)
                writer.execute(
                    "UPDATE agent_task_queue SET status = %s, failure_reason = %s,"
                    " started_at = %s, completed_at = %s WHERE id = %s",
                    (
                        ("completed", "failed", "queued")[n % 3],
                        f"reason-{n % 2}",
                        ended_at - datetime.timedelta(seconds=n),
                        ended_at,
                        tasks[(n + 1) % 3],
                    ),
                )
                written[0] = n + 1
        return written[0]

    def keep_ticking() -> int:
        with psycopg.connect(database_url, autocommit=True) as ticker:
            ticks = 0
            while not done.is_set():
                assert (tick(ticker) or 0) >= 0
                ticks += 1
            return ticks

    reader = await psycopg.AsyncConnection.connect(database_url)
    await reader.set_isolation_level(psycopg.IsolationLevel.REPEATABLE_READ)
    f = DashboardFilter(workspace_id=s.ws, window=window_for_days(7), project_id=None)
    compared = 0
    try:
        with in_thread(write) as writes, in_thread(keep_ticking) as ticks:
            try:
                reads = 0
                # Until the writer has committed a fair burst, whatever the threads' pace.
                while reads < 25 or written[0] < 100:
                    reads += 1
                    async with reader.transaction():
                        raw = await queries.list_dashboard_usage_daily(reader, f)
                        assert await queries.list_dashboard_usage_daily_rollup(reader, f) == raw
                        raw_agents = await queries.list_dashboard_usage_by_agent(reader, f)
                        assert await queries.list_dashboard_usage_by_agent_rollup(reader, f) == raw_agents
                        compared += await assert_run_routes_match(reader, f, "a snapshot mid-burst")
                    compared += len(raw)
            finally:
                done.set()
    finally:
        await reader.close()
    assert all(isinstance(outcome, int) for outcome in writes + ticks), (writes, ticks)
    assert compared > 0
