"""Local days of any zone from the rollup: whole UTC days and prefixes at quarter hours.

The rollup path of `usage/daily` off UTC stitches each local day from the daily levels and the
prefixes of its first and last UTC day (task_usage_dashboard_daily_split_model), and reads raw
rows for the days it cannot stitch. Each test compares it with the raw path, and shows that the
prefixes were really read by changing one and watching the answer move.
"""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from typing import Any

import psycopg
import pytest
from psycopg import sql

from app.api.read_path import RAW, ROLLUP, DashboardDb
from app.db.queries import DashboardFilter
from app.window import Window, local_midnight, today_in, window_for_dates, window_for_days
from tests.rollup_helpers import backfill, catch_up, connect, fill_splits, register_zones
from tests.world import World

Conn = psycopg.Connection[tuple[Any, ...]]
MICROSECOND = datetime.timedelta(microseconds=1)
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
ZONES = ["Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham", "America/New_York"]
# New York's 23-hour and 25-hour days of 2026.
DST_RANGE = (datetime.date(2026, 3, 1), datetime.date(2026, 11, 30))


def _usage_around_midnights(world: World, workspace_id: uuid.UUID, zone: zoneinfo.ZoneInfo) -> uuid.UUID:
    """Usage one microsecond either side of several local midnights, across two models, a
    project and no project, and on both DST days; returns the project."""
    agent = world.agent(workspace_id)
    project = world.project(workspace_id)
    issue = world.issue(workspace_id, project)
    today = today_in(zone)
    days = [today - n * DAY for n in (0, 1, 2, 5, 29, 40, 200)]
    days += [datetime.date(2026, 3, 8), datetime.date(2026, 3, 9), datetime.date(2026, 11, 1)]
    for n, day in enumerate(days):
        edge = local_midnight(day, zone)
        for k, at in enumerate((edge - MICROSECOND, edge, edge + 7 * datetime.timedelta(hours=1))):
            if at > datetime.datetime.now(datetime.UTC):
                continue
            world.usage(
                world.task(agent, issue if k % 2 else None),
                model=f"model-{k % 2}",
                input_tokens=100 * n + k + 1,
                output_tokens=k,
                created_at=at,
            )
    return project


async def _backfilled_usage_around_midnights(
    world: World, database_url: str, zone: zoneinfo.ZoneInfo
) -> tuple[uuid.UUID, uuid.UUID]:
    """A workspace with _usage_around_midnights, the zone registered and the rollup backfilled
    (its prefixes filled); returns the workspace and the project."""
    workspace_id = world.workspace()
    project_id = _usage_around_midnights(world, workspace_id, zone)
    await register_zones(database_url, [zone.key])
    await backfill(database_url)
    return workspace_id, project_id


def _windows(zone: zoneinfo.ZoneInfo) -> list[Window]:
    return [window_for_days(d, zone) for d in (1, 7, 30, 365)] + [window_for_dates(*DST_RANGE, zone)]


async def _assert_paths_agree(
    database_url: str, workspace_id: uuid.UUID, project_id: uuid.UUID, zone: zoneinfo.ZoneInfo
) -> int:
    compared = 0
    async with await connect(database_url) as conn:
        for window in _windows(zone):
            for project in (None, project_id):
                f = DashboardFilter(workspace_id=workspace_id, window=window, project_id=project)
                raw = await RAW.daily(DashboardDb.of(conn), f)
                assert await ROLLUP.daily(DashboardDb.of(conn), f) == raw, (
                    window.first_date,
                    window.days,
                    project,
                )
                raw_agents = await RAW.by_agent(DashboardDb.of(conn), f)
                assert await ROLLUP.by_agent(DashboardDb.of(conn), f) == raw_agents, (
                    "by-agent",
                    window.first_date,
                    window.days,
                    project,
                )
                compared += len(raw) + len(raw_agents)
    return compared


async def _rollup_reads(
    table: str,
    database_url: str,
    db: Conn,
    workspace_id: uuid.UUID,
    zone: zoneinfo.ZoneInfo,
    route: str = "daily",
    window: Window | None = None,
) -> bool:
    """Adds a token to every row of the workspace in one of the zone parts' tables and tells
    whether the rollup's answer of `route` (365 days unless `window`) moved, then takes the
    token back."""
    f = DashboardFilter(workspace_id=workspace_id, window=window or window_for_days(365, zone))
    read = getattr(ROLLUP, route)
    change = sql.SQL("UPDATE {} SET input_tokens = input_tokens + %s WHERE workspace_id = %s")
    async with await connect(database_url) as conn:
        before = await read(DashboardDb.of(conn), f)
        changed = db.execute(change.format(sql.Identifier(table)), (1, workspace_id)).rowcount
        assert changed > 0
        after = await read(DashboardDb.of(conn), f)
        db.execute(change.format(sql.Identifier(table)), (-1, workspace_id))
        assert await read(DashboardDb.of(conn), f) == before
    return bool(after != before)


