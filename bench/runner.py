"""Runs the whole suite in order and writes the results, even when one area fails."""

from __future__ import annotations

import asyncio
import datetime
import os
import random
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from app.db import queries
from app.db.queries import Connection, DashboardFilter
from app.rollup.backfill import plan_backfill, run_backfill
from app.rollup.tick import tick_until_caught_up
from app.tokens import create_token
from app.window import MAX_DAYS, window_for_days, zone_named
from bench import sql as bench_sql
from bench.http_load import (
    HttpConnection,
    build_get,
    get_ok,
    granian,
    p50_request_ms,
    run_load,
    run_paced_load,
)
from bench.measure import elapsed_s, log, side_by_side_p50_ms
from bench.page_load import measure_page
from bench.reads import QUEUED_ZONE, RAW, ROLLUP, ROLLUP_PATH, ZONES, measure_wrappers, rollup_equals_raw
from bench.report import Context, write_json, write_markdown
from bench.scale import Scale
from bench.setup import World, connect, fresh_database, seed_world, server
from bench.writes import (
    measure_backfill,
    measure_reprice,
    measure_tick,
    measure_write_ratio,
    write_changes,
    write_run_changes,
)

_RPS_WARMUP_S = 1.0
PAGE_DAYS = (30, 365)
# issue 13's load figures: p99 with this many keep-alive clients on the 2 workers, and the
# open-loop rate at which p99 first passes the limit (over at most _LOAD_CONNECTIONS sockets).
_LOAD_CLIENTS = 64
_LOAD_CONNECTIONS = 256
_P99_LIMIT_MS = 100.0


@dataclass
class Run:
    """The figures gathered so far and the areas that failed."""

    scale: Scale
    main: World
    tick_small: World
    figures: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    async def area(self, name: str, action: Callable[[], Awaitable[None]]) -> None:
        """Runs one area; a failure is logged and recorded, and the next area still runs, so a
        late failure of a long run does not throw away the figures already taken."""
        log(f"== {name}")
        try:
            await action()
        except Exception as exc:
            traceback.print_exc()
            # A TaskGroup wraps the failure: report the first real one.
            while isinstance(exc, ExceptionGroup) and exc.exceptions:
                exc = exc.exceptions[0]
            message = " ".join(str(exc).split()) or type(exc).__name__
            self.failures.append(f"{name}: {message}")
            log(f"{name} FAILED: {message}")


async def _reads(run: Run) -> None:
    world = run.main
    async with await connect(world.conninfo) as conn:
        run.figures.update(
            await measure_wrappers(
                conn, "raw_sql_ms", RAW, world.large_workspace_id, world.project_id, run.scale.raw_runs
            )
        )


async def _backfill_and_rollup_reads(run: Run) -> None:
    world = run.main
    async with await connect(world.conninfo) as conn:
        result = await measure_backfill(conn, world.usage_rows)
        run.figures["backfill_rows_per_s"] = result.rows_per_s
        run.figures["backfill_s"] = result.seconds
        run.figures.update(
            await measure_wrappers(
                conn,
                "rollup_sql_ms",
                ROLLUP,
                world.large_workspace_id,
                world.project_id,
                run.scale.rollup_runs,
            )
        )
        # Viewers in ZONES arrive: their first reads register the quarters of their midnights,
        # and the prefixes of the whole history are filled (what the ticks do a month at a time).
        started = time.perf_counter()
        await _fill_zone_prefixes(conn, ZONES)
        run.figures["split_fill_s"] = time.perf_counter() - started
        # The prefixes just filled, settled by the backfill's closing VACUUM (as a backfill would).
        await queries.vacuum_rollup(conn)
        for zone in ZONES:
            run.figures.update(
                await measure_wrappers(
                    conn,
                    "rollup_sql_ms",
                    ROLLUP_PATH,
                    world.large_workspace_id,
                    None,
                    run.scale.rollup_runs,
                    zone,
                )
            )
        same = await rollup_equals_raw(conn, world.large_workspace_id, world.project_id)
        run.figures["check.rollup_equals_raw.daily.30"] = 1.0 if same else 0.0
        # One tick interval of writes left in both queues (the tick bench's 1,000 usage changes
        # and 1,000 run changes, which the tick targets take as five minutes' worth): the reads
        # correct for them.
        await write_changes(conn, "queued", run.scale.tick_changes, random.Random("queued"))
        await write_run_changes(conn, "queued", run.scale.tick_changes, random.Random("queued"))
        run.figures.update(
            await measure_wrappers(
                conn,
                "rollup_sql_ms_queued",
                ROLLUP,
                world.large_workspace_id,
                world.project_id,
                run.scale.rollup_runs,
            )
        )
        run.figures.update(
            await measure_wrappers(
                conn,
                "rollup_sql_ms_queued",
                ROLLUP_PATH,
                world.large_workspace_id,
                None,
                run.scale.rollup_runs,
                QUEUED_ZONE,
            )
        )
        same = await rollup_equals_raw(conn, world.large_workspace_id, world.project_id)
        run.figures["check.rollup_equals_raw_queued.daily.30"] = 1.0 if same else 0.0
        await tick_until_caught_up(conn)


async def _fill_zone_prefixes(conn: Connection, zones: tuple[str, ...]) -> None:
    quarters: set[int] = set()
    for zone in zones:
        quarters |= window_for_days(MAX_DAYS, zone_named(zone)).split_quarters
    await queries.register_rollup_splits(conn, sorted(quarters))
    while await queries.fill_rollup_splits(conn):
        continue


async def _http(run: Run, log_dir: Path) -> None:
    world, scale = run.main, run.scale
    async with await connect(world.conninfo) as conn:
        token = await create_token(
            conn, email="bench@example.com", workspace_slug=world.large_slug, role="member", name="bench"
        )
    path = f"/api/dashboard/usage/daily?workspace_slug={world.large_slug}&days=30"
    same_read = DashboardFilter(workspace_id=world.large_workspace_id, window=window_for_days(30))
    async with (
        granian(world.conninfo, rollup_enabled=True, workers=2, log_dir=log_dir) as srv,
        await connect(world.conninfo) as conn,
    ):
        request = build_get(srv.port, path, token.secret)
        http = HttpConnection(srv.port)
        try:
            # The request and the query it serves, in alternating batches: the overhead is their
            # difference on the same minute of a machine whose speed drifts.
            latency, sql_ms = await side_by_side_p50_ms(
                lambda: get_ok(http, request),
                lambda: queries.list_dashboard_usage_daily_rollup(conn, same_read),
                scale.http_runs,
            )
        finally:
            await http.close()
        run.figures["http_ms.rollup.daily.30"] = latency
        run.figures["http_overhead.sql_ms"] = sql_ms
        run.figures["http_overhead_ms"] = latency - sql_ms
        log(f"http_ms.rollup.daily.30 = {latency:.2f} ms (its query alone {sql_ms:.2f} ms)")
        # The warm-up lets both workers open their pools before the timed run.
        warmup = await run_load(srv.port, request, scale.rps_clients, _RPS_WARMUP_S, scale.rps_max_requests)
        load = await run_load(srv.port, request, scale.rps_clients, scale.rps_seconds, scale.rps_max_requests)
        run.figures["http_rps.rollup.daily.30"] = load.rps
        run.figures["http_errors"] = float(warmup.errors + load.errors)
        run.figures["http_requests"] = float(load.ok)
        run.figures["http_client_cpu_pct"] = 100.0 * load.client_cpu_s / load.seconds
        errors = warmup.errors + load.errors
        log(
            f"http_rps = {load.rps:,.0f} ({load.ok:,} ok, {errors} errors, {load.seconds:.1f} s, "
            f"client CPU {run.figures['http_client_cpu_pct']:.0f}%)"
        )
        await _load(run, srv.port, request)
    async with granian(world.conninfo, rollup_enabled=False, workers=1, log_dir=log_dir) as srv:
        request = build_get(srv.port, path, token.secret)
        raw = await p50_request_ms(srv.port, request, scale.http_raw_runs, warmup=1)
        run.figures["http_ms.raw.daily.30"] = raw
        log(f"http_ms.raw.daily.30 = {raw:.2f} ms")


