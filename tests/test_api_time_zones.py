"""The viewer's time zone (`tz`, else "user".timezone, else UTC) and explicit from/to ranges.

Local days are exact in every zone: usage one microsecond either side of a local midnight lands
on either side of it, on both read paths, in whole-hour, half-hour and 45-minute zones and on the
23- and 25-hour days of DST changes.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest

from app.window import local_midnight, today_in
from tests.api_helpers import BY_AGENT, DAILY, USAGE_PATHS, assert_error, get, tenant
from tests.conftest import Client
from tests.rollup_helpers import backfill, catch_up, register_zones
from tests.world import World

MICROSECOND = datetime.timedelta(microseconds=1)
DAY = datetime.timedelta(days=1)
ZONES = ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham", "America/New_York", "Europe/London"]
RANGE_ERROR = "from and to must be dates (YYYY-MM-DD), from <= to, at most 366 days, not after today"

# The DST changes of 2026: New York's 23-hour 8 March and 25-hour 1 November, Chatham's 25-hour
# 5 April and 23-hour 27 September (+13:45 to +12:45 and back).
DST_DAYS = [
    ("America/New_York", datetime.date(2026, 3, 8), 23),
    ("America/New_York", datetime.date(2026, 11, 1), 25),
    ("Pacific/Chatham", datetime.date(2026, 4, 5), 25),
    ("Pacific/Chatham", datetime.date(2026, 9, 27), 23),
]


async def _rows(client: Client, path: str, who: Any, **params: str | int) -> list[dict[str, Any]]:
    response = await get(client, path, who.headers, {"workspace_slug": who.slug, **params})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


async def _rolled_up(database_url: str) -> None:
    """Both read paths see the same rows: the rollup is backfilled and caught up, with the
    prefixes of every zone here filled, so the rollup path stitches local days from them."""
    await register_zones(database_url, ZONES)
    await backfill(database_url)
    await catch_up(database_url)


@pytest.mark.parametrize("zone_name", ZONES)
async def test_usage_either_side_of_a_local_midnight_lands_on_either_local_day(
    zone_name: str, path_client: Client, world: World, database_url: str
) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)
    edge_day = today_in(zone) - 2 * DAY
    edge = local_midnight(edge_day, zone)
    ws = tenant(world)
    agent = world.agent(ws.id)
    world.usage(world.task(agent), model="before", input_tokens=1, created_at=edge - MICROSECOND)
    world.usage(world.task(agent), model="after", input_tokens=2, created_at=edge)
    await _rolled_up(database_url)
    client = path_client

    daily = await _rows(client, DAILY, ws, tz=zone_name, days=5)
    window_from_edge = await _rows(client, BY_AGENT, ws, tz=zone_name, days=3)

    assert {(r["model"], r["date"]) for r in daily} == {
        ("before", (edge_day - DAY).isoformat()),
        ("after", edge_day.isoformat()),
    }
    assert [r["model"] for r in window_from_edge] == ["after"]


@pytest.mark.parametrize(("zone_name", "dst_day", "hours"), DST_DAYS)
async def test_a_dst_day_holds_exactly_its_23_or_25_hours(
    zone_name: str,
    dst_day: datetime.date,
    hours: int,
    path_client: Client,
    world: World,
    database_url: str,
) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)
    start, end = local_midnight(dst_day, zone), local_midnight(dst_day + DAY, zone)
    assert end - start == datetime.timedelta(hours=hours)
    ws = tenant(world)
    agent = world.agent(ws.id)
    placed = {
        "day-before-last": start - MICROSECOND,
        "first": start,
        "last": end - MICROSECOND,
        "day-after-first": end,
    }
    for model, created_at in placed.items():
        world.usage(world.task(agent), model=model, input_tokens=1, created_at=created_at)
    await _rolled_up(database_url)
    client = path_client
    span = {"tz": zone_name, "from": (dst_day - DAY).isoformat(), "to": (dst_day + DAY).isoformat()}

    daily = await _rows(client, DAILY, ws, **span)
    one_day = await _rows(
        client, BY_AGENT, ws, tz=zone_name, **{"from": dst_day.isoformat(), "to": dst_day.isoformat()}
    )

    assert {(r["model"], r["date"]) for r in daily} == {
        ("day-before-last", (dst_day - DAY).isoformat()),
        ("first", dst_day.isoformat()),
        ("last", dst_day.isoformat()),
        ("day-after-first", (dst_day + DAY).isoformat()),
    }
    assert sorted(r["model"] for r in one_day) == ["first", "last"]


async def test_a_utc_zone_and_a_zone_at_utc_plus_0_read_alike(
    path_client: Client, world: World, database_url: str
) -> None:
    # London is at +00:00 in winter, so its local days are UTC days (the rollup's own grain).
    ws = tenant(world)
    agent = world.agent(ws.id)
    for day in (datetime.date(2026, 1, 10), datetime.date(2026, 1, 11)):
        world.usage(
            world.task(agent),
            model="m",
            input_tokens=day.day,
            created_at=local_midnight(day, zoneinfo.ZoneInfo("UTC")),
        )
    await _rolled_up(database_url)
    client = path_client
    span = {"from": "2026-01-09", "to": "2026-01-12"}

    assert await _rows(client, DAILY, ws, tz="Europe/London", **span) == await _rows(
        client, DAILY, ws, tz="UTC", **span
    )


def _set_timezone(world: World, headers: dict[str, str], timezone: str | None) -> None:
    """Stores the zone of the user behind the token."""
    secret = headers["Authorization"].split(" ", 1)[1]
    world.conn.execute(
        'UPDATE "user" SET timezone = %s WHERE id = (SELECT user_id FROM personal_access_token'
        " WHERE token_hash = encode(sha256(convert_to(%s, 'UTF8')), 'hex'))",
        (timezone, secret),
    )


async def _day_of_usage_at(
    client: Client, world: World, created_at: datetime.datetime, user_zone: str | None, **params: str
) -> str:
    ws = tenant(world)
    _set_timezone(world, ws.headers, user_zone)
    world.usage(world.task(world.agent(ws.id)), input_tokens=1, created_at=created_at)
    [row] = await _rows(client, DAILY, ws, days=7, **params)
    date: str = row["date"]
    return date


async def test_without_tz_the_callers_own_time_zone_sets_the_days(world: World, client: Client) -> None:
    kolkata = zoneinfo.ZoneInfo("Asia/Kolkata")
    day = today_in(kolkata) - DAY
    at = local_midnight(day, kolkata)  # 18:30 UTC the day before: another day in UTC

    assert await _day_of_usage_at(client, world, at, "Asia/Kolkata") == day.isoformat()
    assert await _day_of_usage_at(client, world, at, None) == (day - DAY).isoformat()
    assert await _day_of_usage_at(client, world, at, "Asia/Kolkata", tz="UTC") == (day - DAY).isoformat()
    assert await _day_of_usage_at(client, world, at, None, tz="Asia/Kolkata") == day.isoformat()


async def test_a_stored_time_zone_the_tz_database_does_not_know_falls_back_to_utc(
    world: World, client: Client
) -> None:
    at = local_midnight(today_in(zoneinfo.ZoneInfo("UTC")) - DAY, zoneinfo.ZoneInfo("UTC"))

    assert await _day_of_usage_at(client, world, at, "Mars/Olympus") == at.date().isoformat()


@pytest.mark.parametrize("path", [*USAGE_PATHS, "/api/dashboard/agent-runtime"])
@pytest.mark.parametrize(
    "tz",
    ["Local", "localtime", "UTC+5", "EST5EDT,M3.2.0,M11.1.0", "../../etc/passwd", "Mars/Olympus", "utc "],
)
async def test_an_unknown_time_zone_is_400(path: str, tz: str, world: World, client: Client) -> None:
    ws = tenant(world)

    response = await get(client, path, ws.headers, {"workspace_slug": ws.slug, "tz": tz})

    assert_error(response, 400, "invalid tz")


# ---- from / to -----------------------------------------------------------------------------------


async def test_from_and_to_select_exactly_those_local_days(world: World, client: Client) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    utc = zoneinfo.ZoneInfo("UTC")
    for day in range(1, 6):
        world.usage(
            world.task(agent),
            model=f"d{day}",
            input_tokens=1,
            created_at=local_midnight(datetime.date(2026, 3, day), utc),
        )

    rows = await _rows(client, DAILY, ws, **{"from": "2026-03-02", "to": "2026-03-04"})

    assert [r["date"] for r in rows] == ["2026-03-04", "2026-03-03", "2026-03-02"]


def _today() -> datetime.date:
    return today_in(zoneinfo.ZoneInfo("UTC"))


@pytest.mark.parametrize("path", [*USAGE_PATHS, "/api/dashboard/agent-runtime"])
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-03-02"}, RANGE_ERROR),
        ({"to": "2026-03-02"}, RANGE_ERROR),
        ({"from": "2026-03-04", "to": "2026-03-02"}, RANGE_ERROR),
        ({"from": "2026-3-2", "to": "2026-03-04"}, RANGE_ERROR),
        ({"from": "20260302", "to": "20260304"}, RANGE_ERROR),
        ({"from": "2026-02-30", "to": "2026-03-04"}, RANGE_ERROR),
        ({"from": "2026-03-02\x00", "to": "2026-03-04"}, RANGE_ERROR),
        ({"from": "2025-01-01", "to": "2026-01-02"}, RANGE_ERROR),
        ({"from": "2026-03-02", "to": "2026-03-04", "days": "3"}, "use either days or from/to"),
    ],
)
async def test_bad_ranges_are_400(
    path: str, params: dict[str, str], message: str, world: World, client: Client
) -> None:
    ws = tenant(world)

    response = await get(client, path, ws.headers, {"workspace_slug": ws.slug, **params})

    assert_error(response, 400, message)


async def test_a_range_may_end_today_but_not_tomorrow_and_hold_366_days(world: World, client: Client) -> None:
    ws = tenant(world)
    today = _today()

    def span(first: datetime.date, last: datetime.date) -> dict[str, str]:
        return {"workspace_slug": ws.slug, "tz": "UTC", "from": first.isoformat(), "to": last.isoformat()}

    ok_today = await get(client, DAILY, ws.headers, span(today - 365 * DAY, today))
    tomorrow = await get(client, DAILY, ws.headers, span(today, today + DAY))
    too_long = await get(client, DAILY, ws.headers, span(today - 366 * DAY, today))

    assert ok_today.status_code == 200, ok_today.text
    assert_error(tomorrow, 400, RANGE_ERROR)
    assert_error(too_long, 400, RANGE_ERROR)


async def test_a_range_of_a_zone_ahead_of_utc_may_end_on_its_own_today(world: World, client: Client) -> None:
    # Kiritimati (+14:00) is a day ahead of UTC for most of the UTC day.
    ws = tenant(world)
    zone = "Pacific/Kiritimati"
    today = today_in(zoneinfo.ZoneInfo(zone))

    response = await get(
        client,
        DAILY,
        ws.headers,
        {"workspace_slug": ws.slug, "tz": zone, "from": today.isoformat(), "to": today.isoformat()},
    )

    assert response.status_code == 200, response.text