@pytest.mark.parametrize("zone_name", ZONES)
async def test_local_days_are_stitched_from_prefixes_exactly(
    zone_name: str, world: World, db: Conn, database_url: str
) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)
    workspace_id, project_id = await _backfilled_usage_around_midnights(world, database_url, zone)

    assert await _assert_paths_agree(database_url, workspace_id, project_id, zone) > 20
    # Days on one quarter are read whole from the shifted days; DST days are stitched from
    # prefixes, and only New York's (2026-03-08, 2026-11-01) have usage here.
    assert await _rollup_reads("task_usage_dashboard_daily_shift_model", database_url, db, workspace_id, zone)
    prefixes_read = await _rollup_reads(
        "task_usage_dashboard_daily_split_model", database_url, db, workspace_id, zone
    )
    assert prefixes_read == (zone_name == "America/New_York")
    # By-agent edges: the usage just before the window's end (the local midnight five days ago)
    # is an agent prefix; its first UTC day has none (a change there would cancel this one).
    today = today_in(zone)
    window = window_for_dates(today - 100 * DAY, today - 6 * DAY, zone)
    agents_table = "task_usage_dashboard_daily_split_agent_model"
    assert await _rollup_reads(agents_table, database_url, db, workspace_id, zone, "by_agent", window)


async def test_the_first_read_of_a_zone_registers_its_quarters_and_reads_raw_until_filled(
    world: World, db: Conn, database_url: str
) -> None:
    zone = zoneinfo.ZoneInfo("Asia/Kolkata")
    workspace_id = world.workspace()
    project_id = _usage_around_midnights(world, workspace_id, zone)
    await backfill(database_url)

    assert db.execute("SELECT count(*) FROM task_usage_dashboard_split").fetchone() == (0,)
    assert await _assert_paths_agree(database_url, workspace_id, project_id, zone) > 20
    # 18:30 UTC is Kolkata's midnight: quarter 74, registered by the read, not filled yet.
    registered = db.execute("SELECT quarter, filled_from FROM task_usage_dashboard_split").fetchall()
    assert registered == [(74, None)]
    assert db.execute("SELECT count(*) FROM task_usage_dashboard_daily_split_model").fetchone() == (0,)

    # A fill step fills a month of prefixes, newest first; a tick steps until every registered
    # quarter is filled, so after one the whole history (200 days back) reads from the rollup.
    report = await catch_up(database_url)
    assert report.steps > 1
    filled = db.execute("SELECT filled_from = '-infinity' FROM task_usage_dashboard_split").fetchall()
    assert filled == [(True,)]
    assert await fill_splits(database_url) == 0
    assert await _assert_paths_agree(database_url, workspace_id, project_id, zone) > 20
    assert await _rollup_reads("task_usage_dashboard_daily_shift_model", database_url, db, workspace_id, zone)


async def test_writes_after_the_fill_are_read_fresh_then_stitched_after_a_tick(
    world: World, db: Conn, database_url: str
) -> None:
    zone = zoneinfo.ZoneInfo("Asia/Kathmandu")
    workspace_id, project_id = await _backfilled_usage_around_midnights(world, database_url, zone)

    # New usage on both sides of yesterday's local midnight, a re-report and a deletion: queued,
    # not rolled up, and read fresh.
    agent = world.agent(workspace_id)
    edge = local_midnight(today_in(zone) - DAY, zone)
    world.usage(world.task(agent), model="late", input_tokens=7, created_at=edge - MICROSECOND)
    world.usage(world.task(agent), model="late", input_tokens=9, created_at=edge)
    db.execute(
        "UPDATE task_usage SET input_tokens = input_tokens + 5"
        " WHERE id = (SELECT id FROM task_usage ORDER BY created_at LIMIT 1)"
    )
    db.execute(
        "DELETE FROM task_usage WHERE id = (SELECT id FROM task_usage ORDER BY created_at DESC LIMIT 1)"
    )
    assert db.execute("SELECT count(*) > 0 FROM task_usage_dashboard_dirty").fetchone() == (True,)
    assert await _assert_paths_agree(database_url, workspace_id, project_id, zone) > 20

    await catch_up(database_url)
    assert db.execute("SELECT count(*) FROM task_usage_dashboard_dirty").fetchone() == (0,)
    assert await _assert_paths_agree(database_url, workspace_id, project_id, zone) > 20
    assert await _rollup_reads("task_usage_dashboard_daily_shift_model", database_url, db, workspace_id, zone)


