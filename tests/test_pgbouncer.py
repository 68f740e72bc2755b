"""The app behind Debian's PgBouncer in transaction mode: same answers, no session state left."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import load_settings
from app.db.pool import create_pool
from app.rollup.scheduler import tick_once
from tests.api_helpers import DASHBOARD_PATHS
from tests.conftest import Client
from tests.processes import pgbouncer
from tests.rollup_helpers import backfill, rollup_state
from tests.test_page_session import ME, ORIGIN, SIGN_IN
from tests.world import World, midnight, today_utc

Conn = psycopg.Connection[tuple[Any, ...]]
SETTINGS = "SELECT current_setting('statement_timeout'), current_setting('jit')"


@pytest.fixture
def bouncer_url(database_url: str) -> Iterator[str]:
    """The test database through PgBouncer (transaction mode, one server connection)."""
    with pgbouncer(database_url, server_connections=1) as url:
        yield url


def _app(database_url: str, path: str) -> AsyncTestClient[Any]:
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "DATABASE_POOL_MIN_SIZE": "0",
            "DATABASE_POOL_MAX_SIZE": "4",
            "DATABASE_STATEMENT_TIMEOUT_MS": "4321",
            "USAGE_DASHBOARD_ROLLUP_ENABLED": "true" if path == "rollup" else "false",
            "USAGE_DASHBOARD_ROLLUP_SCHEDULER": "off",
        }
    )
    return AsyncTestClient(app=create_app(settings))


@pytest.fixture
async def clients(database_url: str, bouncer_url: str) -> AsyncIterator[dict[str, Client]]:
    """The app on each read path, straight to the database and through PgBouncer."""
    async with (
        _app(database_url, "raw") as raw,
        _app(database_url, "rollup") as rollup,
        _app(bouncer_url, "raw") as bounced_raw,
        _app(bouncer_url, "rollup") as bounced_rollup,
    ):
        yield {"raw": raw, "rollup": rollup, "bounced_raw": bounced_raw, "bounced_rollup": bounced_rollup}


def _workspace(world: World) -> tuple[dict[str, str], str]:
    ws = world.workspace("acme")
    headers = world.caller(ws)
    project = world.project(ws)
    agent = world.agent(ws, visibility="workspace")
    yesterday = midnight(today_utc() - datetime.timedelta(days=1))
    for hour in range(3):
        task = world.task(
            agent,
            world.issue(ws, project),
            status="failed" if hour == 1 else "completed",
            started_at=yesterday + datetime.timedelta(hours=hour),
            completed_at=yesterday + datetime.timedelta(hours=hour, minutes=7),
            failure_reason="timeout" if hour == 1 else None,
        )
        world.usage(
            task,
            input_tokens=10 + hour,
            output_tokens=3,
            created_at=yesterday + datetime.timedelta(hours=hour),
        )
    return headers, str(project)


async def test_every_route_answers_the_same_through_pgbouncer_on_both_read_paths(
    world: World, database_url: str, clients: dict[str, Client]
) -> None:
    headers, project = _workspace(world)
    await backfill(database_url)
    queries = [
        {"workspace_slug": "acme", "days": "7"},
        {"workspace_slug": "acme", "days": "30", "tz": "Asia/Kolkata"},
        {"workspace_slug": "acme", "days": "7", "project_id": project, "format": "csv"},
    ]

    for params in queries:
        for path in DASHBOARD_PATHS:
            answers = {name: await c.get(path, params=params, headers=headers) for name, c in clients.items()}
            assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(clients, 200), path
            assert answers["bounced_raw"].text == answers["raw"].text, (path, params)
            assert answers["bounced_rollup"].text == answers["rollup"].text, (path, params)
            assert answers["raw"].text == answers["rollup"].text, (path, params)


async def test_sign_in_me_health_and_metrics_work_through_pgbouncer(
    world: World, clients: dict[str, Client]
) -> None:
    headers, _ = _workspace(world)
    client = clients["bounced_rollup"]
    secret = headers["Authorization"].removeprefix("Bearer ")

    signed_in = await client.post(SIGN_IN, json={"token": secret}, headers=ORIGIN)
    me = await client.get(ME)
    health = await client.get("/healthz")
    metrics = await client.get("/metrics")

    assert signed_in.status_code == 204
    assert me.status_code == 200, me.text
    assert [w["slug"] for w in me.json()["workspaces"]] == ["acme"]
    assert health.status_code == 200
    assert health.json()["database"] == "ok"
    assert "usage_dashboard_database_up 1.0" in metrics.text


async def test_a_request_leaves_no_setting_on_the_server_connection_it_shared(
    world: World, bouncer_url: str, clients: dict[str, Client]
) -> None:
    headers, _ = _workspace(world)
    with psycopg.connect(bouncer_url, autocommit=True, prepare_threshold=None) as before:
        defaults = before.execute(
            "SELECT current_setting('statement_timeout'), current_setting('jit')"
        ).fetchone()

    answered = await clients["bounced_raw"].get(
        "/api/dashboard/usage/daily", params={"workspace_slug": "acme"}, headers=headers
    )

    # PgBouncer has one server connection here: this client gets the one the request used.
    with psycopg.connect(bouncer_url, autocommit=True, prepare_threshold=None) as after:
        settings = after.execute(
            "SELECT current_setting('statement_timeout'), current_setting('jit')"
        ).fetchone()
    assert answered.status_code == 200
    assert defaults is not None
    assert defaults[0] == "0"
    assert settings == defaults


async def test_the_in_app_tick_drains_the_queue_through_pgbouncer(
    world: World, db: Conn, bouncer_url: str
) -> None:
    _workspace(world)
    pool = create_pool(bouncer_url, 0, 2)
    await pool.open()
    try:
        await tick_once(pool, 1)
    finally:
        await pool.close()

    state = rollup_state(db)
    assert state["last_error"] is None
    assert state["last_success_at"] is not None
    assert db.execute("SELECT count(*) FROM task_usage_dashboard_dirty").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM task_run_dashboard_dirty").fetchone() == (0,)
