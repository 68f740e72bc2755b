"""Every HTTP request, observed: a request id (the caller's X-Request-ID or a new one, echoed
back), the request metrics, and one log line (never a header, so never a token)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from litestar.types import HTTPScope, Message, Receive, Send

from app.db.pool import Pool
from app.logs import request_id
from app.metrics import HTTP_LATENCY, HTTP_REQUESTS, UNMATCHED_ROUTE, record_pool

logger = logging.getLogger("usage_dashboard.request")

# What a proxy or client sends as a request id (UUIDs, hex, base64 ids); anything else, which a
# log line should not carry as is, is replaced by a new id.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_MAX_WORKSPACE = 64
# Methods outside these count as "other": a label must not take whatever a client sends.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

Dispatch = Callable[[HTTPScope, Receive, Send], Awaitable[None]]


def _header(scope: HTTPScope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def chosen_request_id(scope: HTTPScope) -> str:
    """The caller's X-Request-ID when it is a plain token, else a new UUID."""
    given = _header(scope, b"x-request-id")
    if given is not None and _REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def requested_workspace(scope: HTTPScope) -> str | None:
    """The workspace the request names, picked in the routes' order (slug, then id), cut short."""
    query = parse_qs(scope["query_string"].decode("latin-1"))
    candidates = (
        next(iter(query.get("workspace_slug", [])), None),
        _header(scope, b"x-workspace-slug"),
        next(iter(query.get("workspace_id", [])), None),
        _header(scope, b"x-workspace-id"),
    )
    return next((value[:_MAX_WORKSPACE] for value in candidates if value), None)


async def observe(
    scope: HTTPScope, receive: Receive, send: Send, dispatch: Dispatch, pool: Pool | None
) -> None:
    """Runs dispatch for one request, then counts, times and logs it under its route template."""
    method = scope["method"] if scope["method"] in _METHODS else "other"
    rid = chosen_request_id(scope)
    context = request_id.set(rid)
    status = 500
    started = time.perf_counter()

    async def send_with_id(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
        await send(message)

    try:
        await dispatch(scope, receive, send_with_id)
    finally:
        seconds = time.perf_counter() - started
        route = scope.get("path_template") or UNMATCHED_ROUTE
        HTTP_REQUESTS.labels(route, method, str(status)).inc()
        HTTP_LATENCY.labels(route, method, str(status)).observe(seconds)
        if pool is not None:
            record_pool(pool.get_stats())
        fields = {
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "workspace": requested_workspace(scope) or "-",
        }
        logger.info("request", extra={"fields": fields})
        request_id.reset(context)
