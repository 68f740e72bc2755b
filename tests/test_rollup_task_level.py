"""The per-task level (migration 0003): how keys reach it and how it stays exact.

A tick rebuilds recent days task by task from task_usage_dashboard_daily_task_model, older days
and crowded days whole from raw rows; every path must leave the rollup equal to raw.
"""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import psycopg

from app.db import queries
from app.db.migrate import Runner
from app.db.queries import UsageReport
from tests.rollup_helpers import (
    Conn,
    assert_matches,
    at,
    backfill,
    catch_up,
    connect,
    counted_tick,
    day,
    rollup_rows,
    task_level_mismatches,
    tick,
)
from tests.world import World, today_utc

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def task_level_days(db: Conn) -> set[object]:
    """The distinct days the per-task level holds rows for."""
    return {
        r[0] for r in db.execute("SELECT DISTINCT bucket_date FROM task_usage_dashboard_daily_task_model")
    }


def queued_keys(db: Conn) -> list[tuple[object, object]]:
    """The queue's (bucket_date, task_id) keys in id order."""
    return [
        (r[0], r[1])
        for r in db.execute("SELECT bucket_date, task_id FROM task_usage_dashboard_dirty ORDER BY id")
    ]


def tick_as_0003_did(db: Conn) -> None:
    """Tick steps until the usage queue is empty: today's catch-up also reads the run queue of
    later migrations, which a 0003 schema does not have."""
    while queued_keys(db):
        assert (tick(db) or 0) >= 0


async def test_upgrading_from_0002_rebuilds_the_recent_days_and_stays_exact(
    empty_database_url: str, tmp_path: Path
) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for path in MIGRATIONS.glob("000[12]_*.sql"):
        shutil.copy(path, migrations)
    assert Runner(empty_database_url, migrations).up() == ["0001", "0002"]
    with psycopg.connect(empty_database_url, autocommit=True) as db:
        world = World(db)
        ws = world.workspace()
        agent = world.agent(ws)
        project, other_project = world.project(ws), world.project(ws)
        issue = world.issue(ws, project)
        task = world.task(agent, issue)
        for days_ago in (0, 3, 20, 100):
            world.usage(task, model=f"m{days_ago}", input_tokens=days_ago + 1, created_at=at(days_ago))
        # Rolled up as 0002 did it (today's backfill also analyzes the per-task level).
        db.execute("SELECT rollup_task_usage_dashboard_daily_window(%s, %s)", (at(200), at(-1)))

        for path in MIGRATIONS.glob("0003_*.sql"):
            shutil.copy(path, migrations)
        assert Runner(empty_database_url, migrations).up() == ["0003"]
        # The rolled-up days inside the horizon are queued whole; the old one is not.
        assert set(queued_keys(db)) == {(day(d), None) for d in (0, 3, 20)}
        tick_as_0003_did(db)
        assert task_level_days(db) == {day(0), day(3), day(20)}

        # Task-by-task from now on: a re-report and a move to another project.
        # (The re-report as 0003's writer sent it: the money columns do not exist yet.)
        db.execute(
            "UPDATE task_usage SET input_tokens = 7, updated_at = now() WHERE task_id = %s AND model = 'm0'",
            (task,),
        )
        db.execute("UPDATE issue SET project_id = %s WHERE id = %s", (other_project, issue))
        tick_as_0003_did(db)
        # The read path is today's: it needs the later migrations too, and 0005 (provider and
        # cost in every level) empties the rollup for a new backfill.
        assert "0005" in Runner(empty_database_url).up()
        assert rollup_rows(db) == []
        await backfill(empty_database_url)
        assert await assert_matches(empty_database_url, [ws], {ws: [project, other_project]}) > 0
        assert {r["project_id"] for r in rollup_rows(db)} == {other_project}
        assert task_level_mismatches(db) == 0


