"""HEAD wherever GET works: answered as the GET, with the same headers and no body."""

from __future__ import annotations

from typing import cast

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import (
    HTTPScope,
    LifeSpanReceive,
    LifeSpanScope,
    LifeSpanSend,
    Message,
    Receive,
    Scope,
    Send,
)


class DashboardApp(Litestar):
    """The Litestar app, answering HEAD as GET.

    Litestar routes HEAD only to explicit @head handlers (a 405 otherwise); RFC 9110 asks that
    HEAD work wherever GET does, with the headers the GET would send.
    """

    async def __call__(
        self,
        scope: Scope | LifeSpanScope,
        receive: Receive | LifeSpanReceive,
        send: Send | LifeSpanSend,
    ) -> None:
        """Runs a HEAD request as its GET and drops the body on the way out."""
        if scope["type"] != ScopeType.HTTP or cast(HTTPScope, scope)["method"] != "HEAD":
            await super().__call__(scope, receive, send)
            return
        send_body = cast(Send, send)

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send_body(message)

        get_scope = cast(HTTPScope, {**scope, "method": "GET"})
        await super().__call__(get_scope, receive, send_without_body)
