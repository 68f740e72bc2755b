"""The in-process tick: `serve` steps the rollup every interval unless it is switched off."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from app.metrics import TICK_DURATION, TICK_FAILURES
from app.rollup.tick import tick_until_caught_up

logger = logging.getLogger("usage_dashboard.rollup")


async def tick_once(pool: AsyncConnectionPool[AsyncConnection[Any]], interval_seconds: float) -> None:
    """One tick until caught up, timed and counted in the metrics; a failure is logged, never raised."""
    started = time.perf_counter()
    try:
        async with pool.connection() as conn:
            report = await tick_until_caught_up(conn)
        logger.debug("rollup tick: %d step(s), %d row(s)", report.steps, report.rows)
    except Exception:
        TICK_FAILURES.inc()
        logger.exception("rollup tick failed; retrying in %s s", interval_seconds)
    finally:
        TICK_DURATION.observe(time.perf_counter() - started)


async def run_ticks(
    pool: AsyncConnectionPool[AsyncConnection[Any]], interval_seconds: float, stop: asyncio.Event
) -> None:
    """Ticks now and then every interval until stop is set.

    Every worker of every replica may run this: the tick's lock keeps one runner at a time.
    """
    while not stop.is_set():
        await tick_once(pool, interval_seconds)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except TimeoutError:
            continue
