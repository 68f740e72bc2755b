"""Loads queries/ through aiosql with an adapter that returns rows as dicts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiosql
from aiosql.adapters.apyformat import AsyncPyFormatAdapter
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from app.resources import sql_dir


class DictRowAdapter(AsyncPyFormatAdapter):
    """Select queries yield dicts from a cursor of their own.

    Setting row_factory on a pooled connection would leak into the next borrower, and `$`
    queries need tuples, so only the cursors of `select` and `select_one` get dict rows.
    """

    async def select(  # type: ignore[override]
        self,
        conn: AsyncConnection[Any],
        query_name: str,
        sql: str,
        parameters: Mapping[str, Any],
        record_class: Any = None,
    ) -> AsyncIterator[dict[str, Any]]:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(sql, parameters)
            for row in await cur.fetchall():
                yield row

    async def select_one(  # type: ignore[override]
        self,
        conn: AsyncConnection[Any],
        query_name: str,
        sql: str,
        parameters: Mapping[str, Any],
        record_class: Any = None,
    ) -> dict[str, Any] | None:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(sql, parameters)
            return await cur.fetchone()


def load_queries() -> Any:
    """Every named query of queries/*.sql, as aiosql methods."""
    return aiosql.from_path(sql_dir("queries"), DictRowAdapter)


QUERIES = load_queries()
