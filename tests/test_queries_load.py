"""queries/*.sql: they load, names are unique and documented, wrappers match, windows are sargable."""

from __future__ import annotations

import ast
import datetime
import re
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
import psycopg
import pytest
from psycopg import AsyncConnection

from app.db import queries
from app.db.queries import UsageReport
from app.db.sql import load_queries
from app.window import UTC_ZONE, window_for_dates
from app.wire import AgentFailures, AgentRunTime, AgentUsage, DailyUsage
from tests.world import World

ROOT = Path(__file__).resolve().parent.parent
QUERY_DIR = ROOT / "queries"
WRAPPERS = ROOT / "app" / "db" / "queries.py"

CONTRACT = [
    "list_dashboard_usage_daily",
    "list_dashboard_usage_by_agent",
    "list_dashboard_agent_run_time",
    "upsert_task_usage",
]
WINDOWED = ["list_dashboard_usage_daily", "list_dashboard_usage_by_agent"]

_NAME_LINE = re.compile(r"^--\s*name:\s*(?P<name>[A-Za-z_]\w*)")


class NamedQuery:
    """One `-- name:` block of a file as written: the lines above, the name line, the body."""

    def __init__(self, path: Path, lines: list[str], index: int, end: int) -> None:
        match = _NAME_LINE.match(lines[index])
        assert match is not None
        self.name = match["name"]
        self.path = path
        self.line = index + 1
        self.before = lines[index - 1] if index > 0 else ""
        self.after = lines[index + 1] if index + 1 < len(lines) else ""
        self.body = "\n".join(lines[index + 1 : end])

    @property
    def sql(self) -> str:
        """The body without comment lines or trailing comments."""
        kept = [line.split("--", 1)[0] for line in self.body.splitlines()]
        return "\n".join(line for line in kept if line.strip())

    def __repr__(self) -> str:
        return f"{self.path.name}:{self.line}:{self.name}"


def _named_queries() -> list[NamedQuery]:
    found = []
    for path in sorted(QUERY_DIR.glob("*.sql")):
        lines = path.read_text(encoding="utf-8").splitlines()
        starts = [i for i, line in enumerate(lines) if _NAME_LINE.match(line)]
        for position, start in enumerate(starts):
            end = starts[position + 1] if position + 1 < len(starts) else len(lines)
            found.append(NamedQuery(path, lines, start, end))
    return found


NAMED = _named_queries()
BY_NAME = {q.name: q for q in NAMED}


def _wrapper_query_names() -> set[str]:
    """Every QUERIES.<name> that app/db/queries.py reads."""
    tree = ast.parse(WRAPPERS.read_text(encoding="utf-8"))
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "QUERIES"
    }


def _where_clause(sql: str) -> str:
    match = re.search(r"\bWHERE\b(?P<where>.*?)(\bGROUP\s+BY\b|\bORDER\s+BY\b|;|$)", sql, re.S | re.I)
    assert match is not None, "no WHERE clause"
    return match["where"]


# ---- loading and naming ------------------------------------------------------------------


def test_every_query_file_loads_through_aiosql() -> None:
    loaded = load_queries()

    missing = [q for q in NAMED if not callable(getattr(loaded, q.name, None))]
    assert NAMED, "no named query found"
    assert missing == []
    assert {path.name for path in QUERY_DIR.glob("*.sql")} <= {q.path.name for q in NAMED}


def test_query_names_are_unique_across_files() -> None:
    counts = Counter(q.name for q in NAMED)

    assert [q for q in NAMED if counts[q.name] > 1] == []


@pytest.mark.parametrize("query", NAMED, ids=repr)
def test_query_is_documented_by_a_comment_line(query: NamedQuery) -> None:
    def is_comment(line: str) -> bool:
        text = line.strip()
        return text.startswith("--") and not _NAME_LINE.match(text) and len(text.lstrip("- ")) > 0

    assert is_comment(query.after) or is_comment(query.before)


