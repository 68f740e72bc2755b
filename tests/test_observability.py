"""Request ids, one log line per request (text or JSON, never a token) and GET /metrics."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator, Iterator

import httpx
import psycopg
import pytest
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from app.api.app import create_app
from app.config import load_settings
from app.db.pool import create_pool
from app.logs import LogFormat, configure_logging
from app.rollup.scheduler import tick_once
from app.sessions import SESSION_COOKIE
from tests.api_helpers import DAILY
from tests.conftest import Client
from tests.processes import free_port, start_serve
from tests.rollup_helpers import backfill
from tests.test_cli import CLOSED_PORT_URL
from tests.test_page_session import ORIGIN, SIGN_IN
from tests.test_rollup_guarantees import BOOM
from tests.world import World

Conn = psycopg.Connection[tuple[object, ...]]
METRICS = "/metrics"


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class LogCapture:
    """The service's log lines, written to a buffer in the chosen format."""

    def __init__(self, log_format: LogFormat) -> None:
        self.buffer = io.StringIO()
        configure_logging(log_format, self.buffer)

    def lines(self) -> list[str]:
        return self.buffer.getvalue().splitlines()

    def requests(self) -> list[dict[str, object]]:
        """The JSON request lines."""
        records = [json.loads(line) for line in self.lines()]
        return [r for r in records if r["logger"] == "usage_dashboard.request"]


def _settings(database_url: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "DATABASE_POOL_MIN_SIZE": "0",
        "USAGE_DASHBOARD_ROLLUP_ENABLED": "true",
        "USAGE_DASHBOARD_ROLLUP_SCHEDULER": "off",
        **extra,
    }


@pytest.fixture
async def app_client(database_url: str) -> AsyncIterator[Client]:
    """The app on the rollup path, without a scheduler."""
    async with AsyncTestClient(app=create_app(load_settings(_settings(database_url)))) as client:
        yield client


@pytest.fixture
def json_logs(app_client: Client) -> Iterator[LogCapture]:
    """JSON log lines of the app (installed after the app configured its own handler)."""
    capture = LogCapture("json")
    yield capture
    configure_logging("text")


@pytest.fixture
def text_logs(app_client: Client) -> Iterator[LogCapture]:
    """Plain text log lines of the app."""
    capture = LogCapture("text")
    yield capture
    configure_logging("text")


async def _scrape(client: Client) -> Samples:
    response = await client.get(METRICS)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _requests(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], route: str, status: str
) -> float:
    key = (
        "usage_dashboard_http_requests_total",
        (("method", "GET"), ("route", route), ("status", status)),
    )
    return samples.get(key, 0.0)


def _value(samples: Samples, name: str) -> float | None:
    return samples.get((name, ()))


# ---- request ids ---------------------------------------------------------------------------


async def test_a_plain_request_id_is_echoed_and_others_get_a_new_one(app_client: Client) -> None:
    given = await app_client.get("/healthz", headers={"X-Request-ID": "lb-7f3a:42"})
    unsafe = await app_client.get("/healthz", headers={"X-Request-ID": "a b\tc"})
    too_long = await app_client.get("/healthz", headers={"X-Request-ID": "x" * 129})
    first = await app_client.get("/healthz")
    second = await app_client.get("/nowhere")

    assert given.headers["x-request-id"] == "lb-7f3a:42"
    generated = [r.headers["x-request-id"] for r in (unsafe, too_long, first, second)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in generated)
    assert len(set(generated)) == 4


# ---- log lines -----------------------------------------------------------------------------


