"""Faults the service survives: the database cut and back, a statement that runs too long,
SIGTERM with requests in flight. (A tick killed mid-way: tests/test_rollup_guarantees.py.)"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import load_settings
from tests.api_helpers import DAILY
from tests.conftest import Client
from tests.processes import DatabaseLink, free_port, start_serve, until
from tests.rollup_helpers import backfill
from tests.world import World

Conn = psycopg.Connection[tuple[Any, ...]]
LOCK_USAGE = "LOCK TABLE task_usage IN ACCESS EXCLUSIVE MODE"
BURST = 12


def _settings(database_url: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "DATABASE_POOL_MIN_SIZE": "2",
        "DATABASE_POOL_MAX_SIZE": "4",
        "USAGE_DASHBOARD_ROLLUP_ENABLED": "true",
        "USAGE_DASHBOARD_ROLLUP_SCHEDULER": "off",
        **extra,
    }


def _input_tokens(response: httpx.Response) -> int:
    return sum(int(row["input_tokens"]) for row in response.json())


def _waiting_for_locks(db: Conn) -> int:
    row = db.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND datname = current_database() AND pid <> pg_backend_pid()"
    ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def link(database_url: str) -> Iterator[DatabaseLink]:
    """A cuttable TCP hop to the test database."""
    hop = DatabaseLink(database_url)
    hop.up()
    yield hop
    hop.close()


async def test_the_database_cut_gives_json_503s_then_answers_again_with_no_write_lost(
    world: World, db: Conn, link: DatabaseLink, database_url: str
) -> None:
    ws = world.workspace("acme")
    headers = world.caller(ws)
    agent = world.agent(ws)
    world.usage(world.task(agent), input_tokens=5)
    await backfill(database_url)
    params = {"workspace_slug": "acme", "days": "7"}
    app = create_app(load_settings(_settings(link.conninfo)))
    async with AsyncTestClient(app=app) as client:

        async def burst() -> list[httpx.Response]:
            return await asyncio.gather(
                *(client.get(DAILY, params=params, headers=headers) for _ in range(BURST))
            )

        before = await burst()
        link.cut()
        during = await burst()
        health = await client.get("/healthz")
        # The platform keeps writing while the app cannot reach the database.
        world.usage(world.task(agent), input_tokens=7)
        link.up()
        # The pool reconnects on its own: the first answer after the cut may wait for it.
        first = await _first_answer(client, params, headers)
        after = await burst()

    assert [r.status_code for r in before] == [200] * BURST
    assert {_input_tokens(r) for r in before} == {5}
    assert [r.status_code for r in during] == [503] * BURST
    assert all(r.json() == {"error": "database unavailable"} for r in during)
    assert health.status_code == 503
    assert health.headers["content-type"].startswith("application/json")
    assert first.status_code == 200
    assert [r.status_code for r in after] == [200] * BURST
    assert {_input_tokens(r) for r in after} == {12}


async def _first_answer(client: Client, params: dict[str, str], headers: dict[str, str]) -> httpx.Response:
    """The first 200 after the database is back (each try waits for the pool, never a sleep)."""
    for _ in range(40):
        response = await client.get(DAILY, params=params, headers=headers)
        if response.status_code != 503:
            return response
    raise AssertionError("the app never answered again after the database came back")


async def test_a_statement_past_the_timeout_is_a_json_503_and_the_next_request_answers(
    world: World, db: Conn, database_url: str
) -> None:
    ws = world.workspace("acme")
    headers = world.caller(ws)
    world.usage(world.task(world.agent(ws)), input_tokens=5)
    params = {"workspace_slug": "acme", "days": "7"}
    settings = load_settings(
        _settings(database_url, DATABASE_STATEMENT_TIMEOUT_MS="300", USAGE_DASHBOARD_ROLLUP_ENABLED="false")
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        with psycopg.connect(database_url) as blocker:
            blocker.execute(LOCK_USAGE)
            cut = await client.get(DAILY, params=params, headers=headers)
            blocker.rollback()
        answered = await client.get(DAILY, params=params, headers=headers)

    assert cut.status_code == 503
    assert cut.json() == {"error": "statement timeout: the query ran too long"}
    assert answered.status_code == 200
    assert _input_tokens(answered) == 5


def test_statement_timeout_setting_is_checked() -> None:
    assert load_settings({}).statement_timeout_ms == 15_000
    assert load_settings({"DATABASE_STATEMENT_TIMEOUT_MS": "0"}).statement_timeout_ms == 0
    with pytest.raises(ValueError, match="DATABASE_STATEMENT_TIMEOUT_MS must be between"):
        load_settings({"DATABASE_STATEMENT_TIMEOUT_MS": "-1"})


def test_sigterm_finishes_the_requests_in_flight_and_exits_cleanly(
    world: World, db: Conn, database_url: str
) -> None:
    ws = world.workspace("acme")
    headers = world.caller(ws)
    world.usage(world.task(world.agent(ws)), input_tokens=5)
    port = free_port()
    serve = start_serve(
        "--port", str(port), env=_settings(database_url, USAGE_DASHBOARD_ROLLUP_ENABLED="false")
    )
    url = f"http://127.0.0.1:{port}{DAILY}"
    params = {"workspace_slug": "acme", "days": "7"}
    try:
        assert serve.stdout is not None
        next(line for line in serve.stdout if "Started worker-1" in line)
        with psycopg.connect(database_url) as blocker, ThreadPoolExecutor(4) as threads:
            blocker.execute(LOCK_USAGE)
            in_flight = [
                threads.submit(httpx.get, url, params=params, headers=headers, timeout=60) for _ in range(4)
            ]
            # All four are inside the app, each waiting on the database, when the signal comes.
            until(lambda: _waiting_for_locks(db) >= 4, "all four requests waited for the lock")
            serve.send_signal(signal.SIGTERM)
            blocker.rollback()
            answers = [f.result() for f in in_flight]
        code = serve.wait(timeout=60)
    finally:
        if serve.poll() is None:
            serve.kill()
        serve.communicate(timeout=60)

    assert [a.status_code for a in answers] == [200] * 4
    assert {_input_tokens(a) for a in answers} == {5}
    assert code == 0