async def _load(run: Run, port: int, request: bytes) -> None:
    """p99 under 64 closed-loop clients, then open-loop rates until p99 passes 100 ms (issue 13)."""
    scale = run.scale
    crowd = await run_load(port, request, _LOAD_CLIENTS, scale.rps_seconds, scale.rps_max_requests)
    run.figures[f"http_p99_ms.c{_LOAD_CLIENTS}"] = crowd.p99_ms
    run.figures[f"http_rps.c{_LOAD_CLIENTS}"] = crowd.rps
    errors = crowd.errors
    log(f"http_p99_ms.c{_LOAD_CLIENTS} = {crowd.p99_ms:.1f} ms at {crowd.rps:,.0f} req/s")
    reached = 0.0
    rate = 0
    for rate in scale.load_rates:
        step = await run_paced_load(port, request, rate, scale.load_step_seconds, _LOAD_CONNECTIONS)
        errors += step.errors
        log(f"open loop {rate} req/s: p99 {step.p99_ms:.1f} ms, {step.ok:,} ok, {step.errors} errors")
        if step.p99_ms > _P99_LIMIT_MS:
            reached = 1.0
            break
    # Never passed: the highest rate tried, with http_p99_100ms_reached 0 saying so.
    run.figures["http_rps_at_p99_100ms"] = float(rate)
    run.figures["http_p99_100ms_reached"] = reached
    run.figures["http_errors"] += float(errors)


async def _page(run: Run, log_dir: Path) -> None:
    world = run.main
    async with await connect(world.conninfo) as conn:
        token = await create_token(
            conn, email="bench@example.com", workspace_slug=world.large_slug, role="member", name="page"
        )
    async with granian(world.conninfo, rollup_enabled=True, workers=2, log_dir=log_dir) as srv:
        result = await measure_page(srv.port, token.secret, world.large_slug, PAGE_DAYS, run.scale.page_runs)
    for days, ready_ms in result.ready_ms.items():
        run.figures[f"page_ms.{days}"] = ready_ms
    run.figures["page_bytes_gzip"] = float(result.asset_bytes_gzip)
    log(f"page_bytes_gzip = {result.asset_bytes_gzip:,}")


async def _settle(conn: Connection) -> None:
    """Checkpoints before a write-side area, so the I/O the areas before it left behind (seed,
    backfill) is not timed as its own; skipped, with a line, where the role may not."""
    try:
        await bench_sql.checkpoint(conn)
    except psycopg.Error as exc:
        log(f"checkpoint skipped: {' '.join(str(exc).split())}")


async def _ticks(run: Run) -> None:
    scale = run.scale
    async with await connect(run.main.conninfo) as conn:
        await _settle(conn)
        full = await measure_tick(conn, "full", scale.tick_changes, scale.tick_rounds)
        run.figures["tick_ms.changed_1000.full"] = full
        run.figures["tick_ms.changed_1000_runs.full"] = await measure_tick(
            conn, "runs", scale.tick_changes, scale.tick_rounds, write_run_changes
        )
    async with await connect(run.tick_small.conninfo) as conn:
        # The 30-day history starts like the main one: fully backfilled and analysed, with the
        # same zones' prefixes kept.
        await _fill_zone_prefixes(conn, ZONES)
        await run_backfill(conn, await plan_backfill(conn))
        await _settle(conn)
        small = await measure_tick(conn, "small", scale.tick_changes, scale.tick_rounds)
        run.figures["tick_ms.changed_1000.small"] = small
    run.figures["tick_scale_ratio"] = full / small


async def _reprice(run: Run) -> None:
    async with await connect(run.main.conninfo) as conn:
        await _settle(conn)
        result = await measure_reprice(conn, run.scale.tick_rounds)
    run.figures["reprice_tick_ms"] = result.tick_ms
    run.figures["reprice.rebuild_month_ms"] = result.rebuild_month_ms
    run.figures["reprice.days_queued"] = float(result.days_queued)
    run.figures["reprice.ratio_to_rebuild_month"] = result.tick_ms / result.rebuild_month_ms