async def test_every_request_logs_one_json_line_with_route_status_and_id_but_no_token(
    world: World, app_client: Client, json_logs: LogCapture
) -> None:
    ws = world.workspace("acme")
    headers = world.caller(ws)
    secret = headers["Authorization"].removeprefix("Bearer ")

    answered = await app_client.get(
        DAILY, params={"workspace_slug": "acme", "days": "7"}, headers={**headers, "X-Request-ID": "r-1"}
    )
    refused = await app_client.get(
        DAILY, params={"workspace_slug": "acme"}, headers={"Authorization": "Bearer x"}
    )
    missing = await app_client.get("/api/dashboard/nothing-here", headers={"X-Workspace-Slug": "other"})
    signed_in = await app_client.post(SIGN_IN, json={"token": secret}, headers=ORIGIN)

    assert (answered.status_code, refused.status_code, missing.status_code) == (200, 401, 404)
    assert signed_in.status_code == 204
    records = json_logs.requests()
    assert [(r["method"], r["route"], r["status"], r["workspace"]) for r in records] == [
        ("GET", DAILY, 200, "acme"),
        ("GET", DAILY, 401, "acme"),
        ("GET", "unmatched", 404, "other"),
        ("POST", SIGN_IN, 204, "-"),
    ]
    assert records[0]["request_id"] == "r-1"
    assert [r["request_id"] for r in records[1:]] == [
        refused.headers["x-request-id"],
        missing.headers["x-request-id"],
        signed_in.headers["x-request-id"],
    ]
    assert all(isinstance(r["duration_ms"], float) and r["duration_ms"] >= 0 for r in records)
    assert all(r["level"] == "INFO" and r["message"] == "request" for r in records)
    text = json_logs.buffer.getvalue()
    assert secret not in text
    session_id = signed_in.cookies.get(SESSION_COOKIE)
    assert session_id
    assert session_id not in text


async def test_text_log_lines_are_one_line_each_with_quoted_odd_values(
    world: World, app_client: Client, text_logs: LogCapture
) -> None:
    await app_client.get("/healthz", headers={"X-Request-ID": "t-1"})
    await app_client.get(DAILY, params={"workspace_slug": 'a b"\n'}, headers={"Authorization": "Bearer x"})

    lines = text_logs.lines()
    assert len(lines) == 2
    assert re.fullmatch(
        r"\S+ INFO usage_dashboard\.request: request method=GET route=/healthz status=200 "
        r"duration_ms=\d+\.\d workspace=- request_id=t-1",
        lines[0],
    )
    assert 'workspace="a b\\"\\n"' in lines[1]
    assert "status=400" in lines[1] or "status=401" in lines[1]


def test_log_format_must_be_text_or_json() -> None:
    assert load_settings({"LOG_FORMAT": "JSON"}).log_format == "json"
    assert load_settings({}).log_format == "text"
    with pytest.raises(ValueError, match="LOG_FORMAT must be text or json, got 'yaml'"):
        load_settings({"LOG_FORMAT": "yaml"})


# ---- metrics -------------------------------------------------------------------------------


async def test_request_counts_and_latency_move_per_route_and_status(world: World, app_client: Client) -> None:
    ws = world.workspace("acme")
    headers = world.caller(ws)
    before = await _scrape(app_client)

    for _ in range(3):
        assert (
            await app_client.get(DAILY, params={"workspace_slug": "acme"}, headers=headers)
        ).status_code == 200
    await app_client.get(DAILY, params={"workspace_slug": "acme"})
    await app_client.get("/no/such/path")
    after = await _scrape(app_client)

    assert _requests(after, DAILY, "200") - _requests(before, DAILY, "200") == 3
    assert _requests(after, DAILY, "401") - _requests(before, DAILY, "401") == 1
    assert _requests(after, "unmatched", "404") - _requests(before, "unmatched", "404") == 1
    latency = (
        "usage_dashboard_http_request_duration_seconds_count",
        (("method", "GET"), ("route", DAILY), ("status", "200")),
    )
    assert after[latency] - before.get(latency, 0.0) == 3
    assert not any("/no/such/path" in str(labels) for _, labels in after)
    assert _value(after, "usage_dashboard_db_pool_requests_waiting") == 0
    assert (("usage_dashboard_db_pool_connections", (("state", "idle"),))) in after


