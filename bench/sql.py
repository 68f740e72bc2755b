"""Typed wrappers of bench/bench.sql: the benchmark's only door to its own SQL."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

import aiosql
import msgspec

from app.db.queries import Connection
from app.db.sql import DictRowAdapter

_QUERIES: Any = aiosql.from_path(Path(__file__).with_name("bench.sql"), DictRowAdapter)


class UsageKey(msgspec.Struct, frozen=True):
    """The unique key of one task_usage row."""

    task_id: uuid.UUID
    provider: str
    model: str


class ServerFacts(msgspec.Struct, frozen=True):
    """The server's version and the settings that shape the figures."""

    version_num: int
    version: str
    shared_buffers: str
    work_mem: str
    jit: str
    max_parallel_workers_per_gather: str
    synchronous_commit: str


async def vacuum_analyze(conn: Connection) -> None:
    """VACUUM (ANALYZE) the whole database; conn must autocommit."""
    await _QUERIES.vacuum_analyze(conn)


async def checkpoint(conn: Connection) -> None:
    """CHECKPOINT (needs superuser or pg_checkpoint)."""
    await _QUERIES.checkpoint(conn)


async def disable_usage_triggers(conn: Connection) -> None:
    """Disables the user triggers of task_usage (the rollup's)."""
    await _QUERIES.disable_usage_triggers(conn)


async def enable_usage_triggers(conn: Connection) -> None:
    """Enables the user triggers of task_usage again."""
    await _QUERIES.enable_usage_triggers(conn)


async def pick_project_id(conn: Connection, workspace_id: uuid.UUID) -> uuid.UUID:
    """The workspace's first project by title; fails when it has none."""
    value: uuid.UUID | None = await _QUERIES.pick_project_id(conn, workspace_id=workspace_id)
    if value is None:
        raise RuntimeError(f"workspace {workspace_id} has no project")
    return value


async def count_usage_rows(conn: Connection) -> int:
    """Usage rows in the database."""
    value: int = await _QUERIES.count_usage_rows(conn)
    return value


async def count_tasks(conn: Connection) -> int:
    """Tasks in the database."""
    value: int = await _QUERIES.count_tasks(conn)
    return value


async def pick_recent_usage(
    conn: Connection, since: datetime.datetime, salt: str, limit: int
) -> list[UsageKey]:
    """Up to `limit` usage row keys created since `since`, in a salt-determined order."""
    rows = [row async for row in _QUERIES.pick_recent_usage(conn, since=since, salt=salt, row_limit=limit)]
    return msgspec.convert(rows, list[UsageKey])


async def pick_recent_runs(
    conn: Connection, since: datetime.datetime, salt: str, limit: int
) -> list[uuid.UUID]:
    """Up to `limit` ids of terminal runs completed since `since`, in a salt-determined order."""
    rows = _QUERIES.pick_recent_runs(conn, since=since, salt=salt, row_limit=limit)
    return [row["id"] async for row in rows]


async def change_runs(conn: Connection, task_ids: list[uuid.UUID]) -> None:
    """One lifecycle write of each of the runs (bench.sql's change_runs)."""
    await _QUERIES.change_runs(conn, task_ids=task_ids)


async def server_facts(conn: Connection) -> ServerFacts:
    """The server's version and settings."""
    row = await _QUERIES.server_facts(conn)
    return msgspec.convert(row, ServerFacts)
