"""The async connection pool, and the connections requests borrow from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from app.db.queries import configure_request

# How long a request waits for a connection before its 503. Short, because the common cause is
# a database that is down, and a client (or balancer) is better told at once than after 10 s.
CONNECTION_WAIT_SECONDS = 1.5
# How long the pool retries a connection it lost, with its exponential backoff (1 s, 2 s, ...),
# before giving that attempt up. The next request waiting for a connection then starts a fresh
# attempt at once, so a database back after a restart answers within seconds; with psycopg_pool's
# default (5 minutes) the backoff grew past a minute and the app stayed down long after it.
RECONNECT_SECONDS = 5.0

Pool = AsyncConnectionPool[AsyncConnection[Any]]


def create_pool(conninfo: str, min_size: int, max_size: int) -> Pool:
    """A closed pool; open it in the app lifespan, never at import (workers are processes).

    Statements are never server-prepared: a prepared dashboard query may switch to a generic
    plan that ignores the window and project values and runs several times slower (and
    PgBouncer's transaction mode could not keep them). Connections autocommit, and carry no
    session settings: requests set theirs per transaction (RequestConnections). A connection
    is checked before it is lent, so after a database restart the pool drops the dead ones
    instead of failing the next requests with them.
    """
    return AsyncConnectionPool(
        conninfo,
        min_size=min_size,
        max_size=max_size,
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": None},
        check=AsyncConnectionPool.check_connection,
        name="usage-dashboard",
        timeout=CONNECTION_WAIT_SECONDS,
        reconnect_timeout=RECONNECT_SECONDS,
    )


class RequestConnections:
    """What requests borrow: a pooled connection in a transaction of its own, with the request's
    settings local to it, so all its statements share them and none outlives the request."""

    def __init__(self, pool: Pool, statement_timeout_ms: int) -> None:
        self.pool = pool
        self.statement_timeout_ms = statement_timeout_ms

    @asynccontextmanager
    async def connection(self, wait_seconds: float | None = None) -> AsyncIterator[AsyncConnection[Any]]:
        """A connection in a fresh transaction, committed when the block ends without an error;
        wait_seconds bounds the wait for a free connection (default CONNECTION_WAIT_SECONDS)."""
        async with self.pool.connection(timeout=wait_seconds) as conn, conn.transaction():
            await configure_request(conn, self.statement_timeout_ms)
            yield conn