@pytest.mark.parametrize("zone_name", [*ZONES, "Europe/London"])
async def test_queued_days_are_corrected_on_both_sides_of_their_midnight(
    world: World, db: Conn, database_url: str, zone_name: str
) -> None:
    # A queued UTC day is read raw on its shorter side of the local midnight on it only (the
    # tail in Asia, the head in America, none at a UTC midnight): writes on both sides of
    # several midnights, on consecutive and lone days, at the window's first and last day and
    # on a DST day, a re-report and a deletion, must all land on their own local day.
    zone = zoneinfo.ZoneInfo(zone_name)
    workspace_id, project_id = await _backfilled_usage_around_midnights(world, database_url, zone)
    agent = world.agent(workspace_id)
    project_issue = world.issue(workspace_id, project_id)
    today = today_in(zone)
    for n, day in enumerate(
        [
            today,
            today - DAY,
            today - 2 * DAY,
            today - 6 * DAY,
            today - 29 * DAY,
            datetime.date(2026, 11, 1),
            datetime.date(2026, 3, 9),
        ]
    ):
        edge = local_midnight(day, zone)
        for k, at in enumerate((edge - HOUR, edge - MICROSECOND, edge, edge + HOUR)):
            if at < datetime.datetime.now(datetime.UTC):
                world.usage(
                    world.task(agent, project_issue if k % 2 else None),
                    model=f"model-{(n + k) % 3}",
                    input_tokens=1000 * n + k + 1,
                    created_at=at,
                )
    db.execute(
        "UPDATE task_usage SET output_tokens = output_tokens + 3"
        " WHERE id IN (SELECT id FROM task_usage ORDER BY created_at DESC LIMIT 3)"
    )
    db.execute("DELETE FROM task_usage WHERE id = (SELECT id FROM task_usage ORDER BY created_at LIMIT 1)")
    queued_days = db.execute("SELECT count(DISTINCT bucket_date) FROM task_usage_dashboard_dirty").fetchone()
    assert queued_days is not None
    assert queued_days[0] > 3
    assert await _assert_paths_agree(database_url, workspace_id, project_id, zone) > 20

    await catch_up(database_url)
    assert await _assert_paths_agree(database_url, workspace_id, project_id, zone) > 20


async def test_a_task_with_a_provider_spelled_two_ways_across_a_utc_midnight_counts_once(
    world: World, db: Conn, database_url: str
) -> None:
    zone = zoneinfo.ZoneInfo("Asia/Kolkata")
    workspace_id = world.workspace()
    project_id = _usage_around_midnights(world, workspace_id, zone)
    # One Kolkata day holds this UTC midnight (05:30 local): the task's two rows are one
    # (provider, model) once normalized, on two UTC days, so the day counts the task once.
    utc_midnight = datetime.datetime.combine(today_in(zone) - 3 * DAY, datetime.time(), datetime.UTC)
    task = world.task(world.agent(workspace_id))
    world.usage(task, provider="OpenAI", model="gpt-5", input_tokens=1, created_at=utc_midnight - MICROSECOND)
    world.usage(task, provider="openai", model="gpt-5", input_tokens=2, created_at=utc_midnight)
    await register_zones(database_url, ["Asia/Kolkata"])
    await backfill(database_url)

    assert await _assert_paths_agree(database_url, workspace_id, project_id, zone) > 20
    f = DashboardFilter(workspace_id=workspace_id, window=window_for_days(7, zone))
    async with await connect(database_url) as conn:
        [row] = [r for r in await ROLLUP.daily(DashboardDb.of(conn), f) if r.model == "gpt-5"]
    assert (row.input_tokens, row.task_count) == (3, 1)


async def test_tasks_moved_into_a_project_after_the_fill_move_their_prefixes_after_a_tick(
    world: World, db: Conn, database_url: str
) -> None:
    # A tick takes a day's prefix attribution from the day's per-task rows inside the per-task
    # horizon and from the task's issue before it: the moved tasks have usage on both kinds of day.
    zone = zoneinfo.ZoneInfo("Asia/Kolkata")
    workspace_id, project_id = await _backfilled_usage_around_midnights(world, database_url, zone)
    f = DashboardFilter(workspace_id=workspace_id, window=window_for_days(365, zone), project_id=project_id)
    async with await connect(database_url) as conn:
        before = sum(r.input_tokens for r in await ROLLUP.daily(DashboardDb.of(conn), f))

    moved = db.execute(
        "UPDATE agent_task_queue SET issue_id = (SELECT id FROM issue WHERE project_id = %s)"
        " WHERE issue_id IS NULL AND agent_id IN (SELECT id FROM agent WHERE workspace_id = %s)",
        (project_id, workspace_id),
    ).rowcount
    assert moved > 0
    await catch_up(database_url)

    assert db.execute("SELECT count(*) FROM task_usage_dashboard_dirty").fetchone() == (0,)
    assert await _assert_paths_agree(database_url, workspace_id, project_id, zone) > 20
    async with await connect(database_url) as conn:
        after = sum(r.input_tokens for r in await ROLLUP.daily(DashboardDb.of(conn), f))
    assert after > before
    assert await _rollup_reads("task_usage_dashboard_daily_shift_model", database_url, db, workspace_id, zone)
