"""One write of each kind the platform makes, then a tick: the rollup must equal raw (rollup.md).

Every test builds the same small world, brings the rollup up to date, makes ONE kind of write,
ticks, and checks both that every read agrees with raw and that the bucket the write touched
moved or vanished (so agreement is never vacuous).
"""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from dataclasses import dataclass

import psycopg
import pytest

from app.db import queries
from app.db.queries import DashboardFilter, UsageReport
from app.window import window_for_days
from tests.rollup_helpers import (
    Conn,
    assert_matches,
    assert_no_orphan_rollup_rows,
    assert_rollup_matches_raw,
    at,
    backfill,
    bucket_tokens,
    catch_up,
    connect,
    day,
    queued_days,
    rollup_rows,
    tick,
)
from tests.world import World, today_utc


@dataclass(frozen=True)
class Scene:
    """Two workspaces with agents, projects, issues, tasks and usage on a few UTC days.

    Input token amounts are distinct powers of ten, so every bucket's sum names its rows.
    """

    ws: uuid.UUID
    other_ws: uuid.UUID
    agent_a: uuid.UUID
    agent_b: uuid.UUID
    agent_other: uuid.UUID
    project_1: uuid.UUID
    project_2: uuid.UUID
    project_other: uuid.UUID
    issue_1: uuid.UUID
    issue_2: uuid.UUID
    issue_none: uuid.UUID
    task_1: uuid.UUID
    task_2: uuid.UUID
    task_3: uuid.UUID
    task_quick: uuid.UUID
    task_other: uuid.UUID

    @property
    def workspaces(self) -> list[uuid.UUID]:
        return [self.ws, self.other_ws]

    @property
    def projects(self) -> dict[uuid.UUID, list[uuid.UUID]]:
        return {self.ws: [self.project_1, self.project_2], self.other_ws: [self.project_other]}


def build(world: World) -> Scene:
    ws, other_ws = world.workspace(), world.workspace()
    agent_a, agent_b, agent_other = world.agent(ws), world.agent(ws), world.agent(other_ws)
    project_1, project_2, project_other = world.project(ws), world.project(ws), world.project(other_ws)
    issue_1, issue_2, issue_none = world.issue(ws, project_1), world.issue(ws, project_2), world.issue(ws)
    issue_other = world.issue(other_ws, project_other)
    task_1 = world.task(agent_a, issue_1)
    task_2 = world.task(agent_b, issue_2)
    task_3 = world.task(agent_a, issue_none)
    task_quick = world.task(agent_b)
    task_other = world.task(agent_other, issue_other)
    world.usage(task_1, model="model-a", input_tokens=1, output_tokens=7, created_at=at(3, 1))
    world.usage(task_1, model="model-b", input_tokens=10, cache_read_tokens=5, created_at=at(1, 23))
    world.usage(task_2, model="model-a", input_tokens=100, cache_write_tokens=3, created_at=at(3, 22))
    world.usage(task_2, model="model-a", provider="p2", input_tokens=1_000, created_at=at(3, 23))
    world.usage(task_3, model="model-b", input_tokens=10_000, created_at=at(2))
    world.usage(task_quick, model="model-a", input_tokens=100_000, created_at=at(2, 0, 1))
    world.usage(task_quick, model="model-c", input_tokens=1_000_000, created_at=at(40))
    world.usage(task_other, model="model-a", input_tokens=10_000_000, created_at=at(3))
    return Scene(
        ws,
        other_ws,
        agent_a,
        agent_b,
        agent_other,
        project_1,
        project_2,
        project_other,
        issue_1,
        issue_2,
        issue_none,
        task_1,
        task_2,
        task_3,
        task_quick,
        task_other,
    )


async def prepared(world: World, database_url: str) -> Scene:
    """The scene, backfilled, before the write under test."""
    scene = build(world)
    await backfill(database_url)
    return scene


async def ticked_and_matching(database_url: str, scene: Scene, db: Conn) -> None:
    await catch_up(database_url)
    assert await assert_matches(database_url, scene.workspaces, scene.projects) > 0
    assert_no_orphan_rollup_rows(db)


async def test_moving_an_issue_to_another_project_moves_its_tokens(
    world: World, db: Conn, database_url: str
) -> None:
    s = await prepared(world, database_url)
    before = bucket_tokens(db, s.ws)
    assert before[day(3), s.project_1] == 1
    assert before[day(3), s.project_2] == 1_100

    db.execute("UPDATE issue SET project_id = %s WHERE id = %s", (s.project_2, s.issue_1))
    await ticked_and_matching(database_url, s, db)

    after = bucket_tokens(db, s.ws)
    assert (day(3), s.project_1) not in after
    assert (day(1), s.project_1) not in after
    assert after[day(3), s.project_2] == 1_101
    assert after[day(1), s.project_2] == 10


