"""GET /api/dashboard/agent-runtime: run time of terminal runs per agent."""

from __future__ import annotations

import datetime
import uuid

import pytest

from tests.api_helpers import (
    MICROSECOND,
    RUNTIME,
    RUNTIME_KEYS,
    Row,
    Tenant,
    assert_json_integer,
    day,
    fetch_rows,
    get,
    tenant,
    tomorrow_start,
    window_start,
)
from tests.conftest import Client
from tests.world import World, midnight

TERMINAL = ("completed", "failed", "cancelled")
NOT_TERMINAL = ("queued", "dispatched", "running")


def seconds(value: float) -> datetime.timedelta:
    return datetime.timedelta(seconds=value)


def run(
    world: World,
    agent: uuid.UUID,
    duration: datetime.timedelta,
    *,
    status: str = "completed",
    completed_at: datetime.datetime | None = None,
    issue: uuid.UUID | None = None,
) -> uuid.UUID:
    """A run of `duration` ending at completed_at (default: one hour into today, UTC)."""
    end = completed_at or midnight(day(0)) + datetime.timedelta(hours=1)
    return world.task(agent, issue, status=status, started_at=end - duration, completed_at=end)


def _summary(rows: list[Row]) -> list[tuple[object, ...]]:
    return [
        (
            row["agent_id"],
            row["total_seconds"],
            row["task_count"],
            row["failed_count"],
            row["cancelled_count"],
        )
        for row in rows
    ]


async def test_runtime_row_has_exactly_the_wire_keys_and_types(world: World, client: Client) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    run(world, agent, seconds(90))

    [row] = await fetch_rows(client, RUNTIME, ws)

    assert set(row) == RUNTIME_KEYS
    assert row == {
        "agent_id": str(agent),
        "total_seconds": 90,
        "task_count": 1,
        "failed_count": 0,
        "cancelled_count": 0,
    }
    assert str(uuid.UUID(row["agent_id"])) == row["agent_id"]
    for field in RUNTIME_KEYS - {"agent_id"}:
        assert_json_integer(row[field])


async def test_runtime_empty_result_is_an_empty_json_array(world: World, client: Client) -> None:
    ws = tenant(world)

    response = await get(client, RUNTIME, ws.headers, {"workspace_slug": ws.slug})

    assert response.status_code == 200
    assert response.text.strip() == "[]"


async def test_runtime_orders_by_total_seconds_desc_then_agent_id_asc(world: World, client: Client) -> None:
    ws = tenant(world)
    short = [world.agent(ws.id) for _ in range(3)]  # three agents tied at 10 s
    long = world.agent(ws.id)
    for agent in short:
        run(world, agent, seconds(10))
    run(world, long, seconds(50))

    rows = await fetch_rows(client, RUNTIME, ws)

    assert [(row["agent_id"], row["total_seconds"]) for row in rows] == [
        (str(long), 50),
        *[(str(agent), 10) for agent in sorted(short)],
    ]


async def test_runtime_sums_every_terminal_run_of_an_agent(world: World, client: Client) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    run(world, agent, seconds(60))
    run(world, agent, datetime.timedelta(hours=2))
    run(world, agent, seconds(1), completed_at=midnight(day(3)))

    rows = await fetch_rows(client, RUNTIME, ws, days=7)

    assert _summary(rows) == [(str(agent), 7261, 3, 0, 0)]


@pytest.mark.parametrize("status", TERMINAL)
async def test_each_terminal_status_counts(status: str, world: World, client: Client) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    run(world, agent, seconds(30), status=status)

    rows = await fetch_rows(client, RUNTIME, ws)

    assert _summary(rows) == [
        (str(agent), 30, 1, int(status == "failed"), int(status == "cancelled")),
    ]


@pytest.mark.parametrize("status", NOT_TERMINAL)
async def test_non_terminal_runs_never_count_even_with_both_timestamps(
    status: str, world: World, client: Client
) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    run(world, agent, seconds(5))
    run(world, agent, seconds(1000), status=status)

    rows = await fetch_rows(client, RUNTIME, ws)

    assert _summary(rows) == [(str(agent), 5, 1, 0, 0)]


@pytest.mark.parametrize("status", TERMINAL)
async def test_terminal_run_without_started_at_does_not_count(
    status: str, world: World, client: Client
) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    run(world, agent, seconds(5))
    world.task(agent, status=status, started_at=None, completed_at=midnight(day(0)))

    rows = await fetch_rows(client, RUNTIME, ws)

    assert _summary(rows) == [(str(agent), 5, 1, 0, 0)]


@pytest.mark.parametrize("status", TERMINAL)
async def test_terminal_run_without_completed_at_does_not_count(
    status: str, world: World, client: Client
) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    run(world, agent, seconds(5))
    world.task(agent, status=status, started_at=midnight(day(0)), completed_at=None)

    rows = await fetch_rows(client, RUNTIME, ws)

    assert _summary(rows) == [(str(agent), 5, 1, 0, 0)]


async def test_failed_and_cancelled_counts_are_disjoint_subsets_of_task_count(
    world: World, client: Client
) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    for status, n in [("completed", 2), ("failed", 3), ("cancelled", 4)]:
        for _ in range(n):
            run(world, agent, seconds(1), status=status)

    [row] = await fetch_rows(client, RUNTIME, ws)

    assert (row["task_count"], row["failed_count"], row["cancelled_count"]) == (9, 3, 4)
    assert row["total_seconds"] == 9


