"""Shared pieces of the HTTP contract tests (docs/api.md): paths, wire keys and requests."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import Client
from tests.world import World, midnight, today_utc

DAILY = "/api/dashboard/usage/daily"
BY_AGENT = "/api/dashboard/usage/by-agent"
RUNTIME = "/api/dashboard/agent-runtime"
RUNTIME_DAILY = "/api/dashboard/runtime/daily"
FAILURES_DAILY = "/api/dashboard/failures/daily"
FAILURES_BY_AGENT = "/api/dashboard/failures/by-agent"
AGENTS = "/api/dashboard/agents"
PROJECTS = "/api/dashboard/projects"
USAGE_PATHS = (DAILY, BY_AGENT)
# The routes whose rows the window and project filter select (agents and projects are labels).
WINDOWED_PATHS = (DAILY, BY_AGENT, RUNTIME, RUNTIME_DAILY, FAILURES_DAILY, FAILURES_BY_AGENT)
DASHBOARD_PATHS = (
    DAILY,
    BY_AGENT,
    RUNTIME,
    RUNTIME_DAILY,
    FAILURES_DAILY,
    FAILURES_BY_AGENT,
    AGENTS,
    PROJECTS,
)

TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
UNCOSTED_FIELDS = tuple(f"uncosted_{name}" for name in TOKEN_FIELDS)
# The cost fields of every usage row (docs/cost.md); all integers but cost_usd.
COST_FIELDS = ("cost_usd_ticks", *UNCOSTED_FIELDS, "cost_usd", "unpriced_tokens")
INTEGER_FIELDS = (*TOKEN_FIELDS, "cost_usd_ticks", *UNCOSTED_FIELDS, "unpriced_tokens", "task_count")
DAILY_KEYS = frozenset({"date", "provider", "model", *TOKEN_FIELDS, *COST_FIELDS, "task_count"})
BY_AGENT_KEYS = frozenset({"agent_id", "provider", "model", *TOKEN_FIELDS, *COST_FIELDS, "task_count"})
RUNTIME_KEYS = frozenset({"agent_id", "total_seconds", "task_count", "failed_count", "cancelled_count"})
WIRE_KEYS = {
    DAILY: DAILY_KEYS,
    BY_AGENT: BY_AGENT_KEYS,
    RUNTIME: RUNTIME_KEYS,
    RUNTIME_DAILY: frozenset({"date", "total_seconds", "task_count", "failed_count", "cancelled_count"}),
    FAILURES_DAILY: frozenset({"date", "failure_reason", "task_count"}),
    FAILURES_BY_AGENT: frozenset({"agent_id", "failure_reason", "task_count"}),
    AGENTS: frozenset({"id", "name", "archived"}),
    PROJECTS: frozenset({"id", "title", "status"}),
}

MICROSECOND = datetime.timedelta(microseconds=1)

Row = dict[str, Any]
Params = Mapping[str, str | int]


@dataclass(frozen=True)
class Tenant:
    """A workspace and the headers of a member of it with a valid token."""

    id: uuid.UUID
    slug: str
    headers: dict[str, str]


def tenant(world: World, slug: str | None = None) -> Tenant:
    """A new workspace with one member who holds a valid token."""
    slug = slug or f"ws-{uuid.uuid4().hex[:8]}"
    workspace_id = world.workspace(slug)
    return Tenant(workspace_id, slug, world.caller(workspace_id))


def day(days_ago: int) -> datetime.date:
    """The UTC date `days_ago` days before today (0 is today, -1 tomorrow)."""
    return today_utc() - datetime.timedelta(days=days_ago)


def window_start(days: int) -> datetime.datetime:
    """The contract's `since` for `days`: UTC midnight of today - (days - 1)."""
    return midnight(day(days - 1))


def tomorrow_start() -> datetime.datetime:
    """UTC midnight at the end of today: the first instant after every window."""
    return midnight(day(-1))


async def get(
    client: Client, path: str, headers: Mapping[str, str] | None = None, params: Params | None = None
) -> httpx.Response:
    """A GET with optional headers and query parameters."""
    return await client.get(path, headers=dict(headers or {}), params=dict(params or {}))


async def fetch_rows(client: Client, path: str, who: Tenant, **params: str | int) -> list[Row]:
    """The 200 JSON array a dashboard route returns for the tenant (by slug) and parameters."""
    response = await get(client, path, who.headers, {"workspace_slug": who.slug, **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list)
    for row in body:
        assert isinstance(row, dict)
    return body


def assert_error(response: httpx.Response, status: int, message: str) -> None:
    """The contract's error: the status, a JSON content type and exactly {"error": message}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"error": message}


def assert_json_integer(value: object) -> None:
    """A JSON number without fraction (bool is an int subclass in Python, so exclude it)."""
    assert isinstance(value, int)
    assert not isinstance(value, bool)


def totals(rows: list[Row], key: str) -> dict[str, dict[str, int]]:
    """Sums of the four token fields of rows, grouped by rows' `key` column."""
    result: dict[str, dict[str, int]] = {}
    for row in rows:
        bucket = result.setdefault(row[key], dict.fromkeys(TOKEN_FIELDS, 0))
        for field in TOKEN_FIELDS:
            bucket[field] += row[field]
    return result