async def test_moving_an_issue_out_of_any_project_moves_its_tokens_to_no_project(
    world: World, db: Conn, database_url: str
) -> None:
    s = await prepared(world, database_url)
    db.execute("UPDATE issue SET project_id = NULL WHERE id = %s", (s.issue_2,))
    await ticked_and_matching(database_url, s, db)
    after = bucket_tokens(db, s.ws)
    assert (day(3), s.project_2) not in after
    assert after[day(3), None] == 1_100


async def test_deleting_an_issue_clears_its_bucket(world: World, db: Conn, database_url: str) -> None:
    s = await prepared(world, database_url)
    db.execute("DELETE FROM issue WHERE id = %s", (s.issue_2,))
    await ticked_and_matching(database_url, s, db)
    after = bucket_tokens(db, s.ws)
    assert (day(3), s.project_2) not in after
    assert after[day(3), s.project_1] == 1
    assert (
        rollup_rows(db, "agent_id = %(a)s AND project_id = %(p)s", {"a": s.agent_b, "p": s.project_2}) == []
    )


async def test_linking_a_quick_create_task_to_an_issue_moves_its_tokens_out_of_no_project(
    world: World, db: Conn, database_url: str
) -> None:
    s = await prepared(world, database_url)
    before = bucket_tokens(db, s.ws)
    assert before[day(2), None] == 110_000
    assert before[day(40), None] == 1_000_000

    db.execute("UPDATE agent_task_queue SET issue_id = %s WHERE id = %s", (s.issue_1, s.task_quick))
    await ticked_and_matching(database_url, s, db)

    after = bucket_tokens(db, s.ws)
    assert after[day(2), None] == 10_000
    assert after[day(2), s.project_1] == 100_000
    assert (day(40), None) not in after
    assert after[day(40), s.project_1] == 1_000_000


async def test_moving_a_task_to_another_agent_moves_its_tokens(
    world: World, db: Conn, database_url: str
) -> None:
    s = await prepared(world, database_url)
    db.execute("UPDATE agent_task_queue SET agent_id = %s WHERE id = %s", (s.agent_other, s.task_quick))
    await ticked_and_matching(database_url, s, db)
    assert rollup_rows(db, "agent_id = %(a)s AND project_id IS NULL", {"a": s.agent_b}) == []
    moved = rollup_rows(db, "agent_id = %(a)s AND project_id IS NULL", {"a": s.agent_other})
    assert {(r["bucket_date"], r["workspace_id"], r["input_tokens"]) for r in moved} == {
        (day(2), s.other_ws, 100_000),
        (day(40), s.other_ws, 1_000_000),
    }


async def test_moving_an_agent_to_another_workspace_moves_its_tokens(
    world: World, db: Conn, database_url: str
) -> None:
    s = await prepared(world, database_url)
    db.execute("UPDATE agent SET workspace_id = %s WHERE id = %s", (s.other_ws, s.agent_b))
    await ticked_and_matching(database_url, s, db)
    assert rollup_rows(db, "workspace_id = %(w)s AND agent_id = %(a)s", {"w": s.ws, "a": s.agent_b}) == []
    assert bucket_tokens(db, s.other_ws)[day(3), s.project_2] == 1_100


async def test_deleting_usage_rows_clears_their_buckets(world: World, db: Conn, database_url: str) -> None:
    s = await prepared(world, database_url)
    db.execute("DELETE FROM task_usage WHERE task_id = %s AND provider = ''", (s.task_2,))
    db.execute("DELETE FROM task_usage WHERE task_id = %s AND model = 'model-c'", (s.task_quick,))
    await ticked_and_matching(database_url, s, db)
    after = bucket_tokens(db, s.ws)
    assert after[day(3), s.project_2] == 1_000
    assert (day(40), None) not in after
    [row] = rollup_rows(db, "agent_id = %(a)s AND bucket_date = %(d)s", {"a": s.agent_b, "d": day(3)})
    assert (row["event_count"], row["task_count"], row["cache_write_tokens"]) == (1, 1, 0)


async def test_deleting_a_task_clears_its_tokens(world: World, db: Conn, database_url: str) -> None:
    s = await prepared(world, database_url)
    db.execute("DELETE FROM agent_task_queue WHERE id = %s", (s.task_quick,))
    await ticked_and_matching(database_url, s, db)
    after = bucket_tokens(db, s.ws)
    assert after[day(2), None] == 10_000
    assert (day(40), None) not in after


