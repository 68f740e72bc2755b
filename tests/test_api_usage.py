"""GET /api/dashboard/usage/daily and /usage/by-agent, and the common query parameters.

The `days` and `project_id` validation tables run against all three dashboard routes, since the
contract states them once for every route.
"""

from __future__ import annotations

import datetime
import uuid
import zoneinfo

import psycopg
import pytest
from psycopg import sql

from app.wire import AgentUsage, DailyUsage
from tests.api_helpers import (
    BY_AGENT,
    BY_AGENT_KEYS,
    DAILY,
    DAILY_KEYS,
    DASHBOARD_PATHS,
    INTEGER_FIELDS,
    MICROSECOND,
    TOKEN_FIELDS,
    USAGE_PATHS,
    WINDOWED_PATHS,
    Row,
    Tenant,
    assert_error,
    assert_json_integer,
    day,
    fetch_rows,
    get,
    tenant,
    tomorrow_start,
    totals,
    window_start,
)
from tests.conftest import Client
from tests.world import World, midnight

DAYS_ERROR = "days must be an integer between 1 and 365"

usage_paths = pytest.mark.parametrize("path", USAGE_PATHS)


def _models(rows: list[Row]) -> set[str]:
    return {row["model"] for row in rows}


def _usage_at(world: World, ws: Tenant, when: datetime.datetime, model: str) -> uuid.UUID:
    """A task of a new agent of ws with one usage row at `when`."""
    task = world.task(world.agent(ws.id))
    world.usage(task, model=model, input_tokens=1, created_at=when)
    return task


# --- days -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", DASHBOARD_PATHS)
@pytest.mark.parametrize(
    "days",
    [
        pytest.param("0", id="zero"),
        pytest.param("366", id="366"),
        pytest.param("-1", id="negative"),
        pytest.param("abc", id="letters"),
        pytest.param("1.5", id="fraction"),
        pytest.param("30.0", id="float-spelling"),
        pytest.param("1e2", id="exponent"),
        pytest.param("0x1f", id="hex"),
        pytest.param("9999", id="four-digits-too-large"),
        pytest.param("99999999999999999999", id="huge"),
        pytest.param("7 days", id="trailing-text"),
    ],
)
async def test_days_that_is_not_an_integer_between_1_and_365_is_400(
    path: str, days: str, world: World, client: Client
) -> None:
    ws = tenant(world)

    response = await get(client, path, ws.headers, {"workspace_slug": ws.slug, "days": days})

    assert_error(response, 400, DAYS_ERROR)


@pytest.mark.parametrize("path", DASHBOARD_PATHS)
@pytest.mark.parametrize(
    "days",
    [
        pytest.param("\uff17", id="fullwidth-seven"),
        pytest.param("\u0663\u0660", id="arabic-indic-thirty"),
        pytest.param("\u0967", id="devanagari-one"),
    ],
)
async def test_days_written_with_non_ascii_digits_is_400(
    path: str, days: str, world: World, client: Client
) -> None:
    """An integer on the wire is ASCII digits; Unicode digits that int() happens to accept are not."""
    ws = tenant(world)

    response = await get(client, path, ws.headers, {"workspace_slug": ws.slug, "days": days})

    assert_error(response, 400, DAYS_ERROR)


@pytest.mark.parametrize("path", DASHBOARD_PATHS)
@pytest.mark.parametrize("days", [1, 2, 30, 364, 365])
async def test_days_between_1_and_365_is_accepted(path: str, days: int, world: World, client: Client) -> None:
    ws = tenant(world)

    assert await fetch_rows(client, path, ws, days=days) == []


@usage_paths
@pytest.mark.parametrize("days", [1, 2, 7, 30, 365])
async def test_window_starts_at_utc_midnight_of_today_minus_days_minus_one(
    path: str, days: int, world: World, client: Client
) -> None:
    ws = tenant(world)
    since = window_start(days)
    _usage_at(world, ws, since, "at-since")
    _usage_at(world, ws, since - MICROSECOND, "just-before-since")

    rows = await fetch_rows(client, path, ws, days=days)

    assert _models(rows) == {"at-since"}


