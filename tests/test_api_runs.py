"""runtime/daily, failures/daily, failures/by-agent, agents, projects and GET /api/me (docs/api.md).

The run families count different populations on purpose: run time counts terminal runs that
started (cancelled ones consumed time); failures count finished runs, started or not (a task
that expired in the queue failed), and leave cancelled runs out.
"""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from typing import Any

import pytest

from app.window import local_midnight, today_in
from tests.api_helpers import (
    AGENTS,
    FAILURES_BY_AGENT,
    FAILURES_DAILY,
    PROJECTS,
    RUNTIME,
    RUNTIME_DAILY,
    Tenant,
    assert_error,
    get,
    tenant,
)
from tests.conftest import Client
from tests.world import World, midnight, today_utc

DAY = datetime.timedelta(days=1)


async def _rows(client: Client, path: str, who: Tenant, **params: str | int) -> list[dict[str, Any]]:
    response = await get(client, path, who.headers, {"workspace_slug": who.slug, **params})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def _at(days_ago: int, hour: int = 12) -> datetime.datetime:
    return midnight(today_utc() - days_ago * DAY) + datetime.timedelta(hours=hour)


def _run(
    world: World, agent: uuid.UUID, status: str, seconds: int | None, days_ago: int, **kw: Any
) -> uuid.UUID:
    """A run completed days_ago at noon UTC that ran `seconds` (None: never started)."""
    completed = _at(days_ago)
    started = None if seconds is None else completed - datetime.timedelta(seconds=seconds)
    return world.task(agent, status=status, started_at=started, completed_at=completed, **kw)


# ---- runtime/daily ------------------------------------------------------------------------------


async def test_runtime_daily_counts_the_terminal_runs_that_started_per_local_day(
    world: World, client: Client
) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    _run(world, agent, "completed", 100, 1)
    _run(world, agent, "failed", 20, 1, failure_reason="timeout")
    _run(world, agent, "cancelled", 5, 1)
    _run(world, agent, "failed", None, 1, failure_reason="queued_expired")  # never started
    _run(world, agent, "completed", 7, 3)
    world.task(agent, status="running", started_at=_at(1, 1))
    _run(world, agent, "completed", 1000, 40)  # outside 30 days

    rows = await _rows(client, RUNTIME_DAILY, ws, tz="UTC")

    assert rows == [
        {
            "date": (today_utc() - DAY).isoformat(),
            "total_seconds": 125,
            "task_count": 3,
            "failed_count": 1,
            "cancelled_count": 1,
        },
        {
            "date": (today_utc() - 3 * DAY).isoformat(),
            "total_seconds": 7,
            "task_count": 1,
            "failed_count": 0,
            "cancelled_count": 0,
        },
    ]


async def test_runtime_daily_adds_up_to_agent_runtime(world: World, client: Client) -> None:
    ws = tenant(world)
    for n in range(3):
        agent = world.agent(ws.id)
        for day in range(n + 2):
            _run(world, agent, ("completed", "failed", "cancelled")[day % 3], 10 * day + n, day)

    daily = await _rows(client, RUNTIME_DAILY, ws, days=7)
    agents = await _rows(client, RUNTIME, ws, days=7)

    for field in ("total_seconds", "task_count", "failed_count", "cancelled_count"):
        assert sum(r[field] for r in daily) == sum(r[field] for r in agents), field


async def test_runtime_daily_places_a_run_on_the_local_day_of_its_completion(
    world: World, client: Client
) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    kolkata = zoneinfo.ZoneInfo("Asia/Kolkata")
    day = today_in(kolkata) - 2 * DAY
    edge = local_midnight(day, kolkata)
    for completed, seconds in ((edge - datetime.timedelta(microseconds=1), 1), (edge, 2)):
        world.task(
            agent,
            status="completed",
            started_at=completed - datetime.timedelta(seconds=seconds),
            completed_at=completed,
        )

    rows = await _rows(client, RUNTIME_DAILY, ws, tz="Asia/Kolkata", days=5)

    assert [(r["date"], r["total_seconds"]) for r in rows] == [
        (day.isoformat(), 2),
        ((day - DAY).isoformat(), 1),
    ]


# ---- failures -------------------------------------------------------------------------------------


async def test_failures_daily_counts_finished_runs_per_reason_completed_as_empty(
    world: World, client: Client
) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    _run(world, agent, "completed", 10, 1)
    _run(world, agent, "completed", None, 1)
    _run(world, agent, "failed", 5, 1, failure_reason="timeout")
    _run(world, agent, "failed", None, 1, failure_reason="queued_expired")  # expired in the queue
    _run(world, agent, "failed", 5, 1, failure_reason=None)
    _run(world, agent, "failed", 5, 1, failure_reason="")
    _run(world, agent, "failed", 5, 2, failure_reason="agent_error.brand_new_reason")
    _run(world, agent, "cancelled", 5, 1)  # not a failure, not a completion
    world.task(agent, status="running", started_at=_at(1, 1))

    rows = await _rows(client, FAILURES_DAILY, ws, tz="UTC")

    yesterday, before = (today_utc() - DAY).isoformat(), (today_utc() - 2 * DAY).isoformat()
    assert rows == [
        {"date": yesterday, "failure_reason": "", "task_count": 2},
        {"date": yesterday, "failure_reason": "queued_expired", "task_count": 1},
        {"date": yesterday, "failure_reason": "timeout", "task_count": 1},
        {"date": yesterday, "failure_reason": "unclassified", "task_count": 2},
        {"date": before, "failure_reason": "agent_error.brand_new_reason", "task_count": 1},
    ]


