"""Cost (docs/cost.md): price matching, effective dates, reported and estimated amounts, unpriced
tokens, provider spellings, huge values and re-pricing, on the raw and the rollup read paths."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import msgspec
import psycopg
import pytest

from app.db import queries
from app.db.queries import DashboardFilter
from app.money import usd, whole_ticks
from app.prices import shipped_prices
from app.window import UTC_ZONE, Window, window_for_dates
from app.wire import AgentUsage, DailyUsage
from tests.api_helpers import DAILY, day, tenant
from tests.conftest import Client
from tests.rollup_helpers import backfill, catch_up, connect, queued_days, run_cli
from tests.world import World, midnight, utc

Conn = psycopg.Connection[tuple[object, ...]]

# A window over the two days around the shipped table's one price change (claude-sonnet-5's
# intro rate, 2 / 10 / 0.20 / 2.50 USD per million, ends 2026-08-31; 3 / 15 / 0.30 / 3.75 from
# 2026-09-01).
CHANGE = datetime.date(2026, 9, 1)
AROUND_CHANGE = window_for_dates(datetime.date(2026, 8, 30), datetime.date(2026, 9, 2), UTC_ZONE)
LAST_INSTANT_BEFORE = utc(2026, 9, 1) - datetime.timedelta(microseconds=1)
FIRST_INSTANT_AFTER = utc(2026, 9, 1)
TICKS_PER_USD_PER_MILLION = 10_000  # ticks per token for a price of 1 USD per million tokens


# ---- matching a model to a price ---------------------------------------------------------------

# (provider, model, the key that prices it or None): pricing.md's examples and each rule alone.
MATCHES = [
    ("anthropic", "anthropic/claude-opus-4.7-20251001", "claude-opus-4-7"),
    ("openai", "gpt-5-2025-08-07", "gpt-5"),
    ("cursor", "auto", "cursor/auto"),
    ("openai", "gpt-5.5-mini", None),
    ("", "gpt-5", "gpt-5"),
    ("", "claude-opus-4.7", "claude-opus-4-7"),
    ("", "claude-opus-4-7[1m]", "claude-opus-4-7"),
    ("", "claude-opus-4.7[1m]", "claude-opus-4-7"),
    ("", "openrouter/gpt-5", "gpt-5"),
    ("", "gpt-5-latest", "gpt-5"),
    ("", "gpt-5-20250807", "gpt-5"),
    ("", "o3-mini", "o3-mini"),
    ("", "o3-mini-2025-01-31", "o3-mini"),
    # Only Claude ids have "." spelled "-"; others keep their dots.
    ("", "gpt-5.4", "gpt-5.4"),
    ("", "gpt-5-4", None),
    # No case folding of the model id, no prefix matching.
    ("", "GPT-5", None),
    ("", "gpt-5x", None),
    ("", "gpt", None),
    # Provider qualification: cursor keys only for provider cursor, whatever its spelling.
    ("", "auto", None),
    ("openai", "auto", None),
    (" Cursor ", "auto", "cursor/auto"),
    ("cursor", "cursor/auto", "cursor/auto"),
    ("cursor", "composer-2.5", "cursor/composer-2.5"),
    ("cursor", "unknown-model", None),
    ("cursor", "gpt-5", "gpt-5"),
    # A leading segment is a provider only when it looks like one.
    ("", "9x/gpt-5", None),
    ("", "my_org/gpt-5-mini", "gpt-5-mini"),
    ("", "", None),
]


@pytest.mark.parametrize(("provider", "model", "key"), MATCHES)
def test_a_model_is_priced_by_the_platform_clients_matching_rules(
    db: Conn, provider: str, model: str, key: str | None
) -> None:
    row = db.execute(
        "SELECT price_key FROM task_usage_dashboard_price_on(%s, %s, '2026-11-01')", (provider, model)
    ).fetchone()

    assert (row[0] if row else None) == key


def test_the_first_matching_candidate_wins_even_when_a_later_one_is_priced(db: Conn) -> None:
    db.execute(
        "INSERT INTO model_price (key, effective_from, input, output, cache_read, cache_write)"
        " VALUES ('anthropic/claude-opus-4-7', '1970-01-01', 1, 1, 1, 1)"
    )
    row = db.execute(
        "SELECT price_key, input_ticks"
        " FROM task_usage_dashboard_price_on('Anthropic', 'claude-opus-4.7', '2026-01-01')"
    ).fetchone()

    assert row == ("anthropic/claude-opus-4-7", 1 * TICKS_PER_USD_PER_MILLION)


def test_a_key_is_a_match_only_on_the_days_it_has_a_version(db: Conn) -> None:
    """A provider-qualified key that starts later leaves earlier days to the bare key."""
    db.execute(
        "INSERT INTO model_price (key, effective_from, input, output, cache_read, cache_write)"
        " VALUES ('openai/gpt-5', '2026-06-01', 9, 9, 9, 9)"
    )
    before = db.execute(
        "SELECT price_key FROM task_usage_dashboard_price_on('openai', 'gpt-5', '2026-05-31')"
    )
    after = db.execute("SELECT price_key FROM task_usage_dashboard_price_on('openai', 'gpt-5', '2026-06-01')")

    assert before.fetchone() == ("gpt-5",)
    assert after.fetchone() == ("openai/gpt-5",)


# ---- the shipped table -------------------------------------------------------------------------


def test_migrate_loads_the_62_shipped_price_versions(db: Conn) -> None:
    rows = db.execute(
        "SELECT key, effective_from, input, output, cache_read, cache_write FROM model_price_shipped"
        " ORDER BY key, effective_from"
    ).fetchall()
    shipped = sorted(
        (v.key, v.effective_from, v.input, v.output, v.cache_read, v.cache_write) for v in shipped_prices()
    )

    assert len(rows) == 62
    assert [tuple(r) for r in rows] == shipped
    keys = {r[0] for r in rows}
    assert len(keys) == 61
    assert ("claude-sonnet-5", CHANGE) in {(r[0], r[1]) for r in rows}


def test_an_operator_version_overrides_the_shipped_one_of_the_same_key_and_date(db: Conn) -> None:
    db.execute(
        "INSERT INTO model_price (key, effective_from, input, output, cache_read, cache_write)"
        " VALUES ('gpt-5', '1970-01-01', 7, 7, 7, 7)"
    )
    rows = db.execute(
        "SELECT input, source FROM model_price_effective WHERE key = 'gpt-5' ORDER BY source"
    ).fetchall()

    assert rows == [(Decimal(7), "operator")]


# ---- what a usage row costs --------------------------------------------------------------------


def _scene(world: World) -> tuple[uuid.UUID, uuid.UUID]:
    ws = world.workspace()
    return ws, world.agent(ws)


async def _both_paths(
    database_url: str, ws: uuid.UUID, window: Window
) -> tuple[list[DailyUsage], list[AgentUsage]]:
    """Backfilled and ticked, both read paths agree; returns the raw path's rows."""
    await backfill(database_url)
    await catch_up(database_url)
    f = DashboardFilter(workspace_id=ws, window=window)
    async with await connect(database_url) as conn:
        daily = await queries.list_dashboard_usage_daily(conn, f)
        agents = await queries.list_dashboard_usage_by_agent(conn, f)
        assert await queries.list_dashboard_usage_daily_rollup(conn, f) == daily
        assert await queries.list_dashboard_usage_by_agent_rollup(conn, f) == agents
    return daily, agents


