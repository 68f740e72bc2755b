"""The original system's scenario, end to end through HTTP."""

from __future__ import annotations

import datetime

from tests.conftest import Client
from tests.world import World

DAILY = "/api/dashboard/usage/daily"


async def test_project_filter_keeps_only_that_projects_tokens(world: World, client: Client) -> None:
    ws = world.workspace("acme")
    headers = world.caller(ws)
    agent = world.agent(ws)
    project = world.project(ws)
    now = datetime.datetime.now(datetime.UTC)
    start = now - datetime.timedelta(minutes=20)
    end = start + datetime.timedelta(minutes=10)
    in_project = world.task(agent, world.issue(ws, project), started_at=start, completed_at=end)
    unrelated = world.task(agent, world.issue(ws), started_at=start, completed_at=end)
    world.usage(in_project, input_tokens=1000)
    world.usage(unrelated, input_tokens=500)

    whole = (await client.get(DAILY, params={"workspace_slug": "acme"}, headers=headers)).json()
    only = (
        await client.get(
            DAILY, params={"workspace_slug": "acme", "project_id": str(project)}, headers=headers
        )
    ).json()
    runtime = (
        await client.get(
            "/api/dashboard/agent-runtime",
            params={"workspace_slug": "acme", "project_id": str(project)},
            headers=headers,
        )
    ).json()

    assert sum(r["input_tokens"] for r in whole) == 1500
    assert sum(r["input_tokens"] for r in only) == 1000
    assert runtime == [
        {
            "agent_id": str(agent),
            "total_seconds": 600,
            "task_count": 1,
            "failed_count": 0,
            "cancelled_count": 0,
        }
    ]
