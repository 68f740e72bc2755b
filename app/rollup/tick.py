"""Runs tick steps until everything committed before the call is rolled up (guarantee 1) and
every registered quarter is filled."""

from __future__ import annotations

import msgspec
import psycopg

from app.db import queries
from app.db.queries import Connection


class TickError(RuntimeError):
    """A tick step failed; the message is the database's error, on one line."""


class TickReport(msgspec.Struct, frozen=True):
    """What a caught-up tick did."""

    steps: int
    rows: int


def one_line(exc: BaseException) -> str:
    """An exception's message folded onto one line."""
    return " ".join(str(exc).split()) or type(exc).__name__


async def tick_until_caught_up(conn: Connection) -> TickReport:
    """Steps the tick until no key that was queued when called is left and no registered
    quarter is unfilled; conn must autocommit.

    Keys are numbered in insertion order, so the newest one visible now bounds everything
    committed before the call. A busy lock means another tick or a backfill is working: wait
    for it, then step again, since it may have started before our writes were committed. Each
    step fills a month of a new quarter's prefixes, so a zone first read today is served from
    the rollup for its whole history after this call, not after one tick interval per month.
    """
    mark = await queries.rollup_queue_high_water(conn)
    steps = rows = 0
    while True:
        try:
            result = await queries.rollup_tick(conn)
        except psycopg.Error as exc:
            # Cancelled or killed: the tick's own handler never ran, so record it from here.
            message = one_line(exc)
            await queries.record_rollup_failure(conn, message)
            raise TickError(message) from exc
        if result is None:
            await queries.rollup_wait(conn)
            continue
        if result < 0:
            state = await queries.get_rollup_status(conn)
            raise TickError(state.last_error or "rollup tick failed")
        steps += 1
        rows += result
        if not await queries.rollup_queue_has_keys_up_to(conn, mark) and not (
            await queries.rollup_splits_unfilled(conn)
        ):
            return TickReport(steps=steps, rows=rows)