def test_every_wrapper_query_exists() -> None:
    used = _wrapper_query_names()
    loaded = load_queries()

    assert used, "no QUERIES.<name> found in app/db/queries.py"
    assert sorted(used - set(BY_NAME)) == []
    assert [name for name in sorted(used) if not callable(getattr(loaded, name, None))] == []


@pytest.mark.parametrize("name", CONTRACT)
def test_contract_query_exists(name: str) -> None:
    assert name in BY_NAME
    assert callable(getattr(load_queries(), name, None))


# ---- sargable windows --------------------------------------------------------------------


@pytest.mark.parametrize("name", WINDOWED)
def test_window_query_never_wraps_created_at_in_a_function(name: str) -> None:
    sql = BY_NAME[name].sql

    assert re.search(r"\bDATE\s*\(", sql, re.I) is None
    assert re.search(r"\bdate_trunc\s*\(", sql, re.I) is None
    created_at_uses = re.findall(r"[^\n]*\bcreated_at\b[^\n]*", _where_clause(sql))
    allowed = re.compile(r"\s*AND\s+\w+\.created_at\s*(>=\s*:since|<\s*:until)\s*", re.I)
    assert [use for use in created_at_uses if not allowed.fullmatch(use)] == []


@pytest.mark.parametrize("name", WINDOWED)
def test_window_query_bounds_created_at_half_open(name: str) -> None:
    where = _where_clause(BY_NAME[name].sql)

    assert re.search(r"\b\w+\.created_at\s*>=\s*:since\b", where)
    assert re.search(r"\b\w+\.created_at\s*<\s*:until\b", where)


async def test_daily_query_plan_scans_the_created_at_index(database_url: str, world: World) -> None:
    workspace = world.workspace("plan")
    agent = world.agent(workspace)
    other_agent = world.agent(world.workspace("other"))
    # 20,000 usage rows, 100 a day over 200 days, half of them another workspace's; a one-day
    # window is 0.5% of the table, so the planner must read it from the created_at index.
    world.conn.execute(
        """
        WITH spec AS (
            SELECT
                gen_random_uuid() AS id,
                CASE WHEN n %% 2 = 0 THEN %(mine)s::uuid ELSE %(other)s::uuid END AS agent_id,
                now() - make_interval(secs => n * 864) AS created_at
            FROM generate_series(1, 20000) AS n
        ),
        tasks AS (
            INSERT INTO agent_task_queue (id, agent_id, runtime_id, status)
            SELECT spec.id, spec.agent_id, agent.runtime_id, 'completed'
            FROM spec
            JOIN agent ON agent.id = spec.agent_id
        )
        INSERT INTO task_usage (task_id, model, input_tokens, created_at)
        SELECT id, 'm', 1, created_at
        FROM spec
        """,
        {"mine": agent, "other": other_agent},
    )
    world.conn.execute("ANALYZE")
    day = datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=100)
    window = window_for_dates(day, day, UTC_ZONE)
    params: dict[str, Any] = {
        "workspace_id": workspace,
        "since": window.since,
        "until": window.until,
        "bounds": list(window.bounds),
        "first_date": window.first_date,
        "project_id": None,
    }

    async with await AsyncConnection.connect(database_url, autocommit=True) as conn:
        cur = await conn.execute("EXPLAIN " + load_queries().list_dashboard_usage_daily.sql, params)
        plan = "\n".join(str(row[0]) for row in await cur.fetchall())
        rows = await queries.list_dashboard_usage_daily(
            conn,
            queries.DashboardFilter(workspace_id=workspace, window=window),
        )

    assert "task_usage_created_at_idx" in plan, plan
    assert sum(r.input_tokens for r in rows) == 50


# ---- UpsertTaskUsage ---------------------------------------------------------------------


def _usage_rows(conn: psycopg.Connection[tuple[Any, ...]], task: uuid.UUID) -> dict[str, tuple[Any, ...]]:
    rows = conn.execute(
        "SELECT model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,"
        " created_at, updated_at FROM task_usage WHERE task_id = %s",
        (task,),
    ).fetchall()
    return {str(r[0]): tuple(r[1:]) for r in rows}