def _ticks(input_: int, output: int, cache_read: int, cache_write: int, prices: tuple[str, ...]) -> int:
    """Ticks of tokens at prices in USD per million, as the contract defines them."""
    per_token = [int(Decimal(p) * TICKS_PER_USD_PER_MILLION) for p in prices]
    return sum(n * p for n, p in zip((input_, output, cache_read, cache_write), per_token, strict=True))


async def test_a_price_change_takes_effect_at_00_00_utc_of_its_day(world: World, database_url: str) -> None:
    ws, agent = _scene(world)
    for created_at in (LAST_INSTANT_BEFORE, FIRST_INSTANT_AFTER):
        world.usage(
            world.task(agent),
            provider="anthropic",
            model="claude-sonnet-5",
            input_tokens=1_000_000,
            output_tokens=100_000,
            cache_read_tokens=10_000,
            cache_write_tokens=1_000,
            created_at=created_at,
        )

    daily, [agent_row] = await _both_paths(database_url, ws, AROUND_CHANGE)

    after, before = daily
    intro = _ticks(1_000_000, 100_000, 10_000, 1_000, ("2", "10", "0.20", "2.50"))
    list_price = _ticks(1_000_000, 100_000, 10_000, 1_000, ("3", "15", "0.30", "3.75"))
    assert (before.date, before.cost_usd) == (datetime.date(2026, 8, 31), usd(intro))
    assert (after.date, after.cost_usd) == (CHANGE, usd(list_price))
    assert agent_row.cost_usd == usd(intro + list_price)
    assert (before.unpriced_tokens, after.unpriced_tokens, agent_row.task_count) == (0, 0, 2)


