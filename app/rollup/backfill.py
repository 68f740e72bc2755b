"""Backfill: rebuilds history in monthly slices through the window primitive, resumably."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable

import msgspec
import psycopg

from app.db import queries
from app.db.queries import Connection


class BackfillError(RuntimeError):
    """The backfill cannot run as asked; the message is one line."""


class Slice(msgspec.Struct, frozen=True):
    """A half-open interval [start, end) rebuilt in one transaction."""

    start: datetime.datetime
    end: datetime.datetime


class BackfillPlan(msgspec.Struct, frozen=True):
    """The slices to walk and the watermark the backfill stamps at the end."""

    upper_bound: datetime.datetime
    slices: list[Slice]
    resumed: bool


def _month_start(ts: datetime.datetime) -> datetime.datetime:
    utc = ts.astimezone(datetime.UTC)
    return datetime.datetime(utc.year, utc.month, 1, tzinfo=datetime.UTC)


def _add_months(month: datetime.datetime, count: int) -> datetime.datetime:
    index = month.year * 12 + month.month - 1 + count
    return datetime.datetime(index // 12, index % 12 + 1, 1, tzinfo=datetime.UTC)


def monthly_slices(start: datetime.datetime, end: datetime.datetime) -> list[Slice]:
    """[start, end) cut at UTC month boundaries."""
    slices = []
    cursor = start
    while cursor < end:
        next_month = _add_months(_month_start(cursor), 1)
        slices.append(Slice(cursor, min(next_month, end)))
        cursor = next_month
    return slices


def _walk_end(upper: datetime.datetime, bounds: queries.BackfillBounds) -> datetime.datetime:
    """Where the walk ends: the upper bound, or past usage or runs dated after it (clock skew, imports),
    which was committed before the bound too and so must be covered by the watermark."""
    newest = bounds.newest_at
    if newest is not None and newest >= upper:
        return newest + datetime.timedelta(microseconds=1)
    return upper


async def plan_backfill(
    conn: Connection, *, months_back: int | None = None, force_partial: bool = False
) -> BackfillPlan:
    """Resumes an interrupted backfill, or fixes a new upper bound (now) and a start."""
    state = await queries.get_rollup_status(conn)
    bounds = await queries.get_backfill_bounds(conn)
    if state.backfill_upper_bound is not None and state.backfill_done_before is not None:
        upper = state.backfill_upper_bound
        return BackfillPlan(
            upper_bound=upper,
            slices=monthly_slices(state.backfill_done_before, _walk_end(upper, bounds)),
            resumed=True,
        )
    upper = bounds.upper_bound
    oldest = bounds.oldest_at
    if months_back is None:
        start = _month_start(oldest) if oldest is not None and oldest < upper else upper
    else:
        start = _add_months(_month_start(upper), 1 - months_back)
        if oldest is not None and oldest < start and not force_partial:
            raise BackfillError(
                f"history goes back to {oldest.date().isoformat()}, before the {months_back} "
                f"month(s) asked for ({start.date().isoformat()}); older days would be missing "
                "from the rollup: pass --force-partial to accept that"
            )
    return BackfillPlan(
        upper_bound=upper, slices=monthly_slices(start, _walk_end(upper, bounds)), resumed=False
    )


async def dry_run(conn: Connection, plan: BackfillPlan) -> list[tuple[Slice, int]]:
    """Each slice with the usage rows it would read; changes nothing."""
    return [(s, await queries.count_usage_between(conn, s.start, s.end)) for s in plan.slices]


async def run_backfill(
    conn: Connection,
    plan: BackfillPlan,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Walks the plan holding the rollup lock; each slice commits with its progress record.

    An interruption leaves every finished slice and the progress record committed, so running
    the backfill again resumes after the last finished slice. Returns rollup rows touched.
    """
    touched = 0
    await queries.lock_rollup_for_backfill(conn)
    try:
        if not plan.resumed:
            start = plan.slices[0].start if plan.slices else plan.upper_bound
            await queries.start_backfill(conn, plan.upper_bound, start)
        for done, piece in enumerate(plan.slices, start=1):
            async with conn.transaction():
                touched += await queries.rollup_window(conn, piece.start, piece.end)
                await queries.advance_backfill(conn, piece.end)
            if on_progress is not None:
                on_progress(done, len(plan.slices))
        # The prefixes of quarters registered before the walk, or during it, up to the start of
        # history: the walk kept only those already filled.
        while await queries.fill_rollup_splits(conn):
            continue
        # Before the finish: `auto` switches reads to the rollup at the finish, and its first
        # reads should not step over the millions of queue keys the walk drained.
        await queries.vacuum_rollup(conn)
        await queries.finish_backfill(conn)
    finally:
        # After an interruption the session may be unusable; closing it releases the lock too.
        with contextlib.suppress(psycopg.Error):
            await queries.unlock_rollup_for_backfill(conn)
    return touched
