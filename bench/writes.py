"""Write-side measurements: backfill speed, tick cost after a change or a re-price, trigger cost
on writes."""

from __future__ import annotations

import asyncio
import datetime
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import msgspec

from app.db import queries
from app.db.queries import Connection, UsageReport
from app.rollup.backfill import plan_backfill, run_backfill
from app.rollup.tick import tick_until_caught_up
from app.window import window_for_days
from bench import sql as bench_sql
from bench.measure import log, median, time_ms
from bench.sql import UsageKey

# Re-reports and new rows land on today and the seven days before it.
CHANGED_DAYS = 8
# The model re-priced, and how far back the re-priced month lies (older than the per-task
# horizon, so its days are rebuilt whole, as a price change of an invoice month would be).
REPRICED_KEY = "gpt-5"
REPRICED_MONTHS_BACK = 3


@dataclass(frozen=True)
class BackfillResult:
    """A full backfill from an empty rollup."""

    seconds: float
    rollup_rows: int
    usage_rows: int

    @property
    def rows_per_s(self) -> float:
        """Usage rows read per second."""
        return self.usage_rows / self.seconds


async def measure_backfill(conn: Connection, usage_rows: int) -> BackfillResult:
    """Times plan_backfill + run_backfill over the whole history, as the CLI runs it."""
    start = time.perf_counter()
    plan = await plan_backfill(conn)
    touched = await run_backfill(conn, plan)
    seconds = time.perf_counter() - start
    log(f"backfill: {len(plan.slices)} slices, {touched:,} rollup rows, {seconds:.1f} s")
    return BackfillResult(seconds=seconds, rollup_rows=touched, usage_rows=usage_rows)


def _reports(keys: Sequence[UsageKey], new_provider: str, rng: random.Random) -> list[UsageReport]:
    """Two reports per key: a re-report of the row (new counts, same day) and a new row on the
    same task under `new_provider` (created now, so today), as the platform's writer sends them.

    Each (task, provider, model) appears once: two writers upserting the same key would wait on
    each other (or deadlock) and measure lock waits instead of writes. Keys of rows an earlier
    round added can map to the same new row, hence the check.
    """
    reports = []
    seen: set[tuple[object, str, str]] = set()
    for key in keys:
        for provider in (key.provider, new_provider):
            if (key.task_id, provider, key.model) in seen:
                continue
            seen.add((key.task_id, provider, key.model))
            reports.append(
                UsageReport(
                    task_id=key.task_id,
                    provider=provider,
                    model=key.model,
                    input_tokens=rng.randrange(1_000, 200_000),
                    output_tokens=rng.randrange(100, 20_000),
                    cache_read_tokens=rng.randrange(0, 500_000),
                    cache_write_tokens=rng.randrange(0, 50_000),
                )
            )
    return reports


async def _write_batches(conn: Connection, reports: Sequence[UsageReport], batch_rows: int) -> None:
    """Writes reports in batches, each one transaction (one commit per batch, like a report)."""
    for start in range(0, len(reports), batch_rows):
        async with conn.transaction():
            await queries.upsert_task_usage(conn, reports[start : start + batch_rows])


async def write_changes(conn: Connection, label: str, changes: int, rng: random.Random) -> None:
    """`changes` usage writes in reports of 20, half re-reports of rows of the last CHANGED_DAYS
    days, half new rows on tasks of those days: what one tick interval brings at the bench's rate."""
    since = window_for_days(CHANGED_DAYS).since
    keys = await bench_sql.pick_recent_usage(conn, since, label, changes)
    reports = _reports(keys, f"bench-{label}", rng)[:changes]
    if len(reports) < changes:
        raise RuntimeError(f"{label}: only {len(keys)} recent usage rows to change")
    await _write_batches(conn, reports, 20)


async def write_run_changes(conn: Connection, label: str, changes: int, rng: random.Random) -> None:
    """`changes` run updates (status, reason and completed_at) in statements of 20, one commit
    each, in a random order, on runs completed in the last CHANGED_DAYS days."""
    since = window_for_days(CHANGED_DAYS).since
    ids = await bench_sql.pick_recent_runs(conn, since, label, changes)
    if len(ids) < changes:
        raise RuntimeError(f"{label}: only {len(ids)} recent runs to change")
    rng.shuffle(ids)
    for start in range(0, changes, 20):
        async with conn.transaction():
            await bench_sql.change_runs(conn, ids[start : start + 20])


ChangeWriter = Callable[[Connection, str, int, random.Random], Awaitable[None]]


async def measure_tick(
    conn: Connection, label: str, changes: int, rounds: int, write: ChangeWriter = write_changes
) -> float:
    """p50 ms of tick_until_caught_up after `changes` writes, over `rounds` rounds after a
    warm-up round. The writes are usage (write_changes: half re-reports of rows of the last
    CHANGED_DAYS days, half new rows on tasks of those days) or runs (write_run_changes); only
    the tick is timed."""
    await tick_until_caught_up(conn)  # start from an empty queue
    rng = random.Random(f"tick-{label}")
    times = []
    for round_no in range(rounds + 1):
        await write(conn, f"tick-{label}-{round_no}", changes, rng)
        steps_rows: list[int] = []

        async def tick(out: list[int] = steps_rows) -> object:
            report = await tick_until_caught_up(conn)
            out[:] = [report.steps, report.rows]
            return report

        elapsed = await time_ms(tick)
        if round_no > 0:  # round 0 warms caches and plans
            times.append(elapsed)
        log(f"tick {label} round {round_no}: {elapsed:.1f} ms, steps/rows {steps_rows}")
    return median(times)