@usage_paths
async def test_days_defaults_to_30(path: str, world: World, client: Client) -> None:
    ws = tenant(world)
    since = window_start(30)
    _usage_at(world, ws, since, "at-since")
    _usage_at(world, ws, since - MICROSECOND, "just-before-since")

    rows = await fetch_rows(client, path, ws)

    assert _models(rows) == {"at-since"}


@usage_paths
async def test_window_ends_with_the_last_instant_of_today_utc(
    path: str, world: World, client: Client
) -> None:
    ws = tenant(world)
    _usage_at(world, ws, tomorrow_start() - MICROSECOND, "last-instant-of-today")
    _usage_at(world, ws, tomorrow_start(), "tomorrow")
    _usage_at(world, ws, midnight(day(-3)), "in-three-days")

    rows = await fetch_rows(client, path, ws, days=7)

    assert _models(rows) == {"last-instant-of-today"}


async def test_days_1_is_only_todays_utc_buckets(world: World, client: Client) -> None:
    ws = tenant(world)
    _usage_at(world, ws, midnight(day(0)), "today-first-instant")
    _usage_at(world, ws, midnight(day(0)) - MICROSECOND, "yesterday-last-instant")
    _usage_at(world, ws, midnight(day(5)), "five-days-ago")

    rows = await fetch_rows(client, DAILY, ws, days=1)

    assert [(row["date"], row["model"]) for row in rows] == [(day(0).isoformat(), "today-first-instant")]


async def test_days_365_reaches_364_days_back_and_no_further(world: World, client: Client) -> None:
    ws = tenant(world)
    _usage_at(world, ws, midnight(day(364)) + datetime.timedelta(hours=12), "day-364")
    _usage_at(world, ws, midnight(day(365)) + datetime.timedelta(hours=12), "day-365")

    rows = await fetch_rows(client, DAILY, ws, days=365)

    assert [(row["date"], row["model"]) for row in rows] == [(day(364).isoformat(), "day-364")]


# --- project_id -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", DASHBOARD_PATHS)
@pytest.mark.parametrize(
    "project_id",
    ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g"],
)
async def test_malformed_project_id_is_400(path: str, project_id: str, world: World, client: Client) -> None:
    ws = tenant(world)

    response = await get(client, path, ws.headers, {"workspace_slug": ws.slug, "project_id": project_id})

    assert_error(response, 400, "invalid project_id")


@usage_paths
async def test_empty_project_id_means_the_whole_workspace(path: str, world: World, client: Client) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    world.usage(world.task(agent, world.issue(ws.id, world.project(ws.id))), model="in-project")
    world.usage(world.task(agent, world.issue(ws.id)), model="issue-without-project")
    world.usage(world.task(agent), model="no-issue")

    rows = await fetch_rows(client, path, ws, project_id="")

    assert _models(rows) == {"in-project", "issue-without-project", "no-issue"}


@usage_paths
async def test_project_filter_keeps_only_tasks_whose_issue_is_in_the_project(
    path: str, world: World, client: Client
) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    project = world.project(ws.id)
    other_project = world.project(ws.id)
    world.usage(world.task(agent, world.issue(ws.id, project)), model="in-project")
    world.usage(world.task(agent, world.issue(ws.id, other_project)), model="other-project")
    world.usage(world.task(agent, world.issue(ws.id)), model="issue-without-project")
    world.usage(world.task(agent), model="no-issue")

    rows = await fetch_rows(client, path, ws, project_id=str(project))

    assert _models(rows) == {"in-project"}


