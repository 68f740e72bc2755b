"""Personal access tokens: a random secret shown once, stored only as its SHA-256 digest."""

from __future__ import annotations

import datetime
import hashlib
import secrets
import uuid

import msgspec

from app.db import queries
from app.db.queries import Connection

ROLES = ("owner", "admin", "member")
_PREFIX_LENGTH = 8


class TokenError(RuntimeError):
    """A token cannot be created; the message is one line."""


class CreatedToken(msgspec.Struct, frozen=True):
    """A new token: the secret (never stored) and where it belongs."""

    id: uuid.UUID
    secret: str
    user_id: uuid.UUID
    workspace_id: uuid.UUID
    membership_created: bool
    expires_at: datetime.datetime | None


def token_digest(secret: str) -> str:
    """Hex SHA-256 of a secret, as personal_access_token.token_hash stores it."""
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_token(
    conn: Connection,
    *,
    email: str,
    workspace_slug: str,
    role: str = "member",
    name: str = "cli",
    expires_in_days: int | None = None,
) -> CreatedToken:
    """Creates the user and membership when missing, then a token, in one transaction."""
    if role not in ROLES:
        raise TokenError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if "@" not in email.strip("@") or any(c.isspace() for c in email):
        raise TokenError(f"invalid email {email!r}")
    expires_at = None
    if expires_in_days is not None:
        expires_at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=expires_in_days)
    secret = "udt_" + secrets.token_urlsafe(32)
    async with conn.transaction():
        workspace_id = await queries.get_workspace_id_by_slug(conn, workspace_slug)
        if workspace_id is None:
            raise TokenError(f"workspace {workspace_slug!r} not found")
        user_id = await queries.upsert_user(conn, email, email.split("@", 1)[0])
        created = await queries.ensure_member(conn, workspace_id, user_id, role)
        token_id = await queries.insert_personal_access_token(
            conn, user_id, name, token_digest(secret), secret[:_PREFIX_LENGTH], expires_at
        )
    return CreatedToken(token_id, secret, user_id, workspace_id, created, expires_at)
