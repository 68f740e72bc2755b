"""Several `serve` processes on one database share the in-process tick: one runs at a time."""

from __future__ import annotations

import subprocess
from typing import Any

import psycopg

from tests.processes import free_port, start_serve, until
from tests.rollup_helpers import assert_matches, backfill, rollup_state
from tests.world import World

Conn = psycopg.Connection[tuple[Any, ...]]
ROLLUP_LOCK = "task_usage_dashboard_rollup_lock_key()"


def _awaiting_the_rollup_lock(db: Conn) -> int:
    row = db.execute(
        "SELECT count(*) FROM pg_locks AS l JOIN pg_database AS d ON d.oid = l.database"
        " WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()"
    ).fetchone()
    assert row is not None
    return int(row[0])


def _queued(db: Conn) -> int:
    row = db.execute(
        "SELECT (SELECT count(*) FROM task_usage_dashboard_dirty)"
        " + (SELECT count(*) FROM task_run_dashboard_dirty)"
    ).fetchone()
    assert row is not None
    return int(row[0])


async def test_two_serve_processes_wait_for_each_other_and_roll_up_everything_once(
    world: World, db: Conn, database_url: str
) -> None:
    ws = world.workspace("acme")
    agent = world.agent(ws)
    await backfill(database_url)
    for tokens in (3, 4, 5):
        world.usage(world.task(agent), input_tokens=tokens)
    assert _queued(db) > 0
    env = {
        "DATABASE_URL": database_url,
        "DATABASE_POOL_MIN_SIZE": "0",
        "USAGE_DASHBOARD_ROLLUP_ENABLED": "true",
        "ROLLUP_INTERVAL_SECONDS": "1",
    }
    servers: list[subprocess.Popen[str]] = []
    with psycopg.connect(database_url, autocommit=True) as holder:
        # The tick's lock, held here: both servers' ticks must queue behind it.
        holder.execute(f"SELECT pg_advisory_lock({ROLLUP_LOCK})")
        try:
            for _ in range(2):
                servers.append(start_serve("--port", str(free_port()), env=env, stderr=subprocess.DEVNULL))
            until(lambda: _awaiting_the_rollup_lock(db) == 2, "both servers' ticks waited for the lock")
            assert _queued(db) > 0
        finally:
            holder.execute(f"SELECT pg_advisory_unlock({ROLLUP_LOCK})")
        until(lambda: _queued(db) == 0, "the queue was drained")
        for server in servers:
            server.terminate()
        codes = [server.wait(timeout=60) for server in servers]
        for server in servers:
            server.communicate(timeout=60)

    assert codes == [0, 0]
    assert rollup_state(db)["last_error"] is None
    assert await assert_matches(database_url, [ws]) > 0