async def test_rollup_gauges_follow_the_queue_the_ticks_and_their_failures(
    world: World, db: Conn, database_url: str, app_client: Client
) -> None:
    ws = world.workspace("acme")
    task = world.task(world.agent(ws))
    await backfill(database_url)
    pool = create_pool(database_url, 0, 2)
    await pool.open()
    try:
        await tick_once(pool, 1)
        caught_up = await _scrape(app_client)
        world.usage(task, input_tokens=5)
        queued = await _scrape(app_client)
        db.execute(BOOM)
        await tick_once(pool, 1)
        failing = await _scrape(app_client)
    finally:
        await pool.close()

    assert _value(caught_up, "usage_dashboard_database_up") == 1
    assert _value(caught_up, "usage_dashboard_rollup_queue_depth") == 0
    assert _value(caught_up, "usage_dashboard_rollup_staleness_seconds") == 0
    assert _value(caught_up, "usage_dashboard_rollup_backfilled") == 1
    assert _value(caught_up, "usage_dashboard_rollup_serving") == 1
    assert _value(caught_up, "usage_dashboard_rollup_failing") == 0
    succeeded = _value(caught_up, "usage_dashboard_rollup_last_success_timestamp_seconds")
    assert succeeded is not None
    assert (_value(queued, "usage_dashboard_rollup_queue_depth") or 0) >= 1
    assert (_value(queued, "usage_dashboard_rollup_staleness_seconds") or 0) > 0
    assert _value(failing, "usage_dashboard_rollup_failing") == 1
    assert _value(failing, "usage_dashboard_rollup_last_success_timestamp_seconds") == succeeded
    assert (_value(failing, "usage_dashboard_rollup_queue_depth") or 0) >= 1
    ticks = "usage_dashboard_rollup_tick_duration_seconds_count"
    failures = "usage_dashboard_rollup_tick_failures_total"
    assert (_value(failing, ticks) or 0) - (_value(caught_up, ticks) or 0) == 1
    assert (_value(failing, failures) or 0) - (_value(caught_up, failures) or 0) == 1


async def test_a_scrape_with_the_database_down_answers_with_database_up_zero() -> None:
    settings = load_settings(_settings(CLOSED_PORT_URL))
    async with AsyncTestClient(app=create_app(settings)) as client:
        samples = await _scrape(client)

    assert _value(samples, "usage_dashboard_database_up") == 0
    assert _value(samples, "usage_dashboard_rollup_queue_depth") is None
    assert ("usage_dashboard_db_pool_requests_waiting", ()) in samples


# ---- the real server, two workers ------------------------------------------------------------


def test_two_workers_report_every_request_in_one_scrape_and_log_json(database_url: str) -> None:
    port = free_port()
    env = _settings(database_url, LOG_FORMAT="json")
    serve = start_serve("--port", str(port), "--workers", "2", env=env)
    try:
        assert serve.stdout is not None
        started = 0
        for line in serve.stdout:
            started += "Started worker-" in line
            if started == 2:
                break
        base = f"http://127.0.0.1:{port}"
        # A new connection per request, so the kernel spreads them over both workers.
        statuses = [httpx.get(f"{base}/healthz").status_code for _ in range(20)]
        scrape = httpx.get(f"{base}/metrics").text
    finally:
        serve.terminate()
        rest, _ = serve.communicate(timeout=60)

    assert statuses == [200] * 20
    assert 'usage_dashboard_http_requests_total{method="GET",route="/healthz",status="200"} 20.0' in scrape
    lines = [json.loads(line) for line in rest.splitlines() if line.startswith("{")]
    assert [r["route"] for r in lines if r["logger"] == "usage_dashboard.request"] == ["/healthz"] * 20 + [
        "/metrics"
    ]
    assert serve.returncode == 0


async def test_an_unknown_method_counts_as_other(app_client: Client) -> None:
    before = await _scrape(app_client)

    answered = await app_client.request("BREW", "/healthz")
    after = await _scrape(app_client)

    assert answered.status_code == 405
    key = (
        "usage_dashboard_http_requests_total",
        (("method", "other"), ("route", "unmatched"), ("status", "405")),
    )
    assert after[key] - before.get(key, 0.0) == 1
    assert not any(("method", "BREW") in sample_labels for _, sample_labels in after)
