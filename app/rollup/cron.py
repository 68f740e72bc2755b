"""Schedules the tick as a pg_cron job, from pg_cron's database into the dashboard's."""

from __future__ import annotations

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import make_conninfo

from app.db import queries


class CronError(RuntimeError):
    """pg_cron cannot be used here; the message says why and what to do, on one line."""


def job_name(database: str) -> str:
    """The job's name, one per dashboard database."""
    return f"usage-dashboard-rollup:{database}"


async def _cron_connection(conninfo: str) -> tuple[AsyncConnection[object], str]:
    """A connection to pg_cron's database and the name of the dashboard's database."""
    async with await AsyncConnection.connect(conninfo, autocommit=True) as conn:
        cron_database = await queries.get_cron_database_name(conn)
        database = await queries.get_current_database_name(conn)
    if not cron_database:
        raise CronError(
            "pg_cron is not loaded on this server: add pg_cron to shared_preload_libraries, "
            "restart PostgreSQL, then retry (or run `usage-dashboard rollup loop` instead)"
        )
    try:
        cron_conn = await AsyncConnection.connect(
            make_conninfo(conninfo, dbname=cron_database), autocommit=True
        )
    except psycopg.OperationalError as exc:
        raise CronError(
            f"pg_cron lives in database {cron_database!r} (cron.database_name) and it cannot be "
            f"reached with these credentials: {' '.join(str(exc).split())}"
        ) from exc
    return cron_conn, database


async def schedule(conninfo: str, every: str) -> tuple[int, str]:
    """Schedules (or reschedules) the tick; returns the job id and its name."""
    cron_conn, database = await _cron_connection(conninfo)
    async with cron_conn:
        try:
            await queries.create_pg_cron_extension(cron_conn)
            job_id = await queries.schedule_rollup_job(cron_conn, job_name(database), every, database)
        except psycopg.Error as exc:
            raise CronError(f"pg_cron refused the job: {' '.join(str(exc).split())}") from exc
    return job_id, job_name(database)


async def unschedule(conninfo: str) -> int:
    """Removes the tick's job; returns how many jobs were removed (0 or 1)."""
    cron_conn, database = await _cron_connection(conninfo)
    async with cron_conn:
        try:
            return await queries.unschedule_rollup_job(cron_conn, job_name(database))
        except (psycopg.errors.InvalidSchemaName, psycopg.errors.UndefinedTable):
            # pg_cron is preloaded but its extension was never created: nothing is scheduled.
            return 0