@pytest.mark.parametrize("path", WINDOWED_PATHS)
async def test_project_of_another_workspace_yields_an_empty_array(
    path: str, world: World, client: Client
) -> None:
    ws = tenant(world)
    other = tenant(world)
    my_task = world.task(
        world.agent(ws.id),
        world.issue(ws.id, world.project(ws.id)),
        started_at=midnight(day(0)),
        completed_at=midnight(day(0)) + datetime.timedelta(seconds=5),
    )
    world.usage(my_task, input_tokens=3)
    their_project = world.project(other.id)
    their_task = world.task(
        world.agent(other.id),
        world.issue(other.id, their_project),
        started_at=midnight(day(0)),
        completed_at=midnight(day(0)) + datetime.timedelta(seconds=5),
    )
    world.usage(their_task, input_tokens=7)

    mine = await fetch_rows(client, path, ws, project_id=str(their_project))
    mine_unfiltered = await fetch_rows(client, path, ws)
    theirs = await fetch_rows(client, path, other, project_id=str(their_project))

    assert mine == []
    assert mine_unfiltered != []
    assert theirs != []


@pytest.mark.parametrize("path", WINDOWED_PATHS)
async def test_unknown_project_uuid_yields_an_empty_array(path: str, world: World, client: Client) -> None:
    ws = tenant(world)
    world.usage(world.task(world.agent(ws.id), world.issue(ws.id, world.project(ws.id))))

    assert await fetch_rows(client, path, ws, project_id=str(uuid.uuid4())) == []


async def test_moving_an_issue_to_another_project_moves_its_tokens(world: World, client: Client) -> None:
    ws = tenant(world)
    first, second = world.project(ws.id), world.project(ws.id)
    issue = world.issue(ws.id, first)
    world.usage(world.task(world.agent(ws.id), issue), input_tokens=42)
    before = await fetch_rows(client, DAILY, ws, project_id=str(first))

    world.conn.execute("UPDATE issue SET project_id = %s WHERE id = %s", (second, issue))

    assert [row["input_tokens"] for row in before] == [42]
    assert await fetch_rows(client, DAILY, ws, project_id=str(first)) == []
    assert [row["input_tokens"] for row in await fetch_rows(client, DAILY, ws, project_id=str(second))] == [
        42
    ]


async def test_moving_an_issue_moves_its_tokens_in_by_agent(world: World, client: Client) -> None:
    ws = tenant(world)
    first, second = world.project(ws.id), world.project(ws.id)
    issue = world.issue(ws.id, first)
    world.usage(world.task(world.agent(ws.id), issue), input_tokens=42)

    world.conn.execute("UPDATE issue SET project_id = %s WHERE id = %s", (second, issue))

    assert await fetch_rows(client, BY_AGENT, ws, project_id=str(first)) == []
    assert [r["input_tokens"] for r in await fetch_rows(client, BY_AGENT, ws, project_id=str(second))] == [42]


async def test_deleting_a_project_drops_its_tokens_from_the_filter_but_not_the_workspace(
    world: World, client: Client
) -> None:
    ws = tenant(world)
    project = world.project(ws.id)
    world.usage(world.task(world.agent(ws.id), world.issue(ws.id, project)), input_tokens=9)

    world.conn.execute("DELETE FROM project WHERE id = %s", (project,))

    assert await fetch_rows(client, DAILY, ws, project_id=str(project)) == []
    assert [row["input_tokens"] for row in await fetch_rows(client, DAILY, ws)] == [9]


# --- /usage/daily ---------------------------------------------------------------------------------


async def test_daily_row_has_exactly_the_wire_keys_and_types(world: World, client: Client) -> None:
    ws = tenant(world)
    task = world.task(world.agent(ws.id))
    world.usage(
        task,
        input_tokens=1,
        output_tokens=2,
        cache_read_tokens=3,
        cache_write_tokens=4,
        created_at=midnight(day(0)),
    )

    [row] = await fetch_rows(client, DAILY, ws)

    assert set(row) == DAILY_KEYS
    assert list(row) == list(DailyUsage.__struct_fields__)
    assert row == {
        "date": day(0).isoformat(),
        "provider": "",
        "model": "model-a",
        "input_tokens": 1,
        "output_tokens": 2,
        "cache_read_tokens": 3,
        "cache_write_tokens": 4,
        "cost_usd_ticks": 0,
        "uncosted_input_tokens": 1,
        "uncosted_output_tokens": 2,
        "uncosted_cache_read_tokens": 3,
        "uncosted_cache_write_tokens": 4,
        "cost_usd": 0.0,
        "unpriced_tokens": 10,
        "task_count": 1,
    }
    for field in INTEGER_FIELDS:
        assert_json_integer(row[field])