async def test_upsert_task_usage_replaces_counts_and_keeps_created_at(
    database_url: str, world: World
) -> None:
    workspace = world.workspace()
    task = world.task(world.agent(workspace))
    first = UsageReport(task, "anthropic", "claude", 100, 10, 1000, 5)
    untouched = UsageReport(task, "openai", "gpt", 7, 7, 7, 7)
    again = UsageReport(task, "anthropic", "claude", 150, 20, 1200, 0)

    async with await AsyncConnection.connect(database_url, autocommit=True) as conn:
        await queries.upsert_task_usage(conn, [first, untouched])
        inserted = _usage_rows(world.conn, task)
        await queries.upsert_task_usage(conn, [again])
        replaced = _usage_rows(world.conn, task)

    assert set(inserted) == {"claude", "gpt"}
    assert inserted["claude"][:4] == (100, 10, 1000, 5)
    assert replaced["claude"][:4] == (150, 20, 1200, 0)
    created_before, updated_before = inserted["claude"][4:]
    created_after, updated_after = replaced["claude"][4:]
    assert updated_before is not None
    assert created_after == created_before
    assert updated_after > updated_before
    assert replaced["gpt"] == inserted["gpt"]
    row_count = world.conn.execute("SELECT count(*) FROM task_usage WHERE task_id = %s", (task,)).fetchone()
    assert row_count == (2,)


async def test_upsert_task_usage_keeps_the_original_created_at_day(database_url: str, world: World) -> None:
    """A late re-report must not move a row out of its day bucket."""
    task = world.task(world.agent(world.workspace()))
    long_ago = datetime.datetime(2020, 1, 2, 23, 59, tzinfo=datetime.UTC)
    world.usage(task, model="claude", provider="anthropic", input_tokens=1, created_at=long_ago)

    async with await AsyncConnection.connect(database_url, autocommit=True) as conn:
        await queries.upsert_task_usage(conn, [UsageReport(task, "anthropic", "claude", 9, 9, 9, 9)])

    row = _usage_rows(world.conn, task)["claude"]
    assert row[:4] == (9, 9, 9, 9)
    assert row[4] == long_ago
    assert row[5] > long_ago


@pytest.mark.parametrize(
    ("name", "struct"),
    [
        ("list_dashboard_usage_daily", DailyUsage),
        ("list_dashboard_usage_daily_rollup", DailyUsage),
        ("list_dashboard_usage_daily_zone_rollup", DailyUsage),
        ("list_dashboard_usage_by_agent", AgentUsage),
        ("list_dashboard_usage_by_agent_rollup", AgentUsage),
        ("list_dashboard_agent_run_time", AgentRunTime),
        ("list_dashboard_agent_run_time_rollup", AgentRunTime),
        ("list_dashboard_failures_by_agent", AgentFailures),
        ("list_dashboard_failures_by_agent_rollup", AgentFailures),
    ],
)
async def test_queries_built_by_position_return_the_wire_fields_in_order(
    name: str, struct: type[msgspec.Struct], database_url: str
) -> None:
    # Their wrappers build the wire struct by position, with estimated ticks where cost_usd goes.
    window = window_for_dates(datetime.date(2026, 1, 1), datetime.date(2026, 1, 2), UTC_ZONE)
    params = {
        "workspace_id": uuid.uuid4(),
        "since": window.since,
        "until": window.until,
        "bounds": list(window.bounds),
        "first_date": window.first_date,
        "since_date": window.since.date(),
        "until_date": window.until.date(),
        "project_id": None,
        "since_day": window.since.date(),
        "until_day": window.until.date(),
        "quarters": [74],
    }
    expected = [f.name for f in msgspec.structs.fields(struct)]
    if "cost_usd" in expected:
        expected[expected.index("cost_usd")] = "estimated_cost_ticks"

    async with await AsyncConnection.connect(database_url, autocommit=True) as conn:
        cur = await conn.execute(getattr(load_queries(), name).sql, params)
        assert cur.description is not None
        assert [column.name for column in cur.description] == expected
