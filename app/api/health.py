"""GET /healthz: 200 when the database answers, 503 otherwise."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from app.db import queries
from app.wire import Health

# A health probe must answer quickly even when the pool is exhausted or the database is gone.
_PROBE_TIMEOUT_SECONDS = 3.0


@get("/healthz", summary="Liveness and database reachability", tags=["operations"])
async def healthz(state: State) -> Response[Health]:
    """Reports whether the database answers."""
    pool: AsyncConnectionPool[AsyncConnection[Any]] = state.pool
    try:
        async with pool.connection(timeout=_PROBE_TIMEOUT_SECONDS) as conn:
            ok = await queries.ping(conn)
    except Exception:
        ok = False
    if ok:
        return Response(Health(status="ok", database="ok"), status_code=HTTP_200_OK)
    return Response(
        Health(status="unavailable", database="unreachable"),
        status_code=HTTP_503_SERVICE_UNAVAILABLE,
    )
