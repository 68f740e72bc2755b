"""The coarse by-agent levels (migration 0004): weeks per agent, settled months per project.

A workspace's by-agent read takes the whole weeks of its edge days from
task_usage_dashboard_weekly_agent_model; a project's takes the months before
project_months_before from task_usage_dashboard_monthly_project_agent_model and every other day
from the base table. Every rebuild of a day must re-sum its week and, when settled, its month,
and a tick settles one more month once the per-task horizon has left it.
"""

from __future__ import annotations

import datetime
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

from app.db import queries
from app.db.migrate import Runner
from app.db.queries import DashboardFilter, UsageReport
from app.window import window_for_days
from tests.rollup_helpers import (
    Conn,
    assert_matches,
    at,
    backfill,
    catch_up,
    connect,
    day,
    month_edge_windows,
    month_start,
    project_month_mismatches,
    tick,
    week_edge_windows,
    week_level_mismatches,
)
from tests.world import World, today_utc

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

# Usage days: recent ones (never settled), days of settled months, one before a year ago.
DAYS_AGO = (0, 3, 20, 40, 70, 95, 130, 200, 300, 364, 380)


@dataclass
class ProjectWorld:
    """One workspace whose two agents work on two projects' issues and an issue of none."""

    workspace: uuid.UUID
    projects: list[uuid.UUID]
    issues: list[uuid.UUID]
    tasks: dict[tuple[int, uuid.UUID], uuid.UUID]  # (days ago, issue) -> task


def build(world: World) -> ProjectWorld:
    """Usage on every day of DAYS_AGO, for each agent and issue, with distinct token counts."""
    ws = world.workspace()
    agents = [world.agent(ws), world.agent(ws)]
    projects = [world.project(ws), world.project(ws)]
    issues = [world.issue(ws, projects[0]), world.issue(ws, projects[1]), world.issue(ws)]
    tasks: dict[tuple[int, uuid.UUID], uuid.UUID] = {}
    for days_ago in DAYS_AGO:
        for n, issue in enumerate(issues):
            task = world.task(agents[n % 2], issue)
            tasks[days_ago, issue] = task
            world.usage(task, model=f"m{n}", input_tokens=days_ago * 10 + n + 1, created_at=at(days_ago))
    return ProjectWorld(ws, projects, issues, tasks)


def expected_settled_before() -> datetime.date:
    """The first month not yet settled: the month of the per-task horizon's first day (35 days)."""
    return month_start(today_utc() - datetime.timedelta(days=35))


def settled_before(db: Conn) -> datetime.date:
    """The state's project_months_before."""
    row = db.execute("SELECT project_months_before FROM task_usage_dashboard_rollup_state").fetchone()
    assert row is not None
    value = row[0]
    assert isinstance(value, datetime.date)
    return value


def level_months(db: Conn) -> set[datetime.date]:
    """The months the monthly per-project level holds rows for."""
    return {
        r[0]
        for r in db.execute("SELECT DISTINCT month FROM task_usage_dashboard_monthly_project_agent_model")
    }


def settled_usage_months(before: datetime.date) -> set[datetime.date]:
    """The months of DAYS_AGO that lie before `before`."""
    return {month_start(day(d)) for d in DAYS_AGO if day(d) < before}


async def by_agent_input_tokens(database_url: str, f: DashboardFilter) -> int:
    """The rollup by-agent read's input tokens, summed over its rows."""
    async with await connect(database_url) as conn:
        return sum(r.input_tokens for r in await queries.list_dashboard_usage_by_agent_rollup(conn, f))


async def assert_reads_match(database_url: str, pw: ProjectWorld) -> None:
    """Rollup == raw for the workspace and each project, over every window ending today and
    windows placed on the month boundaries of the last year and on every weekday."""
    windows = month_edge_windows(13) + week_edge_windows()
    compared = await assert_matches(
        database_url, [pw.workspace], {pw.workspace: pw.projects}, extra_windows=windows
    )
    assert compared > 0


async def test_backfill_sums_every_week_and_settled_month_and_reads_stay_exact(
    world: World, db: Conn, database_url: str
) -> None:
    pw = build(world)
    await backfill(database_url)

    assert week_level_mismatches(db) == 0
    weeks = db.execute("SELECT count(DISTINCT week) FROM task_usage_dashboard_weekly_agent_model").fetchone()
    assert weeks == (len({day(d) - datetime.timedelta(days=day(d).weekday()) for d in DAYS_AGO}),)

    assert settled_before(db) == expected_settled_before()
    assert level_months(db) == settled_usage_months(expected_settled_before())
    assert project_month_mismatches(db) == 0
    await assert_reads_match(database_url, pw)


async def test_the_project_read_takes_settled_months_from_the_level(
    world: World, db: Conn, database_url: str
) -> None:
    pw = build(world)
    await backfill(database_url)
    f = DashboardFilter(workspace_id=pw.workspace, window=window_for_days(365), project_id=pw.projects[0])
    before = await by_agent_input_tokens(database_url, f)

    # Skew one settled month of the level: the read must show it, or it never reads the level.
    db.execute(
        "UPDATE task_usage_dashboard_monthly_project_agent_model"
        " SET input_tokens = input_tokens + 1000"
        " WHERE project_id = %s AND month = %s",
        (pw.projects[0], month_start(day(200))),
    )
    assert await by_agent_input_tokens(database_url, f) == before + 1000
    # The skewed row, counted once as missing from the level and once as extra in it.
    assert project_month_mismatches(db) == 2