async def test_deleting_a_project_moves_its_tokens_to_no_project(
    world: World, db: Conn, database_url: str
) -> None:
    s = await prepared(world, database_url)
    db.execute("DELETE FROM project WHERE id = %s", (s.project_1,))
    await ticked_and_matching(database_url, s, db)
    after = bucket_tokens(db, s.ws)
    assert not any(project == s.project_1 for _, project in after)
    assert after[day(3), None] == 1
    assert after[day(1), None] == 10


async def test_deleting_an_agent_leaves_no_rollup_rows_of_it(
    world: World, db: Conn, database_url: str
) -> None:
    s = await prepared(world, database_url)
    assert rollup_rows(db, "agent_id = %(a)s", {"a": s.agent_b}) != []
    db.execute("DELETE FROM agent WHERE id = %s", (s.agent_b,))
    await ticked_and_matching(database_url, s, db)
    assert rollup_rows(db, "agent_id = %(a)s", {"a": s.agent_b}) == []
    assert bucket_tokens(db, s.ws)[day(3), s.project_1] == 1


async def test_deleting_a_workspace_leaves_no_rollup_rows_of_it(
    world: World, db: Conn, database_url: str
) -> None:
    s = await prepared(world, database_url)
    assert rollup_rows(db, "workspace_id = %(w)s", {"w": s.ws}) != []
    db.execute("DELETE FROM workspace WHERE id = %s", (s.ws,))
    await ticked_and_matching(database_url, s, db)
    assert rollup_rows(db, "workspace_id = %(w)s", {"w": s.ws}) == []
    assert rollup_rows(db, "agent_id IN (%(a)s, %(b)s)", {"a": s.agent_a, "b": s.agent_b}) == []
    assert bucket_tokens(db, s.other_ws) == {(day(3), s.project_other): 10_000_000}


async def test_upsert_task_usage_re_report_replaces_counts(world: World, db: Conn, database_url: str) -> None:
    s = await prepared(world, database_url)
    first = UsageReport(s.task_1, "p", "model-d", 5, 6, 7, 8)
    second = UsageReport(s.task_1, "p", "model-d", 50, 60, 70, 80)
    async with await connect(database_url) as conn:
        await queries.upsert_task_usage(conn, [first])
        await catch_up(database_url)
        await queries.upsert_task_usage(conn, [second])
    await ticked_and_matching(database_url, s, db)
    rows = rollup_rows(db, "model = 'model-d'")
    assert [
        (
            r["bucket_date"],
            r["project_id"],
            r["input_tokens"],
            r["output_tokens"],
            r["cache_read_tokens"],
            r["cache_write_tokens"],
            r["event_count"],
            r["task_count"],
        )
        for r in rows
    ] == [(today_utc(), s.project_1, 50, 60, 70, 80, 1, 1)]


async def test_truncating_usage_empties_the_rollup(world: World, db: Conn, database_url: str) -> None:
    s = await prepared(world, database_url)
    assert rollup_rows(db) != []
    db.execute("TRUNCATE task_usage")
    await catch_up(database_url)
    # Raw is empty now: agreement means the rollup is empty too.
    assert await assert_matches(database_url, s.workspaces, s.projects) == 0
    assert rollup_rows(db) == []


async def test_one_model_under_two_providers_on_two_days_is_exact_task_count_included(
    world: World, db: Conn, database_url: str
) -> None:
    s = await prepared(world, database_url)
    world.usage(s.task_1, model="model-a", provider="other", input_tokens=20, created_at=at(2))
    await catch_up(database_url)
    async with await connect(database_url) as conn:
        compared = await assert_rollup_matches_raw(conn, s.workspaces, s.projects)
    assert compared > 0
    assert bucket_tokens(db, s.ws)[day(2), s.project_1] == 20
    assert_no_orphan_rollup_rows(db)


async def _assert_gpt5_is_one_openai_task_of_12_tokens(database_url: str, s: Scene) -> None:
    """After a catch-up: both read paths agree, and the 7-day by-agent rollup holds gpt-5 as one
    "openai" row of 12 input tokens and one task."""
    await catch_up(database_url)
    async with await connect(database_url) as conn:
        assert await assert_rollup_matches_raw(conn, s.workspaces, s.projects) > 0
        f = DashboardFilter(workspace_id=s.ws, window=window_for_days(7))
        rows = await queries.list_dashboard_usage_by_agent_rollup(conn, f)
    [row] = [r for r in rows if r.model == "gpt-5"]
    assert (row.provider, row.input_tokens, row.task_count) == ("openai", 12, 1)


