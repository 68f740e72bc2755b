"""create_app(): routes, the connection pool's lifespan, error mapping and OpenAPI."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from litestar import Litestar
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from psycopg_pool import PoolTimeout

from app.api.dashboard import DashboardController
from app.api.deps import DashboardDbDep, provide_connection
from app.api.errors import (
    ApiError,
    api_error_handler,
    database_unavailable_handler,
    http_error_handler,
    internal_error_handler,
    json_error_bodies,
    statement_timeout_handler,
)
from app.api.head import DashboardApp
from app.api.health import healthz
from app.api.me import me
from app.api.metrics import metrics
from app.api.read_path import DashboardReadPath, ReadPathChooser
from app.config import Settings, load_settings
from app.db.embedded import start_embedded
from app.db.pool import RequestConnections, create_pool
from app.logs import configure_logging
from app.page.routes import page, sign_in, sign_out, static_files
from app.page.throttle import SignInThrottle
from app.rollup.scheduler import run_ticks
from app.sessions import SESSION_COOKIE


def create_app(settings: Settings | None = None) -> Litestar:
    """The ASGI app; granian calls it once per worker process (`--factory`)."""
    settings = settings or load_settings()
    configure_logging(settings.log_format)
    conninfo = settings.database_url or start_embedded(settings.data_dir)
    chooser = ReadPathChooser(settings.rollup_mode)

    async def provide_read_path(dashboard_db: DashboardDbDep) -> DashboardReadPath:
        return await chooser.choose(dashboard_db.read)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        pool = create_pool(conninfo, settings.pool_min_size, settings.pool_max_size)
        await pool.open(wait=False)
        app.state.pool = pool
        app.state.db = RequestConnections(pool, settings.statement_timeout_ms)
        read_pool = None
        app.state.read_db = None
        if settings.database_read_url is not None:
            read_pool = create_pool(
                settings.database_read_url, settings.pool_min_size, settings.pool_max_size
            )
            await read_pool.open(wait=False)
            app.state.read_db = RequestConnections(read_pool, settings.statement_timeout_ms)
        app.state.sign_in_throttle = SignInThrottle()
        stop = asyncio.Event()
        ticker = None
        if settings.rollup_maintained and settings.rollup_scheduler:
            ticker = asyncio.create_task(run_ticks(pool, settings.rollup_interval_seconds, stop))
        try:
            yield
        finally:
            stop.set()
            if ticker is not None:
                # A step cut short rolls back whole (the lock is transaction-scoped).
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
            if read_pool is not None:
                await read_pool.close()
            await pool.close()

    exception_handlers: dict[Any, Any] = {
        ApiError: api_error_handler,
        HTTPException: http_error_handler,
        PoolTimeout: database_unavailable_handler,
        psycopg.OperationalError: database_unavailable_handler,
        # Litestar picks the handler of the first class along the MRO: this one, for a timeout.
        psycopg.errors.QueryCanceled: statement_timeout_handler,
        Exception: internal_error_handler,
    }
    return DashboardApp(
        route_handlers=[DashboardController, me, healthz, metrics, page, static_files(), sign_in, sign_out],
        dependencies={
            "db": Provide(provide_connection),
            "read_path": Provide(provide_read_path),
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
        },
        lifespan=[lifespan],
        exception_handlers=exception_handlers,
        after_request=json_error_bodies,
        openapi_config=OpenAPIConfig(
            title="usage-dashboard",
            version="1.0.0",
            description="Token usage and run time of AI agents, per workspace.",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http", scheme="bearer", description="Personal access token."
                    ),
                    "PageSession": SecurityScheme(
                        type="apiKey",
                        name=SESSION_COOKIE,
                        security_scheme_in="cookie",
                        description="The page's session cookie, set by POST /auth/sign-in.",
                    ),
                }
            ),
        ),
        debug=False,
    )