async def test_daily_sums_beyond_32_bits_are_exact_json_numbers(world: World, client: Client) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    big = 3_000_000_000
    for _ in range(3):
        world.usage(
            world.task(agent),
            input_tokens=big,
            output_tokens=big + 1,
            cache_read_tokens=big + 2,
            cache_write_tokens=big + 3,
        )

    response = await get(client, DAILY, ws.headers, {"workspace_slug": ws.slug})

    assert '"input_tokens":9000000000' in response.text.replace(" ", "")
    [row] = response.json()
    assert [row[field] for field in TOKEN_FIELDS] == [3 * big, 3 * big + 3, 3 * big + 6, 3 * big + 9]
    for field in TOKEN_FIELDS:
        assert_json_integer(row[field])


async def test_daily_orders_by_date_desc_then_model_asc(world: World, client: Client) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    # Inserted deliberately out of order.
    for ago, model in [(1, "beta"), (0, "gamma"), (2, "alpha"), (0, "alpha"), (1, "gamma"), (0, "beta")]:
        world.usage(
            world.task(agent), model=model, created_at=midnight(day(ago)) + datetime.timedelta(hours=1)
        )

    rows = await fetch_rows(client, DAILY, ws, days=3)

    assert [(row["date"], row["model"]) for row in rows] == [
        (day(0).isoformat(), "alpha"),
        (day(0).isoformat(), "beta"),
        (day(0).isoformat(), "gamma"),
        (day(1).isoformat(), "beta"),
        (day(1).isoformat(), "gamma"),
        (day(2).isoformat(), "alpha"),
    ]


async def test_daily_sums_tokens_of_every_row_in_a_bucket(world: World, client: Client) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    at = midnight(day(0))
    world.usage(
        world.task(agent),
        input_tokens=1,
        output_tokens=10,
        cache_read_tokens=100,
        cache_write_tokens=1000,
        created_at=at,
    )
    world.usage(
        world.task(world.agent(ws.id)),
        input_tokens=2,
        output_tokens=20,
        cache_read_tokens=200,
        cache_write_tokens=2000,
        created_at=at + datetime.timedelta(hours=23),
    )

    [row] = await fetch_rows(client, DAILY, ws)

    assert [row[field] for field in TOKEN_FIELDS] == [3, 30, 300, 3000]
    assert row["task_count"] == 2


async def test_daily_rows_are_per_provider_and_model(world: World, client: Client) -> None:
    ws = tenant(world)
    task = world.task(world.agent(ws.id))
    world.usage(task, provider="anthropic", model="shared", input_tokens=5)
    world.usage(task, provider="bedrock", model="shared", input_tokens=6)

    rows = await fetch_rows(client, DAILY, ws)

    assert [(r["provider"], r["model"], r["input_tokens"], r["task_count"]) for r in rows] == [
        ("anthropic", "shared", 5, 1),
        ("bedrock", "shared", 6, 1),
    ]


async def test_daily_task_count_counts_a_task_with_two_spellings_of_its_provider_once(
    world: World, client: Client
) -> None:
    ws = tenant(world)
    task = world.task(world.agent(ws.id))
    world.usage(task, provider="OpenAI", model="shared", input_tokens=5)
    world.usage(task, provider=" openai", model="shared", input_tokens=6)

    [row] = await fetch_rows(client, DAILY, ws)

    assert (row["provider"], row["input_tokens"], row["task_count"]) == ("openai", 11, 1)


async def test_daily_task_count_is_per_bucket(world: World, client: Client) -> None:
    """A task with usage of two models counts once in each model's bucket."""
    ws = tenant(world)
    agent = world.agent(ws.id)
    both = world.task(agent)
    world.usage(both, model="alpha")
    world.usage(both, model="beta")
    world.usage(world.task(agent), model="alpha")

    rows = await fetch_rows(client, DAILY, ws)

    assert [(row["model"], row["task_count"]) for row in rows] == [("alpha", 2), ("beta", 1)]


