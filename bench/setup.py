"""The suite's own databases: a server (embedded unless DATABASE_URL), fresh databases, seeding."""

from __future__ import annotations

import atexit
import datetime
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import AsyncConnection, sql
from psycopg.conninfo import make_conninfo

from app.db import queries
from app.db.embedded import start_embedded
from app.db.migrate import Runner
from app.db.queries import Connection
from app.demo import SeedPlan, seed_workspace
from bench import sql as bench_sql
from bench.measure import log


@contextmanager
def server(database_url: str | None) -> Iterator[str]:
    """Conninfo of a server where the suite may create and drop databases.

    Without DATABASE_URL a throwaway embedded server is started; it stops and deletes its data
    directory when this process exits.
    """
    if database_url:
        yield database_url
        return
    data_dir = Path(tempfile.mkdtemp(prefix="usage-dashboard-bench-"))
    # atexit runs handlers last-in first-out: registered before the server's own handler, this
    # one runs after it has stopped the server and deleted pgdata, and removes the empty folder.
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    yield start_embedded(data_dir, cleanup="delete")


def _admin(conninfo: str) -> psycopg.Connection[tuple[Any, ...]]:
    # CREATE / DROP DATABASE cannot run inside a transaction block.
    return psycopg.connect(conninfo, autocommit=True)


@contextmanager
def fresh_database(admin_conninfo: str, label: str) -> Iterator[str]:
    """A new, migrated database named after `label`; dropped on exit, whatever happened."""
    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    with _admin(admin_conninfo) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        conninfo = make_conninfo(admin_conninfo, dbname=name)
        Runner(conninfo).up()
        yield conninfo
    finally:
        with _admin(admin_conninfo) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


async def connect(conninfo: str) -> Connection:
    """An autocommit connection that never server-prepares and has the app's session settings,
    like a connection of the app's pool."""
    conn = await AsyncConnection.connect(conninfo, autocommit=True, prepare_threshold=None)
    await queries.configure_connection(conn)
    return conn


@dataclass(frozen=True)
class World:
    """What a seeded database holds, as the measurements need it."""

    conninfo: str
    large_workspace_id: uuid.UUID
    large_slug: str
    project_id: uuid.UUID
    workspaces: int
    tasks: int
    usage_rows: int


def _progress(label: str) -> Any:
    """on_progress for seed_workspace: a line about every tenth of the days."""
    shown = [0]

    def update(done: int, total: int) -> None:
        step = max(1, total // 10)
        if done == total or done - shown[0] >= step:
            shown[0] = done
            log(f"{label}: {done}/{total} days")

    return update


async def seed_world(conninfo: str, plans: Sequence[SeedPlan], label: str) -> World:
    """Seeds the plans (the first is the large workspace) with one common anchor, then
    VACUUM (ANALYZE) so every measurement sees a settled, analysed database."""
    anchor = datetime.datetime.now(datetime.UTC)
    async with await connect(conninfo) as conn:
        ids = []
        for index, plan in enumerate(plans):
            # Only the large workspace takes long enough to be worth progress lines.
            progress = _progress(f"{label} seed {plan.slug}") if index == 0 else None
            result = await seed_workspace(conn, plan, on_progress=progress, anchor=anchor)
            ids.append(result.workspace_id)
        log(f"{label}: vacuum analyze")
        await bench_sql.vacuum_analyze(conn)
        world = World(
            conninfo=conninfo,
            large_workspace_id=ids[0],
            large_slug=plans[0].slug,
            project_id=await bench_sql.pick_project_id(conn, ids[0]),
            workspaces=len(ids),
            tasks=await bench_sql.count_tasks(conn),
            usage_rows=await bench_sql.count_usage_rows(conn),
        )
    log(f"{label}: {world.tasks:,} tasks, {world.usage_rows:,} usage rows")
    return world
