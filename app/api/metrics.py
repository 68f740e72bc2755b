"""GET /metrics: the Prometheus text format (docs/operations.md lists every metric)."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State

from app.api.deps import AppSettings
from app.db import queries
from app.db.pool import RequestConnections
from app.metrics import CONTENT_TYPE, exposition, record_pool
from app.wire import RollupState

# A scrape must not hang on a database that is down: it then reports database_up 0 instead.
_SCRAPE_DB_TIMEOUT_SECONDS = 2.0


@get("/metrics", summary="Prometheus metrics", tags=["operations"], include_in_schema=True)
async def metrics(state: State, settings: AppSettings) -> Response[bytes]:
    """Every metric in the text format; 200 even when the database does not answer."""
    db: RequestConnections = state.db
    rollup: RollupState | None
    try:
        async with db.connection(wait_seconds=_SCRAPE_DB_TIMEOUT_SECONDS) as conn:
            rollup = await queries.get_rollup_status(conn)
    except Exception:
        rollup = None
    record_pool(db.pool.get_stats())
    return Response(exposition(rollup, settings.rollup_mode), media_type=CONTENT_TYPE)