@usage_paths
async def test_empty_result_is_an_empty_json_array(path: str, world: World, client: Client) -> None:
    ws = tenant(world)

    response = await get(client, path, ws.headers, {"workspace_slug": ws.slug})

    assert response.status_code == 200
    assert response.text.strip() == "[]"


@usage_paths
async def test_usage_belongs_to_the_workspace_of_the_tasks_agent_not_the_issues(
    path: str, world: World, client: Client
) -> None:
    agents_ws = tenant(world)
    issues_ws = tenant(world)
    foreign_issue = world.issue(issues_ws.id, world.project(issues_ws.id))
    world.usage(world.task(world.agent(agents_ws.id), foreign_issue), model="cross", input_tokens=13)

    in_agents_ws = await fetch_rows(client, path, agents_ws)
    in_issues_ws = await fetch_rows(client, path, issues_ws)

    assert [(row["model"], row["input_tokens"]) for row in in_agents_ws] == [("cross", 13)]
    assert in_issues_ws == []


@usage_paths
async def test_other_workspaces_usage_is_not_counted(path: str, world: World, client: Client) -> None:
    ws = tenant(world)
    other = tenant(world)
    world.usage(world.task(world.agent(ws.id)), model="mine", input_tokens=1)
    world.usage(world.task(world.agent(other.id)), model="mine", input_tokens=1000)

    rows = await fetch_rows(client, path, ws)

    assert [row["input_tokens"] for row in rows] == [1]


def _local_wall_time(instant: datetime.datetime, zone: str) -> str:
    """The instant as a zone-less wall-clock literal of `zone` (what a local client would type)."""
    return instant.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None).isoformat(sep=" ")


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/Los_Angeles"])
async def test_daily_buckets_by_utc_date_whatever_the_session_time_zone(
    zone: str, world: World, db: psycopg.Connection[tuple[object, ...]], database_url: str, client: Client
) -> None:
    """Rows half an hour either side of UTC midnight, written and read by sessions in `zone`.

    Kiritimati is UTC+14 (23:30 UTC is already the next local day); Los Angeles is UTC-8/-7 (00:30
    UTC is still the previous local day). Every new session of this database, the app's included,
    starts in `zone`, so a bucket computed in the session time zone would move.
    """
    ws = tenant(world)
    task = world.task(world.agent(ws.id))
    name = db.execute("SELECT current_database()").fetchone()
    assert name is not None
    db.execute(
        sql.SQL("ALTER DATABASE {} SET TimeZone = {}").format(sql.Identifier(str(name[0])), sql.Literal(zone))
    )
    before_midnight = midnight(day(0)) - datetime.timedelta(minutes=30)
    after_midnight = midnight(day(0)) + datetime.timedelta(minutes=30)
    with psycopg.connect(database_url, autocommit=True) as local:
        assert local.execute("SHOW TimeZone").fetchone() == (zone,)
        for instant, model in [
            (before_midnight, "before-utc-midnight"),
            (after_midnight, "after-utc-midnight"),
        ]:
            stored = local.execute(
                "INSERT INTO task_usage (task_id, model, input_tokens, created_at)"
                " VALUES (%s, %s, 1, %s::timestamp::timestamptz) RETURNING created_at",
                (task, model, _local_wall_time(instant, zone)),
            ).fetchone()
            assert stored == (instant,)

    two_days = await fetch_rows(client, DAILY, ws, days=2)
    one_day = await fetch_rows(client, DAILY, ws, days=1)

    assert [(row["date"], row["model"]) for row in two_days] == [
        (day(0).isoformat(), "after-utc-midnight"),
        (day(1).isoformat(), "before-utc-midnight"),
    ]
    assert [(row["date"], row["model"]) for row in one_day] == [(day(0).isoformat(), "after-utc-midnight")]


# --- /usage/by-agent ------------------------------------------------------------------------------


