"""The in-process ticker fills a quarter hour a read registered at once, not an interval later.

A zone's first read registers the quarters of its local midnights; until their prefixes are
filled its days are read from raw rows. The read asks this process's ticker for them, and the
tick registers them again on its own connection, so it cannot miss a registration that has not
committed yet.
"""

from __future__ import annotations

import asyncio
import datetime
import zoneinfo

import pytest

from app.api.read_path import ROLLUP, DashboardDb
from app.db.pool import create_pool
from app.db.queries import DashboardFilter, register_rollup_splits
from app.rollup.scheduler import QUARTER_REQUESTS, QuarterRequests, database_of, tick_once
from app.window import local_midnight, today_in, window_for_days
from tests.rollup_helpers import backfill, connect
from tests.world import World

KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")
# 18:30 UTC, Kolkata's midnight.
KOLKATA_QUARTER = 74


def _usage_over_months(world: World) -> None:
    """Usage either side of Kolkata's midnight on days up to 200 days back: several fill steps."""
    agent = world.agent(world.workspace())
    today = today_in(KOLKATA)
    for back in (1, 45, 120, 200):
        edge = local_midnight(today - datetime.timedelta(days=back), KOLKATA)
        for at in (edge - datetime.timedelta(microseconds=1), edge):
            world.usage(world.task(agent), input_tokens=back, created_at=at)


async def _tick_for_a_registration_still_open(database_url: str, commit: bool) -> list[tuple[object, ...]]:
    """A read's transaction registers the quarter and asks for it; the tick is started as a
    task while that transaction is open, which then ends (committed or rolled back) before the
    tick is awaited."""
    requests = QuarterRequests()
    pool = create_pool(database_url, 1, 2)
    await pool.open()
    try:
        async with await connect(database_url) as reader:
            async with reader.transaction(force_rollback=not commit):
                await register_rollup_splits(reader, [KOLKATA_QUARTER])
                requests.add(database_of(reader), [KOLKATA_QUARTER])
                tick = asyncio.create_task(tick_once(pool, 300.0, requests))
            await tick
            assert requests.take(database_of(reader)) == []
            cur = await reader.execute("SELECT quarter, filled_from::text FROM task_usage_dashboard_split")
            return await cur.fetchall()
    finally:
        await pool.close()


@pytest.mark.parametrize("commit", [True, False], ids=["read commits", "read rolls back"])
async def test_a_tick_registers_and_fills_the_quarters_a_read_asked_for(
    commit: bool, world: World, database_url: str
) -> None:
    """Filled to the start of history in one tick, whether the read's registration commits
    (the tick's insert waits for it) or rolls back (the tick's own insert registers it)."""
    _usage_over_months(world)
    await backfill(database_url)

    assert await _tick_for_a_registration_still_open(database_url, commit) == [(KOLKATA_QUARTER, "-infinity")]


async def test_a_zone_read_asks_the_ticker_for_its_quarters_once(world: World, database_url: str) -> None:
    workspace_id = world.workspace()
    f = DashboardFilter(workspace_id=workspace_id, window=window_for_days(30, KOLKATA))
    async with await connect(database_url) as conn:
        database = database_of(conn)
        await ROLLUP.daily(DashboardDb.of(conn), f)
        assert QUARTER_REQUESTS.take(database) == [KOLKATA_QUARTER]
        # Registered by this process already: a second read asks for nothing.
        await ROLLUP.daily(DashboardDb.of(conn), f)
        assert QUARTER_REQUESTS.take(database) == []


def test_a_request_wakes_every_listening_ticker_and_is_taken_once() -> None:
    requests = QuarterRequests()
    early, late = asyncio.Event(), asyncio.Event()
    requests.listen(early)
    requests.add(("db", 5432, "a"), [74, 20])
    assert early.is_set()
    # A ticker that starts listening after a request is woken at once.
    requests.listen(late)
    assert late.is_set()
    requests.forget(early)
    early.clear()
    requests.add(("db", 5432, "a"), [74])
    assert not early.is_set()
    assert requests.take(("db", 5432, "b")) == []
    assert requests.take(("db", 5432, "a")) == [20, 74]
    assert requests.take(("db", 5432, "a")) == []