async def _writes(run: Run) -> None:
    scale = run.scale
    async with AsyncExitStack() as stack:
        admin = await stack.enter_async_context(await connect(run.main.conninfo))
        await _settle(admin)
        writers = [
            await stack.enter_async_context(await connect(run.main.conninfo))
            for _ in range(scale.write_writers)
        ]
        result = await measure_write_ratio(
            admin, writers, scale.write_batches_per_writer, scale.write_batch_rows, scale.write_round_pairs
        )
    run.figures["write_ratio_with_triggers"] = result.ratio
    run.figures["write_rows_per_s.with_triggers"] = result.with_triggers
    run.figures["write_rows_per_s.without_triggers"] = result.without_triggers


def _repetitions(scale: Scale) -> str:
    write_rows = scale.write_writers * scale.write_batches_per_writer * scale.write_batch_rows
    return (
        f"p50 of {scale.raw_runs} raw SQL runs, {scale.rollup_runs} rollup SQL runs, "
        f"{scale.http_runs} rollup / {scale.http_raw_runs} raw HTTP requests (each after a warm-up); "
        f"throughput {scale.rps_clients} clients for {scale.rps_seconds:.0f} s; "
        f"tick {scale.tick_rounds} rounds of {scale.tick_changes:,} changes; "
        f"writes {2 * scale.write_round_pairs} rounds of {write_rows:,} rows; "
        f"page {scale.page_runs} loads per window (after a warm-up)"
    )


def _memory_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


async def run_suite(scale: Scale, out: Path, database_url: str | None) -> int:
    """Creates the databases, seeds them, measures every area, writes the results; returns the
    exit code (1 when an area failed; its figures are then missing from the results)."""
    date = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    with ExitStack() as stack:
        admin = stack.enter_context(server(database_url))
        main_url = stack.enter_context(fresh_database(admin, "main"))
        tick_url = stack.enter_context(fresh_database(admin, "tick30"))
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-logs-")))
        log(f"== seeding ({scale.name})")
        # Two backends on two cores: seeding both histories at once halves the wait.
        main, tick_small = await asyncio.gather(
            seed_world(main_url, (scale.large, *scale.small_workspaces), "main"),
            seed_world(tick_url, scale.tick_history(), "tick30"),
        )
        run = Run(scale=scale, main=main, tick_small=tick_small)
        async with await connect(main_url) as conn:
            facts = await bench_sql.server_facts(conn)
        await run.area("raw reads", lambda: _reads(run))
        await run.area("backfill and rollup reads", lambda: _backfill_and_rollup_reads(run))
        await run.area("http", lambda: _http(run, log_dir))
        await run.area("page", lambda: _page(run, log_dir))
        await run.area("tick", lambda: _ticks(run))
        await run.area("reprice", lambda: _reprice(run))
        await run.area("writes", lambda: _writes(run))
        log("== dropping the databases")
    wall_s = elapsed_s()
    figures = {
        "scale": float(scale.code),
        "machine.cores": float(os.cpu_count() or 0),
        "machine.memory_gb": round(_memory_gb(), 1),
        "postgres.version_num": float(facts.version_num),
        "data.tasks": float(main.tasks),
        "data.usage_rows": float(main.usage_rows),
        **run.figures,
        "wall_s": wall_s,
    }
    context = Context(
        scale=scale.name,
        date=date,
        cores=os.cpu_count() or 0,
        memory_gb=_memory_gb(),
        server=facts,
        database="DATABASE_URL" if database_url else "embedded",
        workspaces=main.workspaces,
        tasks=main.tasks,
        usage_rows=main.usage_rows,
        tick_small_tasks=tick_small.tasks,
        tick_small_usage_rows=tick_small.usage_rows,
        wall_s=wall_s,
        repetitions=_repetitions(scale),
        failures=tuple(run.failures),
    )
    write_json(out / "results" / "latest.json", figures)
    write_markdown(out / "RESULTS.md", figures, context)
    log(f"wrote {out / 'results' / 'latest.json'} and {out / 'RESULTS.md'} ({wall_s:.0f} s)")
    for failure in run.failures:
        log(f"FAILED {failure}")
    return 1 if run.failures else 0
