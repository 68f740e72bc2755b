"""GET /healthz: 200 with the rollup's state when the database answers, 503 otherwise."""

from __future__ import annotations

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from app.api.deps import AppSettings
from app.db import queries
from app.db.pool import RequestConnections
from app.rollup.health import assess, serving_path
from app.wire import Health, RollupHealth

# A health probe must answer quickly even when the pool is exhausted or the database is gone.
_PROBE_TIMEOUT_SECONDS = 3.0


@get("/healthz", summary="Database reachability and the rollup's state", tags=["operations"])
async def healthz(state: State, settings: AppSettings) -> Response[Health]:
    """Reports whether the database answers and how far the rollup is."""
    db: RequestConnections = state.db
    try:
        async with db.connection(wait_seconds=_PROBE_TIMEOUT_SECONDS) as conn:
            rollup = await queries.get_rollup_status(conn)
        path = serving_path(settings.rollup_mode, rollup)
    except Exception:
        return Response(
            Health(status="unavailable", database="unreachable"),
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
        )
    return Response(
        Health(
            status="ok",
            database="ok",
            rollup=RollupHealth(
                **msgspec.structs.asdict(rollup),
                mode=settings.rollup_mode,
                enabled=path == "rollup",
                read_path=path,
                state=assess(rollup, interval_seconds=settings.rollup_interval_seconds),
            ),
        ),
        status_code=HTTP_200_OK,
    )
