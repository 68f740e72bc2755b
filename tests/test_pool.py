"""The app's connection pool hands out connections with its session settings."""

from __future__ import annotations

from app.db.pool import create_pool


async def test_pooled_connections_have_jit_off(database_url: str) -> None:
    pool = create_pool(database_url, 1, 2)
    await pool.open(wait=True)
    try:
        async with pool.connection() as first, pool.connection() as second:
            for conn in (first, second):
                row = await (await conn.execute("SHOW jit")).fetchone()
                assert row == ("off",)
                assert conn.autocommit
    finally:
        await pool.close()