async def test_failures_by_agent_counts_the_same_runs_per_agent(world: World, client: Client) -> None:
    ws = tenant(world)
    first, second = sorted((world.agent(ws.id), world.agent(ws.id)), key=str)
    _run(world, second, "failed", 5, 1, failure_reason="timeout")
    _run(world, first, "completed", 5, 1)
    _run(world, first, "failed", None, 2, failure_reason="timeout")
    _run(world, first, "failed", 5, 3, failure_reason="agent_blocked")
    _run(world, first, "cancelled", 5, 3)

    by_agent = await _rows(client, FAILURES_BY_AGENT, ws)
    daily = await _rows(client, FAILURES_DAILY, ws)

    assert by_agent == [
        {"agent_id": str(first), "failure_reason": "", "task_count": 1},
        {"agent_id": str(first), "failure_reason": "agent_blocked", "task_count": 1},
        {"agent_id": str(first), "failure_reason": "timeout", "task_count": 1},
        {"agent_id": str(second), "failure_reason": "timeout", "task_count": 1},
    ]
    assert sum(r["task_count"] for r in by_agent) == sum(r["task_count"] for r in daily)


@pytest.mark.parametrize("path", [RUNTIME_DAILY, FAILURES_DAILY, FAILURES_BY_AGENT])
async def test_run_routes_filter_by_project_and_answer_an_empty_list(
    path: str, world: World, client: Client
) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    project, other = world.project(ws.id), world.project(ws.id)
    _run(world, agent, "completed", 5, 1, issue_id=world.issue(ws.id, project))
    _run(world, agent, "completed", 7, 1, issue_id=world.issue(ws.id, other))
    _run(world, agent, "completed", 9, 1)  # no issue

    rows = await _rows(client, path, ws, project_id=str(project))
    empty = await _rows(client, path, tenant(world))

    assert sum(r["task_count"] for r in rows) == 1
    assert empty == []


# ---- agents and projects ---------------------------------------------------------------------------


async def test_agents_lists_the_visible_agents_by_name_with_their_archived_flag(
    world: World, client: Client
) -> None:
    ws = world.workspace()
    member = world.user()
    world.member(ws, member)
    headers = {"Authorization": f"Bearer {world.token(member)}"}
    slug = world.conn.execute("SELECT slug FROM workspace WHERE id = %s", (ws,)).fetchone()
    assert slug is not None
    shared = world.agent(ws, name="b-shared", visibility="workspace")
    mine = world.agent(ws, name="c-mine", owner_id=member)
    archived = world.agent(ws, name="a-old", visibility="workspace", archived_at=_at(9))
    world.agent(ws, name="d-someone-elses", owner_id=world.user())
    world.agent(world.workspace(), name="elsewhere", visibility="workspace")

    rows = await _rows(client, AGENTS, Tenant(ws, str(slug[0]), headers))

    assert rows == [
        {"id": str(archived), "name": "a-old", "archived": True},
        {"id": str(shared), "name": "b-shared", "archived": False},
        {"id": str(mine), "name": "c-mine", "archived": False},
    ]


async def test_projects_lists_the_workspaces_projects_by_title(world: World, client: Client) -> None:
    ws = tenant(world)
    beta = world.project(ws.id, "Beta", "in_progress")
    alpha = world.project(ws.id, "Alpha")
    world.project(world.workspace(), "Elsewhere")

    rows = await _rows(client, PROJECTS, ws)

    assert rows == [
        {"id": str(alpha), "title": "Alpha", "status": "planned"},
        {"id": str(beta), "title": "Beta", "status": "in_progress"},
    ]


# ---- /api/me -----------------------------------------------------------------------------------------


async def test_me_names_the_caller_and_every_workspace_it_may_read(world: World, client: Client) -> None:
    user = world.user("me@example.com")
    world.conn.execute('UPDATE "user" SET timezone = %s WHERE id = %s', ("Asia/Kolkata", user))
    first, second = world.workspace("zeta"), world.workspace("alpha")
    world.member(first, user, "admin")
    world.member(second, user)
    world.workspace("not-mine")

    response = await client.get("/api/me", headers={"Authorization": f"Bearer {world.token(user)}"})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "user": {
            "id": str(user),
            "name": "me@example.com",
            "email": "me@example.com",
            "timezone": "Asia/Kolkata",
        },
        "workspaces": [
            {"id": str(second), "slug": "alpha", "name": "alpha", "role": "member"},
            {"id": str(first), "slug": "zeta", "name": "zeta", "role": "admin"},
        ],
    }


async def test_me_of_a_user_without_workspaces_lists_none(world: World, client: Client) -> None:
    user = world.user()

    response = await client.get("/api/me", headers={"Authorization": f"bearer {world.token(user)}"})

    assert response.status_code == 200, response.text
    assert response.json()["workspaces"] == []


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "missing authorization"), ({"Authorization": "Bearer nope"}, "invalid token")],
)
async def test_me_without_a_valid_token_is_401(headers: dict[str, str], message: str, client: Client) -> None:
    response = await client.get("/api/me", headers=headers)

    assert_error(response, 401, message)
