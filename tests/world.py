"""Builds platform rows with plain SQL, the way an external check writes a world."""

from __future__ import annotations

import datetime
import hashlib
import secrets
import uuid
from typing import Any

import psycopg

Conn = psycopg.Connection[tuple[object, ...]]

UTC = datetime.UTC


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime.datetime:
    """A UTC datetime: utc(2026, 1, 2, 3) is 2026-01-02 03:00 UTC."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


def today_utc() -> datetime.date:
    """Today's UTC date."""
    return datetime.datetime.now(UTC).date()


def midnight(day: datetime.date) -> datetime.datetime:
    """UTC midnight at the start of day."""
    return datetime.datetime.combine(day, datetime.time(), UTC)


class World:
    """Small helpers, each one INSERT, returning the new row's id."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self._issue_number = 0

    def _insert(self, sql: str, params: dict[str, Any]) -> uuid.UUID:
        row = self.conn.execute(sql, params).fetchone()
        assert row is not None
        value = row[0]
        assert isinstance(value, uuid.UUID)
        return value

    def workspace(self, slug: str | None = None) -> uuid.UUID:
        slug = slug or f"ws-{uuid.uuid4().hex[:8]}"
        return self._insert(
            "INSERT INTO workspace (name, slug) VALUES (%(s)s, %(s)s) RETURNING id", {"s": slug}
        )

    def user(self, email: str | None = None) -> uuid.UUID:
        email = email or f"{uuid.uuid4().hex[:8]}@example.com"
        return self._insert(
            'INSERT INTO "user" (name, email) VALUES (%(e)s, %(e)s) RETURNING id', {"e": email}
        )

    def member(self, workspace_id: uuid.UUID, user_id: uuid.UUID, role: str = "member") -> uuid.UUID:
        return self._insert(
            "INSERT INTO member (workspace_id, user_id, role) VALUES (%(w)s, %(u)s, %(r)s) RETURNING id",
            {"w": workspace_id, "u": user_id, "r": role},
        )

    def token(
        self,
        user_id: uuid.UUID,
        *,
        revoked: bool = False,
        expires_at: datetime.datetime | None = None,
    ) -> str:
        """Stores a token the way the platform does (SHA-256 only) and returns its secret."""
        secret = secrets.token_urlsafe(24)
        self.conn.execute(
            "INSERT INTO personal_access_token (user_id, name, token_hash, token_prefix, expires_at, revoked)"
            " VALUES (%(u)s, 'test', %(h)s, %(p)s, %(x)s, %(r)s)",
            {
                "u": user_id,
                "h": hashlib.sha256(secret.encode()).hexdigest(),
                "p": secret[:8],
                "x": expires_at,
                "r": revoked,
            },
        )
        return secret

    def runtime(self, workspace_id: uuid.UUID) -> uuid.UUID:
        return self._insert(
            "INSERT INTO agent_runtime (workspace_id, name, provider) VALUES (%(w)s, 'rt', 'local')"
            " RETURNING id",
            {"w": workspace_id},
        )

    def agent(
        self,
        workspace_id: uuid.UUID,
        runtime_id: uuid.UUID | None = None,
        *,
        name: str | None = None,
        visibility: str | None = None,
        owner_id: uuid.UUID | None = None,
        archived_at: datetime.datetime | None = None,
    ) -> uuid.UUID:
        """An agent; visibility is the column's default (private) unless given."""
        runtime_id = runtime_id or self.runtime(workspace_id)
        return self._insert(
            "INSERT INTO agent (workspace_id, runtime_id, name, visibility, owner_id, archived_at)"
            " VALUES (%(w)s, %(r)s, %(n)s, coalesce(%(v)s, 'private'), %(o)s, %(x)s) RETURNING id",
            {
                "w": workspace_id,
                "r": runtime_id,
                "n": name or f"agent-{uuid.uuid4().hex[:8]}",
                "v": visibility,
                "o": owner_id,
                "x": archived_at,
            },
        )

    def project(self, workspace_id: uuid.UUID, title: str = "p", status: str = "planned") -> uuid.UUID:
        return self._insert(
            "INSERT INTO project (workspace_id, title, status) VALUES (%(w)s, %(t)s, %(s)s) RETURNING id",
            {"w": workspace_id, "t": title, "s": status},
        )

    def issue(self, workspace_id: uuid.UUID, project_id: uuid.UUID | None = None) -> uuid.UUID:
        self._issue_number += 1
        return self._insert(
            "INSERT INTO issue (workspace_id, title, creator_type, creator_id, project_id, number)"
            " VALUES (%(w)s, 'i', 'member', gen_random_uuid(), %(p)s, %(n)s) RETURNING id",
            {"w": workspace_id, "p": project_id, "n": self._issue_number},
        )

    def task(
        self,
        agent_id: uuid.UUID,
        issue_id: uuid.UUID | None = None,
        *,
        status: str = "completed",
        started_at: datetime.datetime | None = None,
        completed_at: datetime.datetime | None = None,
        failure_reason: str | None = None,
    ) -> uuid.UUID:
        """A task run; its runtime is the agent's."""
        return self._insert(
            "INSERT INTO agent_task_queue"
            " (agent_id, issue_id, runtime_id, status, started_at, completed_at, failure_reason)"
            " SELECT %(a)s, %(i)s, runtime_id, %(s)s, %(st)s, %(c)s, %(f)s FROM agent WHERE id = %(a)s"
            " RETURNING id",
            {
                "a": agent_id,
                "i": issue_id,
                "s": status,
                "st": started_at,
                "c": completed_at,
                "f": failure_reason,
            },
        )

    def usage(
        self,
        task_id: uuid.UUID,
        *,
        model: str = "model-a",
        provider: str = "",
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        cost_usd_ticks: int | None = None,
        created_at: datetime.datetime | None = None,
    ) -> uuid.UUID:
        """A task_usage row; created_at defaults to now(), cost_usd_ticks to none reported.

        Without a reported amount the column is not named, so worlds of databases from before
        the column existed can be written too."""
        cost_column, cost_value = (", cost_usd_ticks", ", %(x)s") if cost_usd_ticks is not None else ("", "")
        return self._insert(
            "INSERT INTO task_usage (task_id, provider, model, input_tokens, output_tokens,"
            f" cache_read_tokens, cache_write_tokens{cost_column}, created_at)"
            f" VALUES (%(t)s, %(p)s, %(m)s, %(i)s, %(o)s, %(cr)s, %(cw)s{cost_value}, coalesce(%(c)s, now()))"
            " RETURNING id",
            {
                "t": task_id,
                "p": provider,
                "m": model,
                "i": input_tokens,
                "o": output_tokens,
                "cr": cache_read_tokens,
                "cw": cache_write_tokens,
                "x": cost_usd_ticks,
                "c": created_at,
            },
        )

    def caller(self, workspace_id: uuid.UUID, role: str = "owner") -> dict[str, str]:
        """Headers of a new member of the workspace with a valid token; an owner by default, who
        sees every agent (a plain member sees others' private agents folded)."""
        user_id = self.user()
        self.member(workspace_id, user_id, role)
        return {"Authorization": f"Bearer {self.token(user_id)}"}