async def test_reported_ticks_are_summed_and_only_unreported_rows_are_estimated(
    world: World, database_url: str
) -> None:
    ws, agent = _scene(world)
    at = utc(2026, 10, 5, 12)
    reported_task, estimated_task, zero_task, negative_task = (world.task(agent) for _ in range(4))
    world.usage(
        reported_task, provider="openai", model="gpt-5", input_tokens=500, cost_usd_ticks=77, created_at=at
    )
    world.usage(
        estimated_task, provider="openai", model="gpt-5", input_tokens=1_000, output_tokens=10, created_at=at
    )
    # Zero and negative amounts are "not provider-priced": their tokens are estimated.
    world.usage(zero_task, provider="openai", model="gpt-5", input_tokens=2, cost_usd_ticks=0, created_at=at)
    world.usage(
        negative_task, provider="openai", model="gpt-5", input_tokens=3, cost_usd_ticks=-9, created_at=at
    )
    window = window_for_dates(datetime.date(2026, 10, 5), datetime.date(2026, 10, 5), UTC_ZONE)

    [row], [agent_row] = await _both_paths(database_url, ws, window)

    estimate = _ticks(1_005, 10, 0, 0, ("1.25", "10", "0.125", "1.25"))
    assert row.input_tokens == 1_505
    assert row.cost_usd_ticks == 77
    assert (row.uncosted_input_tokens, row.uncosted_output_tokens) == (1_005, 10)
    assert row.cost_usd == usd(77 + estimate)
    assert row.unpriced_tokens == 0
    same = set(msgspec.structs.asdict(row)) - {"date", "task_count"}
    assert {k: getattr(agent_row, k) for k in same} == {k: getattr(row, k) for k in same}
    assert (agent_row.cost_usd_ticks, agent_row.cost_usd, agent_row.task_count) == (77, row.cost_usd, 4)


async def test_a_model_without_a_price_costs_only_what_was_reported(world: World, database_url: str) -> None:
    ws, agent = _scene(world)
    at = utc(2026, 10, 5, 12)
    world.usage(
        world.task(agent),
        provider="google",
        model="gemini-2.5-pro",
        input_tokens=10,
        output_tokens=5,
        cache_read_tokens=2,
        cache_write_tokens=1,
        created_at=at,
    )
    world.usage(
        world.task(agent),
        provider="google",
        model="gemini-2.5-pro",
        input_tokens=1_000,
        cost_usd_ticks=4_000,
        created_at=at,
    )
    window = window_for_dates(datetime.date(2026, 10, 5), datetime.date(2026, 10, 5), UTC_ZONE)

    [row], [agent_row] = await _both_paths(database_url, ws, window)

    assert (row.cost_usd_ticks, row.unpriced_tokens, row.cost_usd) == (4_000, 18, usd(4_000))
    assert (agent_row.unpriced_tokens, agent_row.cost_usd) == (18, usd(4_000))


async def test_spellings_of_one_provider_are_one_row(world: World, database_url: str) -> None:
    ws, agent = _scene(world)
    at = utc(2026, 10, 5, 12)
    for spelling in ("OpenAI", "openai", " openai ", "OPENAI"):
        world.usage(world.task(agent), provider=spelling, model="gpt-5", input_tokens=1, created_at=at)
    world.usage(world.task(agent), provider="", model="gpt-5", input_tokens=10, created_at=at)
    window = window_for_dates(datetime.date(2026, 10, 5), datetime.date(2026, 10, 5), UTC_ZONE)

    daily, agents = await _both_paths(database_url, ws, window)

    assert [(r.provider, r.model, r.input_tokens, r.task_count) for r in daily] == [
        ("", "gpt-5", 10, 1),
        ("openai", "gpt-5", 4, 4),
    ]
    assert [(r.provider, r.input_tokens) for r in agents] == [("", 10), ("openai", 4)]


async def test_huge_tokens_and_reported_amounts_do_not_overflow(world: World, database_url: str) -> None:
    """3e9 tokens a class at the dearest price, and reported amounts near 9e15 ticks, over many
    rows: every sum is exact (bigint would overflow past 9.2e18 ticks)."""
    ws, agent = _scene(world)
    at = utc(2026, 10, 5, 12)
    big = 3_000_000_000
    reported = 9_000_000_000_000_000
    for _ in range(3):
        world.usage(
            world.task(agent),
            provider="anthropic",
            model="claude-opus-4-1",
            input_tokens=big,
            output_tokens=big,
            cache_read_tokens=big,
            cache_write_tokens=big,
            created_at=at,
        )
    for _ in range(1100):
        world.usage(
            world.task(agent),
            provider="xai",
            model="grok-4.3",
            input_tokens=big,
            cost_usd_ticks=reported,
            created_at=at,
        )
    window = window_for_dates(datetime.date(2026, 10, 5), datetime.date(2026, 10, 5), UTC_ZONE)

    daily, agents = await _both_paths(database_url, ws, window)

    by_model = {r.model: r for r in daily}
    estimate = 3 * _ticks(big, big, big, big, ("15", "75", "1.50", "18.75"))
    assert by_model["claude-opus-4-1"].cost_usd == usd(estimate)
    assert by_model["grok-4.3"].cost_usd_ticks == 1100 * reported
    assert by_model["grok-4.3"].cost_usd_ticks > 2**63
    assert by_model["grok-4.3"].input_tokens == 1100 * big
    assert sum(r.cost_usd_ticks for r in agents) == 1100 * reported


