"""msgspec structs of the wire contract (docs/api.md); also the rows the queries return.

agent_id is a string: a UUID, or RESTRICTED_AGENTS for the folded rows of agents the caller
may not see.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated

import msgspec

RESTRICTED_AGENTS = "__restricted_agents__"

AgentId = Annotated[
    str,
    msgspec.Meta(
        description=(
            f'An agent UUID, or "{RESTRICTED_AGENTS}": the folded rows of agents the caller may not see.'
        )
    ),
]


class DailyUsage(msgspec.Struct, frozen=True):
    """Usage and cost of one (local date, provider, model) bucket."""

    date: datetime.date
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd_ticks: int
    uncosted_input_tokens: int
    uncosted_output_tokens: int
    uncosted_cache_read_tokens: int
    uncosted_cache_write_tokens: int
    cost_usd: float
    unpriced_tokens: int
    task_count: int


class AgentUsage(msgspec.Struct, frozen=True):
    """Usage and cost of one (agent, provider, model) over the window."""

    agent_id: AgentId
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd_ticks: int
    uncosted_input_tokens: int
    uncosted_output_tokens: int
    uncosted_cache_read_tokens: int
    uncosted_cache_write_tokens: int
    cost_usd: float
    unpriced_tokens: int
    task_count: int


class AgentRunTime(msgspec.Struct, frozen=True):
    """Run time of one agent's terminal runs over the window."""

    agent_id: AgentId
    total_seconds: int
    task_count: int
    failed_count: int
    cancelled_count: int


class DailyRunTime(msgspec.Struct, frozen=True):
    """Run time of the terminal runs completed on one local date."""

    date: datetime.date
    total_seconds: int
    task_count: int
    failed_count: int
    cancelled_count: int


class DailyFailures(msgspec.Struct, frozen=True):
    """Finished runs of one local date with one failure reason ("" for completed runs)."""

    date: datetime.date
    failure_reason: str
    task_count: int


class AgentFailures(msgspec.Struct, frozen=True):
    """Finished runs of one agent with one failure reason ("" for completed runs)."""

    agent_id: AgentId
    failure_reason: str
    task_count: int


class AgentListing(msgspec.Struct, frozen=True):
    """An agent the caller may see, to label rows."""

    id: uuid.UUID
    name: str
    archived: bool


class ProjectListing(msgspec.Struct, frozen=True):
    """A project of the workspace, for a project picker."""

    id: uuid.UUID
    title: str
    status: str


class MeUser(msgspec.Struct, frozen=True):
    """The caller of GET /api/me."""

    id: uuid.UUID
    name: str
    email: str
    timezone: str | None


class MeWorkspace(msgspec.Struct, frozen=True):
    """A workspace the caller is a member of, with the caller's role there."""

    id: uuid.UUID
    slug: str
    name: str
    role: str


class Me(msgspec.Struct, frozen=True):
    """Answer of GET /api/me: who the token belongs to and where it may read."""

    user: MeUser
    workspaces: list[MeWorkspace]


class ErrorBody(msgspec.Struct, frozen=True):
    """Every error response: `{"error": "<message>"}`."""

    error: str


class RollupState(msgspec.Struct, frozen=True, kw_only=True):
    """The rollup's state row with its lag, queue and newest usage not yet rolled up."""

    watermark_at: datetime.datetime | None
    last_run_started_at: datetime.datetime | None
    last_run_finished_at: datetime.datetime | None
    last_run_rows: int | None
    last_error: str | None
    last_success_at: datetime.datetime | None
    lag_seconds: float | None
    queue_depth: int
    queued_days: int
    oldest_queued_at: datetime.datetime | None
    staleness_seconds: float
    newest_unrolled_usage_at: datetime.datetime | None
    backfill_upper_bound: datetime.datetime | None
    backfill_done_before: datetime.datetime | None

    @property
    def backfilled(self) -> bool:
        """A backfill has completed: a watermark, and no backfill left half-way."""
        return self.watermark_at is not None and self.backfill_upper_bound is None


class RollupHealth(RollupState, frozen=True, kw_only=True):
    """The rollup part of /healthz: its state row plus whether it serves reads and a verdict."""

    mode: str
    enabled: bool
    read_path: str
    state: str


class Health(msgspec.Struct, frozen=True):
    """Answer of /healthz."""

    status: str
    database: str
    rollup: RollupHealth | None = None


class ListedToken(msgspec.Struct, frozen=True):
    """A personal access token as `token list` shows it: never its digest."""

    id: uuid.UUID
    token_prefix: str
    name: str
    email: str
    created_at: datetime.datetime
    expires_at: datetime.datetime | None
    last_used_at: datetime.datetime | None
    revoked: bool