async def test_total_seconds_is_rounded_once_after_summing(world: World, client: Client) -> None:
    """Three runs of 10.4 s are 31.2 s → 31; rounding each run first would give 30."""
    ws = tenant(world)
    agent = world.agent(ws.id)
    for _ in range(3):
        run(world, agent, seconds(10.4))

    [row] = await fetch_rows(client, RUNTIME, ws)

    assert row["total_seconds"] == 31


async def test_total_seconds_keeps_sub_second_runs(world: World, client: Client) -> None:
    """Four runs of 0.4 s are 1.6 s → 2; truncating each run would give 0."""
    ws = tenant(world)
    agent = world.agent(ws.id)
    for _ in range(4):
        run(world, agent, seconds(0.4))

    [row] = await fetch_rows(client, RUNTIME, ws)

    assert (row["total_seconds"], row["task_count"]) == (2, 4)


@pytest.mark.parametrize("days", [1, 7, 30])
async def test_window_applies_to_completed_at(days: int, world: World, client: Client) -> None:
    ws = tenant(world)
    at_since, before_since, started_long_before = (world.agent(ws.id) for _ in range(3))
    since = window_start(days)
    run(world, at_since, seconds(10), completed_at=since)
    run(world, before_since, seconds(10), completed_at=since - MICROSECOND)
    # Started 40 days before the window, completed inside it: counts, with its full duration.
    run(world, started_long_before, datetime.timedelta(days=40), completed_at=since + seconds(1))

    rows = await fetch_rows(client, RUNTIME, ws, days=days)

    assert {row["agent_id"]: row["total_seconds"] for row in rows} == {
        str(at_since): 10,
        str(started_long_before): 40 * 86400,
    }


async def test_window_defaults_to_30_days_of_completed_at(world: World, client: Client) -> None:
    ws = tenant(world)
    inside, outside = world.agent(ws.id), world.agent(ws.id)
    run(world, inside, seconds(3), completed_at=window_start(30))
    run(world, outside, seconds(3), completed_at=window_start(30) - MICROSECOND)

    rows = await fetch_rows(client, RUNTIME, ws)

    assert [row["agent_id"] for row in rows] == [str(inside)]


async def test_run_completed_after_today_utc_is_outside_the_window(world: World, client: Client) -> None:
    ws = tenant(world)
    today, future = world.agent(ws.id), world.agent(ws.id)
    run(world, today, seconds(3), completed_at=tomorrow_start() - MICROSECOND)
    run(world, future, seconds(3), completed_at=tomorrow_start())

    rows = await fetch_rows(client, RUNTIME, ws, days=1)

    assert [row["agent_id"] for row in rows] == [str(today)]


async def test_runtime_does_not_need_usage_rows(world: World, client: Client) -> None:
    """Run time comes from tasks alone; a run that reported no tokens still took time."""
    ws = tenant(world)
    agent = world.agent(ws.id)
    run(world, agent, seconds(12))

    assert _summary(await fetch_rows(client, RUNTIME, ws)) == [(str(agent), 12, 1, 0, 0)]


async def test_runtime_belongs_to_the_agents_workspace_not_the_issues(world: World, client: Client) -> None:
    agents_ws = tenant(world)
    issues_ws = tenant(world)
    agent = world.agent(agents_ws.id)
    run(world, agent, seconds(8), issue=world.issue(issues_ws.id, world.project(issues_ws.id)))

    assert _summary(await fetch_rows(client, RUNTIME, agents_ws)) == [(str(agent), 8, 1, 0, 0)]
    assert await fetch_rows(client, RUNTIME, issues_ws) == []


async def test_runtime_of_other_workspaces_is_not_counted(world: World, client: Client) -> None:
    ws = tenant(world)
    other = tenant(world)
    mine = world.agent(ws.id)
    run(world, mine, seconds(4))
    run(world, world.agent(other.id), seconds(400))

    assert _summary(await fetch_rows(client, RUNTIME, ws)) == [(str(mine), 4, 1, 0, 0)]


def _project_world(world: World, ws: Tenant) -> tuple[uuid.UUID, uuid.UUID]:
    """One agent with runs of 1 s (project), 10 s (other project), 100 s (no project), 1000 s (no issue)."""
    agent = world.agent(ws.id)
    project = world.project(ws.id)
    run(world, agent, seconds(1), issue=world.issue(ws.id, project), status="failed")
    run(world, agent, seconds(10), issue=world.issue(ws.id, world.project(ws.id)))
    run(world, agent, seconds(100), issue=world.issue(ws.id))
    run(world, agent, seconds(1000))
    return agent, project


async def test_project_filter_keeps_only_runs_whose_issue_is_in_the_project(
    world: World, client: Client
) -> None:
    ws = tenant(world)
    agent, project = _project_world(world, ws)

    rows = await fetch_rows(client, RUNTIME, ws, project_id=str(project))

    assert _summary(rows) == [(str(agent), 1, 1, 1, 0)]


async def test_empty_project_id_covers_every_run_of_the_workspace(world: World, client: Client) -> None:
    ws = tenant(world)
    agent, _ = _project_world(world, ws)

    rows = await fetch_rows(client, RUNTIME, ws, project_id="")

    assert _summary(rows) == [(str(agent), 1111, 4, 1, 0)]


async def test_moving_an_issue_to_another_project_moves_its_run_time(world: World, client: Client) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    first, second = world.project(ws.id), world.project(ws.id)
    issue = world.issue(ws.id, first)
    run(world, agent, seconds(6), issue=issue)

    world.conn.execute("UPDATE issue SET project_id = %s WHERE id = %s", (second, issue))

    assert await fetch_rows(client, RUNTIME, ws, project_id=str(first)) == []
    assert _summary(await fetch_rows(client, RUNTIME, ws, project_id=str(second))) == [
        (str(agent), 6, 1, 0, 0)
    ]