@dataclass(frozen=True)
class RepriceResult:
    """A one-model, one-month price version's tick against rebuilding that month, side by side."""

    tick_ms: float
    rebuild_month_ms: float
    days_queued: int


def _month_start(day: datetime.date, months_back: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


async def measure_reprice(conn: Connection, rounds: int) -> RepriceResult:
    """p50 of the tick that follows a new price version of REPRICED_KEY covering one month, and
    of rollup_task_usage_dashboard_daily_window over that month, in alternating rounds.

    A version pinned at the next month's start (the price already in effect there) first bounds
    what a version at the month's start covers; its own re-pricing is ticked away untimed."""
    today = datetime.datetime.now(datetime.UTC).date()
    month = _month_start(today, REPRICED_MONTHS_BACK)
    after = _month_start(today, REPRICED_MONTHS_BACK - 1)
    [pinned] = [
        p.version for p in await queries.list_model_prices_at(conn, after) if p.version.key == REPRICED_KEY
    ]
    await queries.upsert_model_prices(conn, [msgspec.structs.replace(pinned, effective_from=after)])
    await tick_until_caught_up(conn)
    since = datetime.datetime.combine(month, datetime.time(), datetime.UTC)
    until = datetime.datetime.combine(after, datetime.time(), datetime.UTC)
    tick_times, rebuild_times = [], []
    days_queued = 0
    for round_no in range(rounds + 1):
        version = msgspec.structs.replace(
            pinned, effective_from=month, input=pinned.input + Decimal(round_no + 1) / 100
        )
        await queries.upsert_model_prices(conn, [version])
        days_queued = (await queries.get_rollup_status(conn)).queued_days
        tick_ms = await time_ms(lambda: tick_until_caught_up(conn))
        rebuild_ms = await time_ms(lambda: queries.rollup_window(conn, since, until))
        if round_no > 0:  # round 0 warms caches and plans
            tick_times.append(tick_ms)
            rebuild_times.append(rebuild_ms)
        log(
            f"reprice round {round_no}: {days_queued} day(s) queued, "
            f"tick {tick_ms:.0f} ms, month {rebuild_ms:.0f} ms"
        )
    return RepriceResult(median(tick_times), median(rebuild_times), days_queued)


@dataclass(frozen=True)
class WriteResult:
    """Write throughput with and without the rollup's triggers (medians over rounds)."""

    with_triggers: float
    without_triggers: float

    @property
    def ratio(self) -> float:
        """Throughput with triggers / without."""
        return self.with_triggers / self.without_triggers


async def _write_round(conns: Sequence[Connection], reports: Sequence[UsageReport], batch_rows: int) -> float:
    """Rows per second of the writers sending their share of batches concurrently."""
    batches = [reports[i : i + batch_rows] for i in range(0, len(reports), batch_rows)]
    shares = [[r for batch in batches[w :: len(conns)] for r in batch] for w in range(len(conns))]
    start = time.perf_counter()
    # A TaskGroup cancels the other writers when one fails, so none is left writing while the
    # triggers are switched back on.
    async with asyncio.TaskGroup() as group:
        for conn, share in zip(conns, shares, strict=True):
            group.create_task(_write_batches(conn, share, batch_rows))
    return len(reports) / (time.perf_counter() - start)


async def measure_write_ratio(
    admin: Connection,
    writers: Sequence[Connection],
    batches_per_writer: int,
    batch_rows: int,
    round_pairs: int,
) -> WriteResult:
    """UpsertTaskUsage rows/s with the triggers / without, medians of alternating rounds.

    Rounds alternate in an ABBA order (with, without, without, with, ...) so drift over the run
    (autovacuum, cache warming, a neighbour's load) weighs on both sides alike. Each round writes
    the same count of rows: half re-reports of recent rows, half new rows under a round-specific
    provider. The triggers are switched with ALTER TABLE ... DISABLE TRIGGER USER between rounds.
    """
    rows = len(writers) * batches_per_writer * batch_rows
    since = window_for_days(CHANGED_DAYS).since
    keys = await bench_sql.pick_recent_usage(admin, since, "write", rows)
    rng = random.Random("write")
    if len(_reports(keys, "bench-write-warmup", rng)) < rows:
        raise RuntimeError(f"write: only {len(keys)} recent usage rows to re-report")
    await _write_round(writers, _reports(keys, "bench-write-warmup", rng)[:rows], batch_rows)
    order = [
        flag for pair in range(round_pairs) for flag in ((True, False) if pair % 2 == 0 else (False, True))
    ]
    with_rates: list[float] = []
    without_rates: list[float] = []
    for round_no, with_triggers in enumerate(order):
        reports = _reports(keys, f"bench-write-{round_no}", rng)[:rows]
        if with_triggers:
            rate = await _write_round(writers, reports, batch_rows)
            with_rates.append(rate)
        else:
            await bench_sql.disable_usage_triggers(admin)
            try:
                rate = await _write_round(writers, reports, batch_rows)
            finally:
                await bench_sql.enable_usage_triggers(admin)
            without_rates.append(rate)
        log(f"write round {round_no} ({'with' if with_triggers else 'without'} triggers): {rate:,.0f} rows/s")
    return WriteResult(with_triggers=median(with_rates), without_triggers=median(without_rates))