async def test_by_agent_row_has_exactly_the_wire_keys_and_types(world: World, client: Client) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    world.usage(world.task(agent), input_tokens=1, output_tokens=2, cache_read_tokens=3, cache_write_tokens=4)

    [row] = await fetch_rows(client, BY_AGENT, ws)

    assert set(row) == BY_AGENT_KEYS
    assert list(row) == list(AgentUsage.__struct_fields__)
    assert row == {
        "agent_id": str(agent),
        "provider": "",
        "model": "model-a",
        "input_tokens": 1,
        "output_tokens": 2,
        "cache_read_tokens": 3,
        "cache_write_tokens": 4,
        "cost_usd_ticks": 0,
        "uncosted_input_tokens": 1,
        "uncosted_output_tokens": 2,
        "uncosted_cache_read_tokens": 3,
        "uncosted_cache_write_tokens": 4,
        "cost_usd": 0.0,
        "unpriced_tokens": 10,
        "task_count": 1,
    }
    assert str(uuid.UUID(row["agent_id"])) == row["agent_id"]
    for field in INTEGER_FIELDS:
        assert_json_integer(row[field])


async def test_by_agent_orders_by_agent_id_then_model(world: World, client: Client) -> None:
    ws = tenant(world)
    agents = [world.agent(ws.id) for _ in range(4)]
    for agent in agents:
        for model in ("gamma", "alpha", "beta"):
            world.usage(world.task(agent), model=model)

    rows = await fetch_rows(client, BY_AGENT, ws)

    assert [(row["agent_id"], row["model"]) for row in rows] == [
        (str(agent), model) for agent in sorted(agents) for model in ("alpha", "beta", "gamma")
    ]


async def test_by_agent_sums_over_days_and_counts_distinct_tasks(world: World, client: Client) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    twice = world.task(agent)
    world.usage(twice, provider="P1", input_tokens=1, created_at=midnight(day(3)))
    world.usage(twice, provider="p1", input_tokens=10, created_at=midnight(day(0)))
    world.usage(world.task(agent), provider="p1", input_tokens=100, created_at=midnight(day(1)))

    [row] = await fetch_rows(client, BY_AGENT, ws, days=7)

    assert row["input_tokens"] == 111
    assert row["task_count"] == 2


async def test_by_agent_keeps_one_row_per_model_of_an_agent(world: World, client: Client) -> None:
    ws = tenant(world)
    agent = world.agent(ws.id)
    task = world.task(agent)
    world.usage(task, model="alpha", input_tokens=1)
    world.usage(task, model="beta", input_tokens=2)

    rows = await fetch_rows(client, BY_AGENT, ws)

    assert [(row["model"], row["input_tokens"], row["task_count"]) for row in rows] == [
        ("alpha", 1, 1),
        ("beta", 2, 1),
    ]


@pytest.mark.parametrize("days", [1, 2, 7, 30])
async def test_by_agent_totals_reconcile_with_the_daily_series(
    days: int, world: World, client: Client
) -> None:
    ws = tenant(world)
    agents = [world.agent(ws.id) for _ in range(3)]
    tokens = 1
    spread = (0, 1, 6, 7, 29, 30, 31)  # some inside every window, some on and past the edges
    for ago in spread:
        for index, agent in enumerate(agents):
            for model in ("alpha", "beta")[: 1 + index % 2]:
                world.usage(
                    world.task(agent),
                    model=model,
                    input_tokens=tokens,
                    output_tokens=2 * tokens,
                    cache_read_tokens=3 * tokens,
                    cache_write_tokens=5 * tokens,
                    created_at=midnight(day(ago)) + datetime.timedelta(hours=index),
                )
                tokens += 1
    world.usage(
        world.task(agents[0]), model="alpha", input_tokens=10**6, created_at=window_start(days) - MICROSECOND
    )

    daily = await fetch_rows(client, DAILY, ws, days=days)
    by_agent = await fetch_rows(client, BY_AGENT, ws, days=days)

    assert {row["date"] for row in daily} == {day(ago).isoformat() for ago in spread if ago < days}
    assert totals(by_agent, "model") == totals(daily, "model")
