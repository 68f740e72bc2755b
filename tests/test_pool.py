"""What requests borrow: a pooled connection in its own transaction, with local settings only."""

from __future__ import annotations

import psycopg
import pytest

from app.db.pool import RequestConnections, create_pool


async def _setting(conn: psycopg.AsyncConnection[tuple[object, ...]], name: str) -> object:
    row = await (await conn.execute(f"SHOW {name}")).fetchone()
    assert row is not None
    return row[0]


async def test_a_request_connection_has_its_settings_in_its_transaction_only(database_url: str) -> None:
    pool = create_pool(database_url, 1, 1)
    await pool.open(wait=True)
    requests = RequestConnections(pool, statement_timeout_ms=1234)
    try:
        async with pool.connection() as plain:
            before = (await _setting(plain, "jit"), await _setting(plain, "statement_timeout"))
        async with requests.connection() as conn:
            assert await _setting(conn, "jit") == "off"
            assert await _setting(conn, "statement_timeout") == "1234ms"
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        # The pool's only connection again: nothing the request set outlived it, as PgBouncer's
        # transaction mode requires.
        async with pool.connection() as same:
            assert same.autocommit
            assert (await _setting(same, "jit"), await _setting(same, "statement_timeout")) == before
            assert before[1] == "0"
    finally:
        await pool.close()


async def test_a_statement_past_the_timeout_is_cancelled_and_the_connection_rolls_back(
    database_url: str,
) -> None:
    pool = create_pool(database_url, 1, 1)
    await pool.open(wait=True)
    requests = RequestConnections(pool, statement_timeout_ms=50)
    try:

        async def write_then_sleep() -> None:
            async with requests.connection() as conn:
                await conn.execute("CREATE TEMPORARY TABLE written_before (x int)")
                await conn.execute("SELECT pg_sleep(5)")

        with pytest.raises(psycopg.errors.QueryCanceled):
            await write_then_sleep()
        async with requests.connection() as conn:
            assert await _setting(conn, "statement_timeout") == "50ms"
            row = await (await conn.execute("SELECT to_regclass('pg_temp.written_before')")).fetchone()
            assert row == (None,)
    finally:
        await pool.close()