async def test_cost_usd_on_the_wire_is_the_rounded_exact_sum(world: World, client: Client) -> None:
    """Three rows of 5,000 ticks: rounding each (to 0) would give 0; the sum rounds once."""
    ws = tenant(world)
    agent = world.agent(ws.id)
    for _ in range(3):
        world.usage(
            world.task(agent),
            provider="xai",
            model="grok-4.3",
            cost_usd_ticks=5_000,
            input_tokens=1,
            created_at=midnight(day(3)) + datetime.timedelta(hours=12),
        )

    response = await client.get(
        DAILY,
        headers=ws.headers,
        params={"workspace_slug": ws.slug, "days": 7},
    )

    assert response.status_code == 200
    assert b'"cost_usd_ticks":15000,' in response.content
    assert b'"cost_usd":2e-6,' in response.content
    [row] = response.json()
    assert row["cost_usd"] == 0.000002


@pytest.mark.parametrize(
    ("ticks", "expected"),
    [
        (0, 0.0),
        (5_000, 0.0),  # 0.0000005: a tie, to the even 0
        (15_000, 0.000002),  # 0.0000015: a tie, to the even 2
        (25_000, 0.000002),
        (25_001, 0.000003),
        (10**10, 1.0),
        (123_456_789_012_345_678, 12_345_678.901235),
    ],
)
def test_usd_rounds_ticks_half_even_to_six_decimals(ticks: int, expected: float) -> None:
    assert usd(ticks) == expected


def test_a_tick_sum_is_read_whole_or_refused() -> None:
    """The queries send tick sums as text with the zeros of a price's scale trimmed: a whole
    number parses, a fraction (a price the table's checks should have refused) fails loudly."""
    assert whole_ticks("84115455000000000000") == 84_115_455_000_000_000_000
    with pytest.raises(ValueError, match=r"must be whole, got 12\.5"):
        whole_ticks("12.5")


# ---- re-pricing --------------------------------------------------------------------------------


async def test_a_price_set_through_the_cli_reprices_both_paths_by_the_next_tick(
    world: World, db: Conn, database_url: str
) -> None:
    ws, agent = _scene(world)
    days = [datetime.date(2026, 10, d) for d in (3, 10, 20)]
    for usage_day in days:
        world.usage(
            world.task(agent),
            provider="openai",
            model="gpt-5.5-mini",
            input_tokens=1_000_000,
            output_tokens=1_000,
            created_at=midnight(usage_day) + datetime.timedelta(hours=9),
        )
    world.usage(
        world.task(agent), provider="openai", model="gpt-5", input_tokens=1, created_at=utc(2026, 10, 10, 9)
    )
    window = window_for_dates(datetime.date(2026, 10, 1), datetime.date(2026, 10, 31), UTC_ZONE)
    before, _ = await _both_paths(database_url, ws, window)
    assert {r.date: r.unpriced_tokens for r in before if r.model == "gpt-5.5-mini"} == dict.fromkeys(
        days, 1_001_000
    )

    result = run_cli(
        database_url,
        "prices",
        "set",
        "gpt-5.5-mini",
        "--from",
        "2026-10-10",
        "--input",
        "0.5",
        "--output",
        "4",
        "--cache-read",
        "0.05",
        "--cache-write",
        "0.5",
    )

    assert result.returncode == 0, result.stderr
    # Just the days the version covers that have a model it can price are queued.
    assert queued_days(db) == {datetime.date(2026, 10, 10), datetime.date(2026, 10, 20)}
    await catch_up(database_url)
    f = DashboardFilter(workspace_id=ws, window=window)
    async with await connect(database_url) as conn:
        after = await queries.list_dashboard_usage_daily(conn, f)
        assert await queries.list_dashboard_usage_daily_rollup(conn, f) == after
        agents = await queries.list_dashboard_usage_by_agent(conn, f)
        assert await queries.list_dashboard_usage_by_agent_rollup(conn, f) == agents
    priced = usd(_ticks(1_000_000, 1_000, 0, 0, ("0.5", "4", "0.05", "0.5")))
    mini = {r.date: (r.cost_usd, r.unpriced_tokens) for r in after if r.model == "gpt-5.5-mini"}
    assert mini == {
        days[0]: (0.0, 1_001_000),
        days[1]: (priced, 0),
        days[2]: (priced, 0),
    }
