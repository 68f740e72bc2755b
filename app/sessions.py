"""Page sessions: a random id in an HttpOnly cookie, stored only as its digest, tied to a token.

A session is valid while it has not expired and the token it was opened with is still valid
(not revoked, not expired, not deleted): the queries that read a session join the token.
"""

from __future__ import annotations

import datetime
import secrets

from app.db import queries
from app.db.queries import Connection
from app.tokens import token_digest

SESSION_COOKIE = "usage_dashboard_session"
SESSION_LIFETIME = datetime.timedelta(hours=12)


async def open_session(conn: Connection, token_secret: str) -> str | None:
    """A new session id for a valid token (stored as its digest), or None for an invalid token."""
    session_id = secrets.token_urlsafe(32)
    async with conn.transaction():
        await queries.delete_expired_dashboard_sessions(conn)
        opened = await queries.create_dashboard_session(
            conn, token_digest(session_id), token_digest(token_secret), SESSION_LIFETIME
        )
    return session_id if opened else None


async def close_session(conn: Connection, session_id: str) -> None:
    """Ends the session with this id (nothing happens for an unknown one)."""
    await queries.delete_dashboard_session(conn, token_digest(session_id))
