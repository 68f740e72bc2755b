"""msgspec structs of the wire contract (docs/api.md); also the rows the queries return."""

from __future__ import annotations

import datetime
import uuid

import msgspec


class DailyUsage(msgspec.Struct, frozen=True):
    """Usage and cost of one (UTC date, provider, model) bucket."""

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

    agent_id: uuid.UUID
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

    agent_id: uuid.UUID
    total_seconds: int
    task_count: int
    failed_count: int
    cancelled_count: int


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
    lag_seconds: float | None
    queue_depth: int
    queued_days: int
    oldest_queued_at: datetime.datetime | None
    newest_unrolled_usage_at: datetime.datetime | None
    backfill_upper_bound: datetime.datetime | None
    backfill_done_before: datetime.datetime | None


class RollupHealth(RollupState, frozen=True, kw_only=True):
    """The rollup part of /healthz: its state row plus whether it serves reads and a verdict."""

    enabled: bool
    read_path: str
    state: str


class Health(msgspec.Struct, frozen=True):
    """Answer of /healthz."""

    status: str
    database: str
    rollup: RollupHealth | None = None
