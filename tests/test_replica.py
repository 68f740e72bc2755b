"""DATABASE_READ_URL: dashboard reads on a real streaming replica, everything else on the primary."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest
from litestar.testing import AsyncTestClient
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from app.api.app import create_app
from app.config import ConfigError, load_settings
from tests.api_helpers import DAILY, DASHBOARD_PATHS
from tests.conftest import Client
from tests.processes import streaming_replica, wait_for_replay
from tests.rollup_helpers import backfill
from tests.world import World, midnight, today_utc

Conn = psycopg.Connection[tuple[Any, ...]]


@pytest.fixture(scope="module")
def replica_server(pg_server: str) -> Iterator[str]:
    """A hot standby of the test server, streaming; the databases tests create reach it too."""
    with streaming_replica(pg_server) as url:
        yield url


@pytest.fixture
def replica_url(replica_server: str, database_url: str) -> str:
    """The test's database on the replica, once the replica has replayed its creation."""
    wait_for_replay(database_url, replica_server)
    return make_conninfo(replica_server, dbname=conninfo_to_dict(database_url)["dbname"])


def _app(database_url: str, read_url: str | None, path: str) -> AsyncTestClient[Any]:
    env = {
        "DATABASE_URL": database_url,
        "DATABASE_POOL_MIN_SIZE": "0",
        "USAGE_DASHBOARD_ROLLUP_ENABLED": "true" if path == "rollup" else "false",
        "USAGE_DASHBOARD_ROLLUP_SCHEDULER": "off",
    }
    if read_url is not None:
        env["DATABASE_READ_URL"] = read_url
    return AsyncTestClient(app=create_app(load_settings(env)))


@pytest.fixture
async def clients(database_url: str, replica_url: str) -> AsyncIterator[dict[str, Client]]:
    """The app on each read path, reading the primary and reading the replica."""
    async with (
        _app(database_url, None, "raw") as raw,
        _app(database_url, None, "rollup") as rollup,
        _app(database_url, replica_url, "raw") as replica_raw,
        _app(database_url, replica_url, "rollup") as replica_rollup,
    ):
        yield {"raw": raw, "rollup": rollup, "replica_raw": replica_raw, "replica_rollup": replica_rollup}


def _paused(replica_url: str) -> Conn:
    conn = psycopg.connect(replica_url, autocommit=True)
    conn.execute("SELECT pg_wal_replay_pause()")
    return conn


def _tokens(response: Any) -> int:
    return sum(int(row["input_tokens"]) for row in response.json())


def _usage(world: World, agent: Any, tokens: int) -> None:
    at = midnight(today_utc() - datetime.timedelta(days=1)) + datetime.timedelta(hours=3)
    task = world.task(agent, started_at=at, completed_at=at + datetime.timedelta(minutes=4))
    world.usage(task, input_tokens=tokens, created_at=at)


async def test_every_route_reads_the_same_from_the_replica_once_it_has_replayed(
    world: World, database_url: str, replica_url: str, clients: dict[str, Client]
) -> None:
    ws = world.workspace("acme")
    headers = world.caller(ws)
    agent = world.agent(ws, visibility="workspace")
    _usage(world, agent, 10)
    await backfill(database_url)
    wait_for_replay(database_url, replica_url)

    for params in ({"workspace_slug": "acme", "days": "7"}, {"workspace_slug": "acme", "tz": "Asia/Kolkata"}):
        for path in DASHBOARD_PATHS:
            answers = {name: await c.get(path, params=params, headers=headers) for name, c in clients.items()}
            assert {n: a.status_code for n, a in answers.items()} == dict.fromkeys(clients, 200), path
            assert len({a.text for a in answers.values()}) == 1, (path, params)


async def test_reads_follow_the_replicas_snapshot_exactly_and_writes_go_to_the_primary(
    world: World, db: Conn, database_url: str, replica_url: str, clients: dict[str, Client]
) -> None:
    ws = world.workspace("acme")
    agent = world.agent(ws, visibility="workspace")
    _usage(world, agent, 10)
    await backfill(database_url)
    wait_for_replay(database_url, replica_url)
    with _paused(replica_url) as replica:
        # Written while the replica replays nothing: a new usage row, and a new caller whose
        # token the replica has never seen.
        _usage(world, agent, 5)
        headers = world.caller(ws)
        params = {"workspace_slug": "acme", "days": "7", "tz": "America/New_York"}
        answers = {name: await c.get(DAILY, params=params, headers=headers) for name, c in clients.items()}
        registered_on_replica = replica.execute("SELECT count(*) FROM task_usage_dashboard_split").fetchone()
        replica.execute("SELECT pg_wal_replay_resume()")
    registered_on_primary = db.execute("SELECT count(*) FROM task_usage_dashboard_split").fetchone()
    wait_for_replay(database_url, replica_url)
    caught_up = await clients["replica_rollup"].get(DAILY, params=params, headers=headers)

    assert {n: a.status_code for n, a in answers.items()} == dict.fromkeys(clients, 200)
    # The primary's readers see both rows, the replica's readers the one it had, on both paths.
    assert (_tokens(answers["raw"]), _tokens(answers["rollup"])) == (15, 15)
    assert (_tokens(answers["replica_raw"]), _tokens(answers["replica_rollup"])) == (10, 10)
    assert answers["replica_raw"].text == answers["replica_rollup"].text
    # New York's quarters were registered by the request, on the primary: the replica cannot write.
    assert registered_on_replica == (0,)
    assert registered_on_primary is not None
    assert registered_on_primary[0] > 0
    assert caught_up.text == answers["rollup"].text


def test_a_read_url_needs_a_database_url() -> None:
    with pytest.raises(ConfigError, match="DATABASE_READ_URL needs DATABASE_URL"):
        load_settings({"DATABASE_READ_URL": "postgresql://replica/x"})
    with pytest.raises(ConfigError, match="DATABASE_READ_URL must be a postgresql:// URL"):
        load_settings({"DATABASE_URL": "postgresql://primary/x", "DATABASE_READ_URL": "mysql://replica"})
