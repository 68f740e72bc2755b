"""The app class: every HTTP request observed (app.api.observe), and HEAD answered as GET."""

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

from app.api.observe import observe


class DashboardApp(Litestar):
    """The Litestar app, observing every HTTP request and answering HEAD as GET.

    Litestar's middleware runs only for requests a route matched; observing here also counts
    and logs the 404s and 405s. Litestar routes HEAD only to explicit @head handlers (a 405
    otherwise); RFC 9110 asks that HEAD work wherever GET does, with the headers GET would send.
    """

    async def __call__(
        self,
        scope: Scope | LifeSpanScope,
        receive: Receive | LifeSpanReceive,
        send: Send | LifeSpanSend,
    ) -> None:
        """Observes an HTTP request around its dispatch; other scopes go straight through."""
        if scope["type"] != ScopeType.HTTP:
            await super().__call__(scope, receive, send)
            return
        pool = getattr(self.state, "pool", None)
        await observe(cast(HTTPScope, scope), cast(Receive, receive), cast(Send, send), self._dispatch, pool)

    async def _dispatch(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        if scope["method"] != "HEAD":
            await super().__call__(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # In place, so the route Litestar matches is visible to observe() in this scope.
        scope["method"] = "GET"
        await super().__call__(scope, receive, send_without_body)
