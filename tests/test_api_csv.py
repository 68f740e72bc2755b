"""CSV on every dashboard route: the JSON answer's rows, byte for byte, as RFC 4180 CSV."""

from __future__ import annotations

import csv
import datetime
import io
import json
from typing import Any

import pytest

from tests.api_helpers import Tenant, assert_error, get, tenant
from tests.conftest import Client
from tests.world import World, midnight, today_utc

ROUTES = (
    "usage/daily",
    "usage/by-agent",
    "agent-runtime",
    "runtime/daily",
    "failures/daily",
    "failures/by-agent",
    "agents",
    "projects",
)
paths = pytest.mark.parametrize("route", ROUTES)


def _expected_csv(rows: list[dict[str, Any]], header: list[str]) -> bytes:
    """The CSV the contract asks for, made from the JSON answer: JSON's own text per cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [v if isinstance(v, str) else "" if v is None else json.dumps(v) for v in row.values()]
        )
    return out.getvalue().encode()


def _busy(world: World) -> Tenant:
    """A workspace with a row on every route, including text that CSV must quote."""
    ws = tenant(world)
    agent = world.agent(ws.id, name='agent, "quoted"', visibility="workspace")
    world.project(ws.id, 'Project "one", with commas')
    done = midnight(today_utc()) - datetime.timedelta(hours=3)
    for status, reason in (
        ("completed", None),
        ("failed", "agent_error.provider_network"),
        ("cancelled", None),
    ):
        task = world.task(
            agent,
            status=status,
            started_at=done - datetime.timedelta(seconds=61),
            completed_at=done,
            failure_reason=reason,
        )
        world.usage(task, provider="OpenAI", model=f"gpt,{status}", input_tokens=1_000_001, output_tokens=7)
    return ws


async def _json(client: Client, route: str, ws: Tenant, **params: str) -> list[dict[str, Any]]:
    response = await get(client, f"/api/dashboard/{route}", ws.headers, {"workspace_slug": ws.slug, **params})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


@paths
@pytest.mark.parametrize("ask", ["accept", "format"])
async def test_csv_holds_the_json_rows_byte_for_byte(
    route: str, ask: str, world: World, client: Client
) -> None:
    ws = _busy(world)
    rows = await _json(client, route, ws)
    headers = {**ws.headers, "Accept": "text/csv"} if ask == "accept" else ws.headers
    params = {"workspace_slug": ws.slug, **({"format": "csv"} if ask == "format" else {})}

    response = await get(client, f"/api/dashboard/{route}", headers, params)

    assert response.status_code == 200, response.text
    assert rows
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content == _expected_csv(rows, list(rows[0]))
    filename = f"{route.replace('/', '-')}-{ws.slug}-30d.csv"
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'


@paths
async def test_an_empty_answer_is_the_header_line_alone(route: str, world: World, client: Client) -> None:
    busy, empty = _busy(world), tenant(world)
    [first, *_] = await _json(client, route, busy)

    response = await get(
        client, f"/api/dashboard/{route}", empty.headers, {"workspace_slug": empty.slug, "format": "csv"}
    )

    assert response.status_code == 200
    assert response.content == _expected_csv([], list(first))


async def test_the_file_name_counts_the_days_of_a_from_to_range(world: World, client: Client) -> None:
    ws = tenant(world)

    response = await get(
        client,
        "/api/dashboard/usage/daily",
        ws.headers,
        {"workspace_slug": ws.slug, "format": "csv", "from": "2026-02-01", "to": "2026-02-28"},
    )

    assert response.headers["content-disposition"] == f'attachment; filename="usage-daily-{ws.slug}-28d.csv"'


@paths
async def test_errors_stay_json_when_csv_is_asked_for(route: str, world: World, client: Client) -> None:
    ws = tenant(world)

    missing = await get(
        client, f"/api/dashboard/{route}", {"Accept": "text/csv"}, {"workspace_slug": ws.slug}
    )
    bad_days = await get(
        client,
        f"/api/dashboard/{route}",
        ws.headers,
        {"workspace_slug": ws.slug, "format": "csv", "days": "0"},
    )

    assert_error(missing, 401, "missing authorization")
    assert_error(bad_days, 400, "days must be an integer between 1 and 365")


@pytest.mark.parametrize("value", ["xml", "CSV ", "json\x00"])
async def test_an_unknown_format_is_400(value: str, world: World, client: Client) -> None:
    ws = tenant(world)

    response = await get(
        client, "/api/dashboard/usage/daily", ws.headers, {"workspace_slug": ws.slug, "format": value}
    )

    assert_error(response, 400, "format must be json or csv")


async def test_format_json_wins_over_an_accept_of_csv(world: World, client: Client) -> None:
    ws = tenant(world)

    response = await get(
        client,
        "/api/dashboard/usage/daily",
        {**ws.headers, "Accept": "text/csv"},
        {"workspace_slug": ws.slug, "format": "json"},
    )

    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == []
