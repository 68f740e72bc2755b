"""The async connection pool the HTTP app borrows connections from."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from app.db.queries import configure_connection

# How long a request waits for a connection before its 503. Short, because the common cause is
# a database that is down, and a client (or balancer) is better told at once than after 10 s.
CONNECTION_WAIT_SECONDS = 1.5


def create_pool(conninfo: str, min_size: int, max_size: int) -> AsyncConnectionPool[AsyncConnection[Any]]:
    """A closed pool; open it in the app lifespan, never at import (workers are processes).

    Statements are never server-prepared: a prepared dashboard query may switch to a generic
    plan that ignores the window and project values and runs several times slower.
    Connections autocommit since every request runs one self-contained statement, and get
    configure_connection's settings when opened.
    """
    return AsyncConnectionPool(
        conninfo,
        min_size=min_size,
        max_size=max_size,
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": None},
        configure=configure_connection,
        name="usage-dashboard",
        timeout=CONNECTION_WAIT_SECONDS,
    )
