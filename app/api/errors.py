"""Every error leaves the API as JSON `{"error": "<message>"}` with the right status."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from app.wire import ErrorBody

logger = logging.getLogger("usage_dashboard.api")


class ApiError(Exception):
    """An error the client caused or may see: status code and the contract's message."""

    def __init__(self, status_code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers = headers or {}


_DOCUMENTED = {
    400: ("Missing workspace, or a malformed parameter.", "days must be an integer between 1 and 365"),
    401: ("Missing authorization or invalid token.", "invalid token"),
    403: ("The request did not come from the page's own origin.", "cross-origin request refused"),
    404: ("Unknown workspace, or the caller is not a member.", "workspace not found"),
    429: ("Too many wrong tokens from this client; wait Retry-After seconds.", "too many sign-in attempts"),
    503: (
        "The database did not answer in time, or a statement ran past the statement timeout; retry later.",
        "database unavailable",
    ),
}


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The OpenAPI entries of the error statuses a route answers, each an ErrorBody."""
    return {
        status: ResponseSpec(
            ErrorBody,
            description=_DOCUMENTED[status][0],
            examples=[Example(value={"error": _DOCUMENTED[status][1]})],
        )
        for status in statuses
    }


def _error(status_code: int, message: str, headers: dict[str, str] | None = None) -> Response[ErrorBody]:
    return Response(
        ErrorBody(error=message), status_code=status_code, media_type=MediaType.JSON, headers=headers
    )


def api_error_handler(_: Request[Any, Any, Any], exc: ApiError) -> Response[ErrorBody]:
    """Renders an ApiError."""
    return _error(exc.status_code, exc.message, exc.headers)


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    """Renders Litestar's own errors (unknown route, wrong method, bad parameter) as JSON."""
    if isinstance(exc, ValidationException):
        return _error(HTTP_400_BAD_REQUEST, "invalid request")
    if isinstance(exc, NotFoundException):
        return _error(exc.status_code, "not found")
    return _error(exc.status_code, exc.detail.lower() if exc.detail else "error")


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    """Logs an unexpected failure and answers 500 without leaking its details."""
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error(HTTP_500_INTERNAL_SERVER_ERROR, "internal server error")


def database_unavailable_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    """The database did not answer in time: 503, so clients and balancers retry elsewhere."""
    logger.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return _error(HTTP_503_SERVICE_UNAVAILABLE, "database unavailable")


def statement_timeout_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    """A statement ran past DATABASE_STATEMENT_TIMEOUT_MS (or was cancelled): 503, the worker free."""
    logger.warning("statement cancelled on %s %s: %s", request.method, request.url.path, exc)
    return _error(HTTP_503_SERVICE_UNAVAILABLE, "statement timeout: the query ran too long")


async def json_error_bodies(response: Response[Any]) -> Response[Any]:
    """after_request: a non-2xx response a library made itself (the OpenAPI plugin's HTML 404)
    becomes the contract's JSON error, so every error a client sees has one shape.

    A coroutine, though it awaits nothing: Litestar runs a plain function hook in a worker
    thread, a thread hand-off on every response."""
    status = response.status_code or 200
    if status < 400 or response.media_type == MediaType.JSON:
        return response
    return _error(status, HTTPStatus(status).phrase.lower())