async def test_the_workspace_read_takes_whole_weeks_from_the_weekly_level(
    world: World, db: Conn, database_url: str
) -> None:
    pw = build(world)
    await backfill(database_url)
    # 30 days hold at least three whole weeks; the one of 20 days ago is whole in the window.
    f = DashboardFilter(workspace_id=pw.workspace, window=window_for_days(30))
    before = await by_agent_input_tokens(database_url, f)

    db.execute(
        "UPDATE task_usage_dashboard_weekly_agent_model SET input_tokens = input_tokens + 1000"
        " WHERE workspace_id = %s AND week = %s AND model = 'm0'",
        (pw.workspace, day(20) - datetime.timedelta(days=day(20).weekday())),
    )
    assert await by_agent_input_tokens(database_url, f) == before + 1000
    # The skewed row, counted once as missing from the level and once as extra in it.
    assert week_level_mismatches(db) == 2


async def test_changes_resum_their_weeks_and_settled_months(
    world: World, db: Conn, database_url: str
) -> None:
    pw = build(world)
    await backfill(database_url)
    first, second, no_project = pw.issues
    # A recent re-report, through the platform's upsert.
    async with await connect(database_url) as conn:
        await queries.upsert_task_usage(conn, [UsageReport(pw.tasks[0, first], "", "m9", 5, 0, 0, 0)])

    # An old issue re-filed under the other project, an old usage row corrected, an old task
    # deleted, and an old task moved to an issue with no project.
    db.execute("UPDATE issue SET project_id = %s WHERE id = %s", (pw.projects[1], first))
    db.execute(
        "UPDATE task_usage SET input_tokens = input_tokens + 7 WHERE task_id = %s",
        (pw.tasks[300, second],),
    )
    db.execute("DELETE FROM agent_task_queue WHERE id = %s", (pw.tasks[95, second],))
    db.execute("UPDATE agent_task_queue SET issue_id = %s WHERE id = %s", (no_project, pw.tasks[130, second]))
    await catch_up(database_url)

    assert week_level_mismatches(db) == 0
    assert project_month_mismatches(db) == 0
    assert level_months(db) == settled_usage_months(expected_settled_before())
    first_project_rows = db.execute(
        "SELECT count(*) FROM task_usage_dashboard_monthly_project_agent_model WHERE project_id = %s",
        (pw.projects[0],),
    ).fetchone()
    assert first_project_rows == (0,)
    await assert_reads_match(database_url, pw)


async def test_a_tick_settles_one_month_at_a_time(world: World, db: Conn, database_url: str) -> None:
    pw = build(world)
    await backfill(database_url)
    settled = expected_settled_before()
    # As after three months without a tick: the level stops three months short.
    behind = month_start(settled, 3)
    db.execute("UPDATE task_usage_dashboard_rollup_state SET project_months_before = %s", (behind,))
    db.execute("DELETE FROM task_usage_dashboard_monthly_project_agent_model WHERE month >= %s", (behind,))
    await assert_reads_match(database_url, pw)

    for months in (2, 1, 0):
        assert tick(db) is not None
        assert settled_before(db) == month_start(settled, months)
        assert level_months(db) == settled_usage_months(month_start(settled, months))
        assert project_month_mismatches(db) == 0
        await assert_reads_match(database_url, pw)

    assert tick(db) is not None
    assert settled_before(db) == settled


async def test_upgrading_from_0003_then_backfilling_sums_the_settled_months(
    empty_database_url: str, tmp_path: Path
) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for path in MIGRATIONS.glob("000[123]_*.sql"):
        shutil.copy(path, migrations)
    assert Runner(empty_database_url, migrations).up() == ["0001", "0002", "0003"]
    with psycopg.connect(empty_database_url, autocommit=True) as db:
        pw = build(World(db))
        # Rolled up as 0003 did it.
        db.execute("SELECT rollup_task_usage_dashboard_daily_window(%s, %s)", (at(400), at(-1)))

        # 0005 (provider and cost in every level) empties the rollup for a new backfill.
        assert "0005" in Runner(empty_database_url).up()
        assert settled_before(db) == expected_settled_before()
        assert level_months(db) == set()
        await backfill(empty_database_url)
        assert settled_before(db) == expected_settled_before()
        assert level_months(db) == settled_usage_months(expected_settled_before())
        assert project_month_mismatches(db) == 0
        assert week_level_mismatches(db) == 0
        await assert_reads_match(empty_database_url, pw)

        # And kept from then on: a settled month's usage deleted.
        db.execute("DELETE FROM task_usage WHERE task_id = %s", (pw.tasks[200, pw.issues[0]],))
        await catch_up(empty_database_url)
        assert project_month_mismatches(db) == 0
        await assert_reads_match(empty_database_url, pw)
