"""Prometheus metrics: what each app process measures itself (requests, pool, its own ticks),
and the rollup's state, read from the database at every scrape so every replica reports the
same figures whoever ticked (the app, a `rollup loop` sidecar or pg_cron).

With several workers, `serve` points PROMETHEUS_MULTIPROC_DIR at a fresh directory before the
workers start, and a scrape of any worker sums every worker's counters (prometheus-client's
multiprocess mode); the pool gauges are summed over the live workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from app.config import METRICS_MULTIPROCESS_ENV, RollupMode
from app.rollup.health import serving_path
from app.wire import RollupState

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4.removesuffix("; charset=utf-8")
"""The classic text format, which every Prometheus version scrapes (Litestar adds the charset)."""

UNMATCHED_ROUTE = "unmatched"
"""The route label of requests no route matched: their paths would make labels without bound."""

# The *_created series double every counter's output and no alert or dashboard here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_TICK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

HTTP_REQUESTS = Counter(
    "usage_dashboard_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "usage_dashboard_http_request_duration_seconds",
    "Time from a request's arrival to its last response byte, by route template, method and status.",
    ["route", "method", "status"],
    buckets=_LATENCY_BUCKETS,
)
POOL_CONNECTIONS = Gauge(
    "usage_dashboard_db_pool_connections",
    "Connections of the app's pool by state: in_use (lent to a request or the tick) or idle.",
    ["state"],
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "usage_dashboard_db_pool_requests_waiting",
    "Requests waiting for a pooled connection.",
    multiprocess_mode="livesum",
)
TICK_DURATION = Histogram(
    "usage_dashboard_rollup_tick_duration_seconds",
    "Duration of the ticks this app ran, each until caught up (failed ones included).",
    buckets=_TICK_BUCKETS,
)
TICK_FAILURES = Counter(
    "usage_dashboard_rollup_tick_failures",
    "Ticks this app ran that failed (the database's error is in the log and in rollup status).",
)


def record_pool(stats: dict[str, int]) -> None:
    """Sets the pool gauges from psycopg_pool's get_stats()."""
    size = stats.get("pool_size", 0)
    idle = stats.get("pool_available", 0)
    POOL_CONNECTIONS.labels("in_use").set(size - idle)
    POOL_CONNECTIONS.labels("idle").set(idle)
    POOL_WAITING.set(stats.get("requests_waiting", 0))


def _timestamp(value: Any) -> float | None:
    return None if value is None else float(value.timestamp())


class _Snapshot(Collector):
    """The figures read from the database for one scrape, as gauges."""

    def __init__(self, state: RollupState | None, mode: RollupMode) -> None:
        self.state = state
        self.mode = mode

    def collect(self) -> Iterable[Metric]:
        """database_up, then (when it answered) the rollup's gauges."""
        up = GaugeMetricFamily("usage_dashboard_database_up", "1 when the database answered this scrape.")
        up.add_metric([], 0.0 if self.state is None else 1.0)
        yield up
        if self.state is not None:
            yield from _rollup_gauges(self.state, self.mode)


def _rollup_values(s: RollupState, mode: RollupMode) -> list[tuple[str, str, float | None]]:
    """(name, help, value) of each rollup gauge; None leaves the gauge out of this scrape."""
    last_run = None
    if s.last_run_started_at is not None and s.last_run_finished_at is not None:
        last_run = max(0.0, (s.last_run_finished_at - s.last_run_started_at).total_seconds())
    return [
        (
            "staleness_seconds",
            "How long the oldest queued key has waited (0: empty queue).",
            s.staleness_seconds,
        ),
        ("queue_depth", "Keys queued for the next ticks, both rollups.", s.queue_depth),
        ("queued_days", "Distinct UTC days among the queued keys.", s.queued_days),
        ("last_success_timestamp_seconds", "When a tick step last succeeded.", _timestamp(s.last_success_at)),
        (
            "last_run_finished_timestamp_seconds",
            "When the last tick step finished, successful or not.",
            _timestamp(s.last_run_finished_at),
        ),
        ("last_run_duration_seconds", "Duration of the last tick step.", last_run),
        ("failing", "1 when the last tick step failed.", float(s.last_error is not None)),
        ("backfilled", "1 once a backfill has completed.", float(s.backfilled)),
        (
            "serving",
            "1 when dashboard reads are served from the rollup, 0 from raw rows.",
            float(serving_path(mode, s) == "rollup"),
        ),
        (
            "backfill_done_before_timestamp_seconds",
            "An unfinished backfill: history before this instant is rebuilt.",
            _timestamp(s.backfill_done_before),
        ),
        (
            "backfill_upper_bound_timestamp_seconds",
            "An unfinished backfill: the instant it rebuilds history up to.",
            _timestamp(s.backfill_upper_bound),
        ),
    ]


def _rollup_gauges(s: RollupState, mode: RollupMode) -> Iterator[Metric]:
    for name, doc, value in _rollup_values(s, mode):
        if value is not None:
            family = GaugeMetricFamily(f"usage_dashboard_rollup_{name}", doc)
            family.add_metric([], value)
            yield family


def exposition(state: RollupState | None, mode: RollupMode) -> bytes:
    """Every metric in the text format: this process's (or every worker's, in multiprocess
    mode) and the rollup's state as read for this scrape (None: the database did not answer)."""
    if os.environ.get(METRICS_MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        own = generate_latest(registry)
    else:
        own = generate_latest(REGISTRY)
    snapshot = CollectorRegistry()
    snapshot.register(_Snapshot(state, mode))
    return own + generate_latest(snapshot)