async def test_usage_moved_to_another_task_and_day_leaves_its_old_bucket(
    world: World, db: Conn, database_url: str
) -> None:
    ws = world.workspace()
    agent_a, agent_b = world.agent(ws), world.agent(ws)
    task_a, task_b = world.task(agent_a), world.task(agent_b)
    usage = world.usage(task_a, model="moved", input_tokens=5, created_at=at(2))
    world.usage(task_a, model="stays", input_tokens=1, created_at=at(2))
    await backfill(database_url)

    db.execute("UPDATE task_usage SET task_id = %s, created_at = %s WHERE id = %s", (task_b, at(1), usage))
    # The row's old key comes from the row trigger, its new one from the statement trigger.
    assert set(queued_keys(db)) == {(day(2), task_a), (day(1), task_b)}
    await catch_up(database_url)

    assert [(r["bucket_date"], r["agent_id"], r["model"]) for r in rollup_rows(db)] == [
        (day(2), agent_a, "stays"),
        (day(1), agent_b, "moved"),
    ]
    assert task_level_mismatches(db) == 0
    assert await assert_matches(database_url, [ws]) > 0


async def test_the_platform_upsert_queues_one_key_per_statement(
    world: World, db: Conn, database_url: str
) -> None:
    ws = world.workspace()
    task = world.task(world.agent(ws))
    await backfill(database_url)
    async with await connect(database_url) as conn:
        await queries.upsert_task_usage(
            conn, [UsageReport(task, "", "a", 1, 0, 0, 0), UsageReport(task, "", "a", 2, 0, 0, 0)]
        )
    # One insert, then one update of the same row: the update queues its key once, and the row
    # trigger for moved usage does not fire (UpsertTaskUsage never sets task_id or created_at).
    assert queued_keys(db) == [(today_utc(), task), (today_utc(), task)]
    await catch_up(database_url)
    assert [r["input_tokens"] for r in rollup_rows(db)] == [2]


async def test_a_day_with_more_changed_tasks_than_the_limit_is_rebuilt_whole(
    world: World, db: Conn, database_url: str
) -> None:
    ws = world.workspace()
    agent = world.agent(ws)
    await backfill(database_url)
    [(limit,)] = db.execute("SELECT task_usage_dashboard_rollup_day_tasks_max()").fetchall()
    db.execute(
        "WITH tasks AS ("
        "    INSERT INTO agent_task_queue (agent_id, runtime_id)"
        "    SELECT a.id, a.runtime_id FROM agent AS a, generate_series(1, %(n)s) WHERE a.id = %(agent)s"
        "    RETURNING id"
        ")"
        " INSERT INTO task_usage (task_id, model, input_tokens, created_at)"
        " SELECT id, 'crowd', 1, %(at)s FROM tasks",
        {"n": limit + 1, "agent": agent, "at": at(1)},
    )
    day_scans = counted_tick(database_url)["task_usage_created_at_idx"]
    assert day_scans >= 1, "the crowded day was not rebuilt through task_usage_created_at_idx"
    assert [(r["task_count"], r["event_count"]) for r in rollup_rows(db)] == [(limit + 1, limit + 1)]
    assert task_level_mismatches(db) == 0


async def test_rows_that_fell_out_of_the_horizon_are_dropped(
    world: World, db: Conn, database_url: str
) -> None:
    ws = world.workspace()
    agent = world.agent(ws)
    task = world.task(agent)
    world.usage(task, model="today", created_at=at(0))
    await backfill(database_url)
    [(horizon,)] = db.execute("SELECT task_usage_dashboard_task_level_from()").fetchall()
    # A row left over from a day the horizon has since passed (as after a few days of uptime).
    db.execute(
        "INSERT INTO task_usage_dashboard_daily_task_model"
        " (bucket_date, task_id, provider, model, workspace_id, agent_id, input_tokens, output_tokens,"
        "  cache_read_tokens, cache_write_tokens, cost_usd_ticks, uncosted_input_tokens,"
        "  uncosted_output_tokens, uncosted_cache_read_tokens, uncosted_cache_write_tokens,"
        "  estimated_cost_ticks, unpriced_tokens, event_count)"
        " VALUES (%s, %s, '', 'stale', %s, %s, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 4, 1)",
        (horizon - datetime.timedelta(days=1), task, ws, agent),
    )
    async with await connect(database_url) as conn:
        await queries.upsert_task_usage(conn, [UsageReport(task, "", "today", 3, 0, 0, 0)])
    await catch_up(database_url)
    assert task_level_days(db) == {day(0)}
    assert task_level_mismatches(db) == 0
