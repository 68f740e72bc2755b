"""msgspec structs of the wire contract (shared/spec/api.md); also the rows the queries return."""

from __future__ import annotations

import datetime
import uuid

import msgspec


class DailyUsage(msgspec.Struct, frozen=True):
    """Token usage of one (UTC date, model) bucket."""

    date: datetime.date
    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    task_count: int


class AgentUsage(msgspec.Struct, frozen=True):
    """Token usage of one (agent, model) pair over the window."""

    agent_id: uuid.UUID
    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    task_count: int


class AgentRunTime(msgspec.Struct, frozen=True):
    """Run time of one agent's terminal runs over the window."""

    agent_id: uuid.UUID
    total_seconds: int
    task_count: int
    failed_count: int
    cancelled_count: int


class ErrorBody(msgspec.Struct, frozen=True):
    """Every error response: `{"error": "<message>"}`."""

    error: str


class RollupHealth(msgspec.Struct, frozen=True):
    """The rollup part of /healthz: is it serving, how far behind, did the last tick fail."""

    enabled: bool
    read_path: str
    state: str
    watermark_at: datetime.datetime | None
    last_run_started_at: datetime.datetime | None
    last_run_finished_at: datetime.datetime | None
    last_run_rows: int | None
    last_error: str | None
    lag_seconds: float | None
    queue_depth: int
    oldest_queued_at: datetime.datetime | None
    newest_unrolled_usage_at: datetime.datetime | None


class Health(msgspec.Struct, frozen=True):
    """Answer of /healthz."""

    status: str
    database: str
    rollup: RollupHealth | None = None