@pytest.mark.parametrize("spelling", ["OpenAI", " openai", "OPENAI "])
async def test_one_provider_spelled_two_ways_on_two_days_counts_the_task_once(
    world: World, db: Conn, database_url: str, spelling: str
) -> None:
    """ "openai" and "OpenAI" are one provider: the task's two rows of one model, on two UTC days,
    are one task in a by-agent window holding both days, on both read paths."""
    s = await prepared(world, database_url)
    world.usage(s.task_1, model="gpt-5", provider="openai", input_tokens=5, created_at=at(3))
    world.usage(s.task_1, model="gpt-5", provider=spelling, input_tokens=7, created_at=at(1))
    await _assert_gpt5_is_one_openai_task_of_12_tokens(database_url, s)


async def test_two_spellings_written_in_one_statement_count_the_task_once(
    world: World, db: Conn, database_url: str
) -> None:
    """The respelling probe runs after the statement (after-row triggers): two rows of one model
    under two spellings, on two UTC days, written by one INSERT, see each other."""
    s = await prepared(world, database_url)
    db.execute(
        "INSERT INTO task_usage (task_id, provider, model, input_tokens, created_at)"
        " VALUES (%(t)s, 'openai', 'gpt-5', 5, %(first)s), (%(t)s, 'OpenAI', 'gpt-5', 7, %(second)s)",
        {"t": s.task_1, "first": at(3), "second": at(1)},
    )
    await _assert_gpt5_is_one_openai_task_of_12_tokens(database_url, s)


ZONES = ("Pacific/Kiritimati", "America/Los_Angeles")


def session(database_url: str, time_zone: str) -> Conn:
    conn = psycopg.connect(database_url, autocommit=True)
    conn.execute("SELECT set_config('TimeZone', %s, false)", (time_zone,))
    return conn


@pytest.mark.parametrize("time_zone", ZONES)
async def test_usage_written_near_utc_midnight_from_a_non_utc_session_lands_in_the_utc_day(
    time_zone: str, world: World, db: Conn, database_url: str
) -> None:
    s = await prepared(world, database_url)
    # Just before and just after UTC midnight between day(6) and day(5); the writer passes local
    # wall-clock times, which its session turns into these instants.
    instants = {at(6, 23, 59): 1, at(5, 0, 0): 2, at(5, 0, 1): 4}
    zone = zoneinfo.ZoneInfo(time_zone)
    local_dates = {ts.astimezone(zone).date() for ts in instants}
    assert local_dates != {day(6), day(5)}, "the zone must move some instant to another local date"
    # One task per UTC day, one provider per instant (the unique key is task, provider, model).
    tasks = {d: world.task(s.agent_a, s.issue_1) for d in (day(6), day(5))}
    with session(database_url, time_zone) as writer:
        for ts, tokens in instants.items():
            writer.execute(
                "INSERT INTO task_usage (task_id, provider, model, input_tokens, created_at)"
                " VALUES (%s, %s, 'model-tz', %s, %s::timestamp::timestamptz)",
                (tasks[ts.date()], str(tokens), tokens, ts.astimezone(zone).replace(tzinfo=None).isoformat()),
            )
        assert queued_days(writer) == {day(6), day(5)}
    await ticked_and_matching(database_url, s, db)
    rows = rollup_rows(db, "model = 'model-tz'")
    assert [(r["bucket_date"], r["provider"], r["input_tokens"]) for r in rows] == [
        (day(6), "1", 1),
        (day(5), "2", 2),
        (day(5), "4", 4),
    ]
    assert await assert_matches(database_url, s.workspaces, s.projects, time_zone=time_zone) > 0


@pytest.mark.parametrize("time_zone", ZONES)
async def test_a_tick_from_a_non_utc_session_buckets_by_utc_day(
    time_zone: str, world: World, db: Conn, database_url: str
) -> None:
    assert zoneinfo.ZoneInfo(time_zone).utcoffset(at(7, 0)) != datetime.timedelta(0)
    s = build(world)
    tasks = {d: world.task(s.agent_a, s.issue_none) for d in (day(8), day(7))}
    for ts, tokens in {at(8, 23, 59): 1, at(7, 0, 0): 2, at(7, 12): 4, at(7, 23, 59): 8}.items():
        world.usage(
            tasks[ts.date()], model="model-tz", provider=str(tokens), input_tokens=tokens, created_at=ts
        )
    with session(database_url, time_zone) as ticker:
        while queued_days(ticker):
            assert (tick(ticker) or 0) >= 0
    rows = rollup_rows(db, "model = 'model-tz'")
    assert [(r["bucket_date"], r["provider"], r["input_tokens"]) for r in rows] == [
        (day(8), "1", 1),
        (day(7), "2", 2),
        (day(7), "4", 4),
        (day(7), "8", 8),
    ]
    assert await assert_matches(database_url, s.workspaces, s.projects, time_zone=time_zone) > 0
    assert_no_orphan_rollup_rows(db)
