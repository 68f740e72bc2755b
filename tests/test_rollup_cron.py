"""The pg_cron path: `rollup schedule` makes pg_cron run the tick, and the rollup catches up.

On a server with pg_cron preloaded (CI's PostgreSQL 15) the job really runs: pg_cron 1.4 fires
at most once a minute, so the test waits on the job's run record in cron.job_run_details,
bounded by a deadline. Without pg_cron (the embedded server) the command must say so clearly.
"""

from __future__ import annotations

import asyncio
import time

import psycopg
from psycopg.conninfo import make_conninfo

from app.db import queries
from app.db.queries import DashboardFilter
from app.window import window_for_days
from tests.rollup_helpers import run_cli
from tests.world import World

# pg_cron 1.4 starts jobs on minute boundaries; two minutes covers one full cycle and a retry.
_JOB_DEADLINE_SECONDS = 150


def _cron_database(db: psycopg.Connection[tuple[object, ...]]) -> str | None:
    row = db.execute("SELECT current_setting('cron.database_name', true)").fetchone()
    return None if row is None or row[0] is None else str(row[0])


def _wait_for_successful_run(cron_db: psycopg.Connection[tuple[object, ...]], job_id: int) -> None:
    """Blocks on the server (pg_sleep between reads) until the job has succeeded once."""
    deadline = time.monotonic() + _JOB_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        row = cron_db.execute(
            "SELECT count(*) FILTER (WHERE status = 'succeeded'),"
            " string_agg(return_message, '; ') FILTER (WHERE status = 'failed')"
            " FROM cron.job_run_details WHERE jobid = %s",
            (job_id,),
        ).fetchone()
        assert row is not None
        succeeded, failures = row
        assert failures is None, f"the scheduled tick failed: {failures}"
        if isinstance(succeeded, int) and succeeded > 0:
            return
        cron_db.execute("SELECT pg_sleep(1)")
    raise AssertionError(f"pg_cron did not run job {job_id} within {_JOB_DEADLINE_SECONDS} s")


async def _rollup_matches_raw(database_url: str, f: DashboardFilter) -> bool:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        raw = await queries.list_dashboard_usage_daily(conn, f)
        rolled = await queries.list_dashboard_usage_daily_rollup(conn, f)
    return raw == rolled and raw != []


def _queue_depth(db: psycopg.Connection[tuple[object, ...]]) -> int:
    row = db.execute("SELECT count(*) FROM task_usage_dashboard_dirty").fetchone()
    assert row is not None
    depth = row[0]
    assert isinstance(depth, int)
    return depth


def test_scheduled_tick_catches_up(
    database_url: str, db: psycopg.Connection[tuple[object, ...]], world: World
) -> None:
    cron_database = _cron_database(db)
    if cron_database is None:
        result = run_cli(database_url, "rollup", "schedule")
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1
        assert "pg_cron is not loaded" in result.stderr
        return

    assert run_cli(database_url, "backfill").returncode == 0
    ws = world.workspace()
    task = world.task(world.agent(ws))
    world.usage(task, input_tokens=42)
    f = DashboardFilter(workspace_id=ws, window=window_for_days(1))
    # The rollup path already shows the usage (its reads correct for the queue); the cron job's
    # work is to drain the queue.
    assert _queue_depth(db) > 0

    scheduled = run_cli(database_url, "rollup", "schedule", "--every", "* * * * *")
    assert scheduled.returncode == 0, scheduled.stderr
    database = db.info.dbname
    try:
        with psycopg.connect(make_conninfo(database_url, dbname=cron_database), autocommit=True) as cron_db:
            job = cron_db.execute(
                "SELECT jobid, command FROM cron.job WHERE jobname = %s",
                (f"usage-dashboard-rollup:{database}",),
            ).fetchone()
            assert job is not None
            job_id, command = job
            assert command == "CALL rollup_task_usage_dashboard_daily_job()"
            assert isinstance(job_id, int)
            _wait_for_successful_run(cron_db, job_id)
        assert _queue_depth(db) == 0
        assert asyncio.run(_rollup_matches_raw(database_url, f))
    finally:
        unscheduled = run_cli(database_url, "rollup", "unschedule")
    assert unscheduled.returncode == 0
    assert "unscheduled" in unscheduled.stdout
