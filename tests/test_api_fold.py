"""Private agents are folded, never leaked: a plain member sees others' private agents as one
"__restricted_agents__" row per route key, with every total unchanged (docs/api.md)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest

from tests.api_helpers import AGENTS, BY_AGENT, FAILURES_BY_AGENT, RUNTIME, get
from tests.conftest import Client
from tests.world import World, midnight, today_utc

RESTRICTED = "__restricted_agents__"
PER_AGENT_PATHS = (BY_AGENT, RUNTIME, FAILURES_BY_AGENT)
# What each per-agent route sums, and the key its folded rows merge on.
SUMS = {
    BY_AGENT: ("input_tokens", "output_tokens", "cost_usd_ticks", "unpriced_tokens", "task_count"),
    RUNTIME: ("total_seconds", "task_count", "failed_count", "cancelled_count"),
    FAILURES_BY_AGENT: ("task_count",),
}
KEYS = {BY_AGENT: ("provider", "model"), RUNTIME: (), FAILURES_BY_AGENT: ("failure_reason",)}


# (slug, headers per role, agents by name) of a workspace with an owner, an admin and a plain
# member who owns one private agent; another user owns a shared agent and two private ones, and
# one private agent has no owner.
Scene = tuple[str, dict[str, dict[str, str]], dict[str, uuid.UUID]]


def _headers(world: World, ws: uuid.UUID, role: str) -> tuple[uuid.UUID, dict[str, str]]:
    user = world.user()
    world.member(ws, user, role)
    return user, {"Authorization": f"Bearer {world.token(user)}"}


def _activity(world: World, agent: uuid.UUID, scale: int) -> None:
    """Usage of two models and runs of each kind, so every per-agent route has rows."""
    completed = midnight(today_utc()) - datetime.timedelta(hours=12)
    for model in ("m1", "m2"):
        task = world.task(
            agent,
            status="completed",
            started_at=completed - datetime.timedelta(seconds=scale),
            completed_at=completed,
        )
        world.usage(task, model=model, provider="openai", input_tokens=scale, output_tokens=2 * scale)
    world.task(
        agent,
        status="failed",
        started_at=completed - datetime.timedelta(seconds=3 * scale),
        completed_at=completed,
        failure_reason="timeout",
    )


@pytest.fixture
def scene(world: World) -> Scene:
    slug = f"fold-{uuid.uuid4().hex[:8]}"
    ws = world.workspace(slug)
    headers = {role: _headers(world, ws, role)[1] for role in ("owner", "admin")}
    member, headers["member"] = _headers(world, ws, "member")
    other = world.user()
    agents = {
        "shared": world.agent(ws, name="shared", visibility="workspace", owner_id=other),
        "members_own": world.agent(ws, name="members-own", owner_id=member),
        "private_1": world.agent(ws, name="private-1", owner_id=other),
        "private_2": world.agent(ws, name="private-2", owner_id=other),
        "ownerless": world.agent(ws, name="ownerless"),
    }
    for scale, agent in enumerate(agents.values(), start=1):
        _activity(world, agent, scale)
    return slug, headers, agents


async def _rows(client: Client, path: str, slug: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await get(client, path, headers, {"workspace_slug": slug})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def _totals(path: str, rows: list[dict[str, Any]]) -> dict[str, int]:
    return {name: sum(r[name] for r in rows) for name in SUMS[path]}


@pytest.mark.parametrize("path", PER_AGENT_PATHS)
@pytest.mark.parametrize("role", ["owner", "admin"])
async def test_owners_and_admins_see_every_agent_by_id(
    path: str, role: str, scene: Scene, client: Client
) -> None:
    slug, headers, agents = scene

    rows = await _rows(client, path, slug, headers[role])

    assert {r["agent_id"] for r in rows} == {str(a) for a in agents.values()}


@pytest.mark.parametrize("path", PER_AGENT_PATHS)
async def test_a_plain_member_sees_others_private_agents_folded_with_totals_unchanged(
    path: str, scene: Scene, client: Client
) -> None:
    slug, headers, agents = scene
    hidden = {str(agents[name]) for name in ("private_1", "private_2", "ownerless")}

    full = await _rows(client, path, slug, headers["owner"])
    folded = await _rows(client, path, slug, headers["member"])

    visible = {str(agents["shared"]), str(agents["members_own"])}
    assert {r["agent_id"] for r in folded} == visible | {RESTRICTED}
    assert _totals(path, folded) == _totals(path, full)
    # One folded row per route key, holding the hidden agents' sums of that key.
    restricted = [r for r in folded if r["agent_id"] == RESTRICTED]
    assert len({tuple(r[k] for k in KEYS[path]) for r in restricted}) == len(restricted)
    for row in restricted:
        same_key = [r for r in full if r["agent_id"] in hidden and all(r[k] == row[k] for k in KEYS[path])]
        assert {name: row[name] for name in SUMS[path]} == _totals(path, same_key)
    # Visible rows are untouched and keep their order.
    assert [r for r in folded if r["agent_id"] != RESTRICTED] == [r for r in full if r["agent_id"] in visible]


async def test_a_folded_usage_row_is_priced_once_from_its_summed_ticks(world: World, client: Client) -> None:
    ws = world.workspace("fold-cost")
    _, member = _headers(world, ws, "member")
    for _ in range(3):
        task = world.task(world.agent(ws, owner_id=world.user()))
        # 1 tick each: 3e-10 USD in all, which rounds to 0.0 however it is split.
        world.usage(task, provider="x", model="m", input_tokens=1, cost_usd_ticks=1)

    [row] = await _rows(client, BY_AGENT, "fold-cost", member)

    assert (row["agent_id"], row["cost_usd_ticks"], row["task_count"]) == (RESTRICTED, 3, 3)


async def test_the_first_folded_row_takes_the_place_of_the_first_hidden_row(
    world: World, client: Client
) -> None:
    ws = world.workspace("fold-order")
    _, member = _headers(world, ws, "member")
    other = world.user()
    ids = sorted(
        (
            world.agent(ws, visibility="workspace"),
            world.agent(ws, owner_id=other),
            world.agent(ws, visibility="workspace"),
            world.agent(ws, owner_id=other),
        ),
        key=str,
    )
    for agent in ids:
        world.usage(world.task(agent), model="m", input_tokens=1)
    private = {
        r[0] for r in world.conn.execute("SELECT id FROM agent WHERE visibility = 'private'").fetchall()
    }

    rows = await _rows(client, BY_AGENT, "fold-order", member)

    expected = []
    for agent in ids:
        label = RESTRICTED if agent in private else str(agent)
        if label not in expected:
            expected.append(label)
    assert [r["agent_id"] for r in rows] == expected


async def test_the_agent_list_of_a_plain_member_leaves_hidden_agents_out(
    scene: Scene, client: Client
) -> None:
    slug, headers, agents = scene

    member = await _rows(client, AGENTS, slug, headers["member"])
    owner = await _rows(client, AGENTS, slug, headers["owner"])

    assert {r["id"] for r in member} == {str(agents["shared"]), str(agents["members_own"])}
    assert {r["id"] for r in owner} == {str(a) for a in agents.values()}


async def test_workspace_level_series_are_not_folded(scene: Scene, client: Client) -> None:
    slug, headers, _ = scene

    for path in (
        "/api/dashboard/usage/daily",
        "/api/dashboard/runtime/daily",
        "/api/dashboard/failures/daily",
    ):
        assert await _rows(client, path, slug, headers["member"]) == await _rows(
            client, path, slug, headers["owner"]
        )
