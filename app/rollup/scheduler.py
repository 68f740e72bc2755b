"""The in-process tick: `serve` steps the rollup every interval unless it is switched off, and
at once when a read of this process registered a quarter hour a new zone needs."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from app.db import queries
from app.metrics import TICK_DURATION, TICK_FAILURES
from app.rollup.tick import tick_until_caught_up

logger = logging.getLogger("usage_dashboard.rollup")


Database = tuple[str, int, str]
"""A database as a connection reports it: host, port, name."""


def database_of(conn: AsyncConnection[Any]) -> Database:
    """The database a connection is to."""
    return (conn.info.host, conn.info.port, conn.info.dbname)


class QuarterRequests:
    """Quarters this process's reads registered since its ticker last looked, per database, and
    the wake-up they send it: until a quarter's prefixes are filled, its zone's days are read
    from raw rows, so a tick interval's wait is an interval of slow reads."""

    def __init__(self) -> None:
        self._quarters: dict[Database, set[int]] = {}
        self._listeners: set[asyncio.Event] = set()

    def add(self, database: Database, quarters: Iterable[int]) -> None:
        """Asks the tickers to register and fill these quarters of database now."""
        self._quarters.setdefault(database, set()).update(quarters)
        for wake in self._listeners:
            wake.set()

    def take(self, database: Database) -> list[int]:
        """The quarters of database asked for since the last call."""
        return sorted(self._quarters.pop(database, ()))

    def listen(self, wake: asyncio.Event) -> None:
        """Sets wake on every request from now on (a ticker's own event, on its own loop)."""
        self._listeners.add(wake)
        if self._quarters:
            wake.set()

    def forget(self, wake: asyncio.Event) -> None:
        """Stops setting wake."""
        self._listeners.discard(wake)


QUARTER_REQUESTS = QuarterRequests()
"""This process's requests: workers are processes, each with its own ticker."""


async def tick_once(
    pool: AsyncConnectionPool[AsyncConnection[Any]],
    interval_seconds: float,
    requests: QuarterRequests = QUARTER_REQUESTS,
) -> None:
    """One tick until caught up, timed and counted in the metrics; a failure is logged, never raised.

    Quarters asked for are registered again on the tick's own connection first: the read that
    registered them may not have committed yet, and this insert waits for it (on the split
    table's key), so the tick never starts before the registration it was woken for is visible.
    """
    started = time.perf_counter()
    try:
        async with pool.connection() as conn:
            quarters = requests.take(database_of(conn))
            if quarters:
                await queries.register_rollup_splits(conn, quarters)
            report = await tick_until_caught_up(conn)
        logger.debug("rollup tick: %d step(s), %d row(s)", report.steps, report.rows)
    except Exception:
        TICK_FAILURES.inc()
        logger.exception("rollup tick failed; retrying in %s s", interval_seconds)
    finally:
        TICK_DURATION.observe(time.perf_counter() - started)


async def _until_stop_or_wake(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def run_ticks(
    pool: AsyncConnectionPool[AsyncConnection[Any]],
    interval_seconds: float,
    stop: asyncio.Event,
    requests: QuarterRequests = QUARTER_REQUESTS,
) -> None:
    """Ticks now, then every interval or as soon as a read asks for quarters, until stop is set.

    Every worker of every replica may run this: the tick's lock keeps one runner at a time.
    """
    wake = asyncio.Event()
    requests.listen(wake)
    try:
        while not stop.is_set():
            wake.clear()
            await tick_once(pool, interval_seconds, requests)
            await _until_stop_or_wake(stop, wake, interval_seconds)
    finally:
        requests.forget(wake)
