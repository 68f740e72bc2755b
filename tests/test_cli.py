"""The `usage-dashboard` command, run for real as `python -m app` against the test database."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import importlib.metadata
import os
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from app.cli import DEMO_SLUG, DEMO_TOKEN_DAYS, _prepare_embedded_demo
from app.config import load_settings
from app.db.embedded import start_embedded
from app.db.migrate import Runner, discover, discover_functions
from app.prices import shipped_prices
from tests.conftest import Client
from tests.processes import free_port, start_serve
from tests.world import World

ROOT = Path(__file__).resolve().parent.parent
CLOSED_PORT_URL = "postgresql://127.0.0.1:1/x"
# Variables the CLI reads; the parent's values must not leak into the command under test.
_SETTINGS = {
    "DATABASE_URL",
    "DATABASE_POOL_MIN_SIZE",
    "DATABASE_POOL_MAX_SIZE",
    "HOST",
    "PORT",
    "WEB_CONCURRENCY",
    "USAGE_DASHBOARD_DATA_DIR",
    "USAGE_DASHBOARD_ROLLUP_ENABLED",
}

Conn = psycopg.Connection[tuple[Any, ...]]
Result = subprocess.CompletedProcess[str]


class Cli:
    """Runs `python -m app ARGS` with DATABASE_URL set, so the embedded default is never touched."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.database_url = database_url
        self.data_dir = data_dir

    def __call__(self, *args: str, env: Mapping[str, str] | None = None) -> Result:
        full_env = {k: v for k, v in os.environ.items() if k not in _SETTINGS}
        full_env |= {"DATABASE_URL": self.database_url, "USAGE_DASHBOARD_DATA_DIR": str(self.data_dir)}
        full_env |= env or {}
        return subprocess.run(
            [sys.executable, "-m", "app", *args],
            cwd=ROOT,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> Cli:
    """The CLI bound to the test's migrated database."""
    return Cli(database_url, tmp_path / "data")


@pytest.fixture
def offline_cli(tmp_path: Path) -> Cli:
    """The CLI bound to a port where nothing listens (commands that must not need a database)."""
    return Cli(CLOSED_PORT_URL, tmp_path / "data")


@pytest.fixture
def second_database_url(pg_server: str, template_database: str) -> Iterator[str]:
    """Another fresh migrated database, for comparing two runs of the same command."""
    name = f"ud_cli_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    try:
        yield make_conninfo(pg_server, dbname=name)
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def assert_one_line_error(result: Result, code: int | None = None) -> str:
    """A failure reported as exactly one line on stderr, never a traceback; returns that line."""
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
    if code is None:
        assert result.returncode != 0
    else:
        assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _public_tables(conn: Conn) -> list[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows]


def _row_counts(conn: Conn) -> dict[str, int]:
    counts = {}
    for table in _public_tables(conn):
        row = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        assert row is not None
        counts[table] = int(row[0])
    return counts


# ---- help --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["migrate"],
        ["migrate", "up"],
        ["migrate", "status"],
        ["migrate", "down"],
        ["migrate", "baseline"],
        ["seed"],
        ["token"],
        ["token", "create"],
        ["token", "list"],
        ["token", "revoke"],
    ],
    ids=lambda c: " ".join(c) or "top",
)
def test_help_works_for_every_command(offline_cli: Cli, command: list[str]) -> None:
    result = offline_cli(*command, "--help")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith(f"usage: {' '.join(['usage-dashboard', *command])}")


def test_version_prints_the_installed_version(offline_cli: Cli) -> None:
    result = offline_cli("--version")

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"usage-dashboard {importlib.metadata.version('usage-dashboard')}\n"


def test_seed_help_shows_every_default(offline_cli: Cli) -> None:
    text = " ".join(offline_cli("seed", "--help").stdout.split())

    for default in (
        "agents (default 8)",
        "projects (default 5)",
        "issues (default one per ten tasks)",
        "(default 90)",
        "tasks per day (default 40)",
        "(default 1)",
    ):
        assert default in text


# ---- token create ------------------------------------------------------------------------


def _tokens_of(conn: Conn, email: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT p.user_id, p.token_hash, p.token_prefix, p.expires_at, p.revoked, p.name"
        ' FROM personal_access_token AS p JOIN "user" AS u ON u.id = p.user_id'
        " WHERE u.email = %s ORDER BY p.created_at",
        (email,),
    ).fetchall()


def _membership(conn: Conn, email: str, slug: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        'SELECT m.user_id, m.role FROM member AS m JOIN "user" AS u ON u.id = m.user_id'
        " JOIN workspace AS w ON w.id = m.workspace_id WHERE u.email = %s AND w.slug = %s",
        (email, slug),
    ).fetchall()


def _secret(result: Result) -> str:
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines, "no output"
    return lines[-1]


def test_token_create_prints_the_secret_and_stores_only_its_digest(cli: Cli, world: World, db: Conn) -> None:
    world.workspace("acme")

    result = cli("token", "create", "--email", "new@example.com", "--workspace", "acme")

    secret = _secret(result)
    assert re.fullmatch(r"\S{32,}", secret), secret
    [(user_id, token_hash, prefix, expires_at, revoked, name)] = _tokens_of(db, "new@example.com")
    assert token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(prefix)
    assert 0 < len(prefix) < len(secret) // 2
    assert (expires_at, revoked, name) == (None, False, "cli")
    assert _membership(db, "new@example.com", "acme") == [(user_id, "member")]
    for table in _public_tables(db):
        row = db.execute(
            f'SELECT count(*) FROM "{table}" AS r WHERE strpos(r::text, %s) > 0', (secret,)
        ).fetchone()
        assert row == (0,), f"the secret is stored in {table}"


def test_second_token_for_the_same_email_reuses_user_and_membership(cli: Cli, world: World, db: Conn) -> None:
    world.workspace("acme")
    first = _secret(cli("token", "create", "--email", "twice@example.com", "--workspace", "acme"))

    second = _secret(
        cli("token", "create", "--email", "twice@example.com", "--workspace", "acme", "--role", "owner")
    )

    tokens = _tokens_of(db, "twice@example.com")
    users = db.execute("SELECT count(*) FROM \"user\" WHERE email = 'twice@example.com'").fetchone()
    assert users == (1,)
    assert first != second
    assert [t[1] for t in tokens] == [hashlib.sha256(s.encode()).hexdigest() for s in (first, second)]
    assert len({t[0] for t in tokens}) == 1
    # An existing membership keeps its role: a token never changes someone's rights.
    assert _membership(db, "twice@example.com", "acme") == [(tokens[0][0], "member")]


def test_token_for_an_existing_user_joins_them_to_the_workspace(cli: Cli, world: World, db: Conn) -> None:
    world.workspace("acme")
    user = world.user("known@example.com")

    _secret(cli("token", "create", "--email", "known@example.com", "--workspace", "acme"))

    assert [t[0] for t in _tokens_of(db, "known@example.com")] == [user]
    assert _membership(db, "known@example.com", "acme") == [(user, "member")]


def test_role_option_sets_the_role_of_a_new_membership(cli: Cli, world: World, db: Conn) -> None:
    world.workspace("acme")

    _secret(cli("token", "create", "--email", "boss@example.com", "--workspace", "acme", "--role", "admin"))

    [(_, role)] = _membership(db, "boss@example.com", "acme")
    assert role == "admin"


def test_expires_in_days_sets_expiry_that_many_days_ahead(cli: Cli, world: World, db: Conn) -> None:
    world.workspace("acme")
    before = datetime.datetime.now(datetime.UTC)

    result = cli(
        "token", "create", "--email", "temp@example.com", "--workspace", "acme", "--expires-in-days", "3"
    )

    after = datetime.datetime.now(datetime.UTC)
    _secret(result)
    [(_, _, _, expires_at, _, _)] = _tokens_of(db, "temp@example.com")
    assert isinstance(expires_at, datetime.datetime)
    three_days = datetime.timedelta(days=3)
    assert before + three_days <= expires_at <= after + three_days


async def test_created_token_authenticates_against_the_api(cli: Cli, world: World, client: Client) -> None:
    world.workspace("acme")
    result = await asyncio.to_thread(
        cli, "token", "create", "--email", "api@example.com", "--workspace", "acme"
    )
    secret = _secret(result)
    url = "/api/dashboard/usage/daily"

    accepted = await client.get(
        url, params={"workspace_slug": "acme"}, headers={"Authorization": f"Bearer {secret}"}
    )
    refused = await client.get(
        url, params={"workspace_slug": "acme"}, headers={"Authorization": f"Bearer {secret}x"}
    )

    assert accepted.status_code == 200, accepted.text
    assert refused.status_code == 401


# ---- token list and revoke ----------------------------------------------------------------


def test_token_list_shows_every_token_and_its_state_but_never_a_digest(
    cli: Cli, world: World, db: Conn
) -> None:
    ws = world.workspace("acme")
    ann = world.user("ann@example.com")
    bob = world.user("bob@example.com")
    world.member(ws, ann)
    world.token(ann)
    world.token(bob, revoked=True)
    world.token(bob, expires_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    digests = [str(row[0]) for row in db.execute("SELECT token_hash FROM personal_access_token")]

    everyone = cli("token", "list")
    only_bob = cli("token", "list", "--email", "bob@example.com")

    assert everyone.returncode == 0, everyone.stderr
    lines = everyone.stdout.splitlines()
    assert lines[0] == "3 token(s)"
    states = sorted((line.split()[3], line.split()[2]) for line in lines[1:])
    assert states == [
        ("ann@example.com", "active"),
        ("bob@example.com", "expired"),
        ("bob@example.com", "revoked"),
    ]
    assert not any(digest in everyone.stdout for digest in digests)
    assert only_bob.stdout.splitlines()[0] == "2 token(s)"
    assert "ann@example.com" not in only_bob.stdout


async def test_a_revoked_token_is_refused_by_the_api_at_once(cli: Cli, world: World, client: Client) -> None:
    world.workspace("acme")
    created = await asyncio.to_thread(
        cli, "token", "create", "--email", "gone@example.com", "--workspace", "acme"
    )
    secret = _secret(created)
    token_id = created.stdout.split()[1]
    params = {"workspace_slug": "acme"}
    headers = {"Authorization": f"Bearer {secret}"}
    before = await client.get("/api/dashboard/usage/daily", params=params, headers=headers)

    revoked = await asyncio.to_thread(cli, "token", "revoke", token_id)
    again = await asyncio.to_thread(cli, "token", "revoke", token_id)
    after = await client.get("/api/dashboard/usage/daily", params=params, headers=headers)

    assert before.status_code == 200, before.text
    assert revoked.stdout == f"token {token_id} revoked\n"
    assert again.returncode == 0
    assert again.stdout == f"token {token_id} was already revoked\n"
    assert after.status_code == 401


def test_revoking_an_unknown_or_malformed_id_fails_with_one_line(cli: Cli, world: World, db: Conn) -> None:
    world.token(world.user("keep@example.com"))

    unknown = cli("token", "revoke", str(uuid.uuid4()))
    malformed = cli("token", "revoke", "udt_abc")

    assert "no token with id" in assert_one_line_error(unknown, 1)
    assert "UUID" in assert_one_line_error(malformed, 2)
    assert db.execute("SELECT revoked FROM personal_access_token").fetchall() == [(False,)]


def test_token_for_a_missing_workspace_fails_with_one_line(cli: Cli, db: Conn) -> None:
    before = _row_counts(db)

    result = cli("token", "create", "--email", "lost@example.com", "--workspace", "nowhere")

    line = assert_one_line_error(result, 1)
    assert "nowhere" in line
    assert "workspace" in line
    assert result.stdout == ""
    assert _row_counts(db) == before


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--email", "a@example.com", "--workspace", "acme", "--role", "boss"], "--role"),
        (["--email", "a@example.com", "--workspace", "acme", "--expires-in-days", "0"], "--expires-in-days"),
        (["--email", "a@example.com", "--workspace", "acme", "--expires-in-days", "x"], "--expires-in-days"),
        (["--workspace", "acme"], "--email"),
        (["--email", "a@example.com"], "--workspace"),
    ],
    ids=["bad-role", "zero-days", "days-not-a-number", "no-email", "no-workspace"],
)
def test_token_create_bad_arguments_fail_with_one_line(
    offline_cli: Cli, args: list[str], needle: str
) -> None:
    """Rejected while parsing: the unreachable database proves no connection was attempted."""
    result = offline_cli("token", "create", *args)

    line = assert_one_line_error(result, 2)
    assert needle in line
    assert "cannot connect" not in line


def test_token_create_with_a_bad_email_fails_with_one_line(cli: Cli, world: World, db: Conn) -> None:
    world.workspace("acme")
    before = _row_counts(db)

    result = cli("token", "create", "--email", "not-an-email", "--workspace", "acme")

    assert "not-an-email" in assert_one_line_error(result, 1)
    assert _row_counts(db) == before


# ---- seed --------------------------------------------------------------------------------

SEED_PLAN = [
    "--agents",
    "3",
    "--projects",
    "2",
    "--days",
    "5",
    "--tasks-per-day",
    "20",
    "--random-seed",
    "7",
]


def _seeded_counts(conn: Conn, slug: str) -> dict[str, int]:
    row = conn.execute(
        """
        SELECT
            (SELECT count(*) FROM agent WHERE workspace_id = w.id),
            (SELECT count(*) FROM project WHERE workspace_id = w.id),
            (SELECT count(*) FROM agent_task_queue AS t JOIN agent AS a ON a.id = t.agent_id
                WHERE a.workspace_id = w.id),
            (SELECT count(*) FROM task_usage AS u JOIN agent_task_queue AS t ON t.id = u.task_id
                JOIN agent AS a ON a.id = t.agent_id WHERE a.workspace_id = w.id)
        FROM workspace AS w WHERE w.slug = %s
        """,
        (slug,),
    ).fetchone()
    assert row is not None, f"no workspace {slug}"
    return dict(zip(["agents", "projects", "tasks", "usage"], map(int, row), strict=True))


def _usage_by_day(conn: Conn) -> list[tuple[Any, ...]]:
    """Token sums per day, days counted back from the newest usage row.

    The CLI anchors the history at the current instant, so two runs a second apart may straddle
    a UTC midnight; counting days back from the history's own end makes the buckets comparable.
    """
    return conn.execute(
        """
        WITH aged AS (
            SELECT
                floor(extract(EPOCH FROM (max(created_at) OVER () - created_at)) / 86400)::int AS day,
                u.*
            FROM task_usage AS u
        )
        SELECT day, model, sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
            sum(cache_write_tokens), count(*)
        FROM aged
        GROUP BY day, model
        ORDER BY day, model
        """
    ).fetchall()


def _usage_by_task(conn: Conn) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT task_id, provider, model, input_tokens, output_tokens, cache_read_tokens,"
        " cache_write_tokens FROM task_usage ORDER BY 1, 2, 3"
    ).fetchall()


def test_seed_writes_the_planned_workspace(cli: Cli, db: Conn) -> None:
    result = cli("seed", "--workspace", "s1", *SEED_PLAN)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    counts = _seeded_counts(db, "s1")
    assert counts["usage"] > 0
    assert {k: v for k, v in counts.items() if k != "usage"} == {"agents": 3, "projects": 2, "tasks": 100}
    assert str(counts["usage"]) in result.stdout


def test_seed_leaves_statistics_for_the_tables_it_filled(cli: Cli, db: Conn) -> None:
    result = cli("seed", "--workspace", "s1", *SEED_PLAN)

    assert result.returncode == 0, result.stderr
    analyzed = db.execute(
        "SELECT relname FROM pg_stat_user_tables"
        " WHERE relname IN ('agent_task_queue', 'task_usage', 'issue') AND last_analyze IS NOT NULL"
        " ORDER BY 1"
    ).fetchall()
    assert analyzed == [("agent_task_queue",), ("issue",), ("task_usage",)]


def test_seed_is_deterministic_across_databases(cli: Cli, db: Conn, second_database_url: str) -> None:
    other = Cli(second_database_url, cli.data_dir)

    first = cli("seed", "--workspace", "s1", *SEED_PLAN)
    second = other("seed", "--workspace", "s1", *SEED_PLAN)

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    with psycopg.connect(second_database_url, autocommit=True) as other_db:
        by_day = _usage_by_day(db)
        assert len({row[0] for row in by_day}) >= 5
        assert _usage_by_day(other_db) == by_day
        assert _usage_by_task(other_db) == _usage_by_task(db)


def test_seed_of_an_existing_slug_fails_and_changes_nothing(cli: Cli, world: World, db: Conn) -> None:
    world.workspace("taken")
    before = _row_counts(db)

    result = cli("seed", "--workspace", "taken", *SEED_PLAN)

    assert result.returncode == 1, result.stderr
    assert _row_counts(db) == before
    assert "taken" in assert_one_line_error(result, 1)


@pytest.mark.parametrize("slug", ["", " ", "Acme", "a b", "-lead", "a/b", "x" * 64, "caf\u00e9"])
def test_seed_refuses_a_slug_the_api_could_not_reach(cli: Cli, db: Conn, slug: str) -> None:
    before = _row_counts(db)

    result = cli("seed", f"--workspace={slug}", *SEED_PLAN)

    assert "invalid workspace slug" in assert_one_line_error(result, 2)
    assert _row_counts(db) == before


@pytest.mark.parametrize(
    ("option", "value"),
    [("--agents", "0"), ("--days", "x"), ("--tasks-per-day", "-5"), ("--random-seed", "1.5")],
)
def test_seed_bad_numbers_fail_with_one_line(offline_cli: Cli, option: str, value: str) -> None:
    result = offline_cli("seed", "--workspace", "s1", option, value)

    line = assert_one_line_error(result, 2)
    assert option in line
    assert "cannot connect" not in line


# ---- migrate -----------------------------------------------------------------------------


def test_migrate_without_action_applies_every_version(tmp_path: Path, empty_database_url: str) -> None:
    result = Cli(empty_database_url, tmp_path)("migrate")

    assert result.returncode == 0, result.stderr
    versions = [m.version for m in discover()]
    functions = discover_functions()
    assert result.stdout.splitlines() == [
        f"applied: {', '.join(versions)}",
        f"function files applied: {len(functions)}",
        f"shipped price versions loaded or changed: {len(shipped_prices())}",
    ]
    with psycopg.connect(empty_database_url) as conn:
        rows = conn.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == versions


def test_migrate_status_prints_every_version(cli: Cli) -> None:
    result = cli("migrate", "status")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    migrations = discover()
    functions = discover_functions()
    assert len(lines) == len(migrations) + len(functions)
    for line, migration in zip(lines, migrations, strict=False):
        assert line.split()[:2] == [migration.version, "applied"]
        assert line.split()[-1] == migration.name
    for line, function in zip(lines[len(migrations) :], functions, strict=True):
        assert line.split()[:2] == ["fn", "applied"]
        assert line.split()[-1] == f"functions/{function.name}.sql"


@pytest.mark.parametrize("target", ["x", "00001", "-1"])
def test_migrate_down_to_a_bad_version_fails_with_one_line(offline_cli: Cli, target: str) -> None:
    result = offline_cli("migrate", "down", "--to", target)

    line = assert_one_line_error(result, 2)
    assert "--to" in line
    assert "cannot connect" not in line


def test_migrate_down_to_an_unknown_version_changes_nothing(cli: Cli, db: Conn) -> None:
    before = _public_tables(db)

    result = cli("migrate", "down", "--to", "9999")

    assert "9999" in assert_one_line_error(result, 1)
    assert _public_tables(db) == before


@pytest.mark.parametrize(
    "command",
    [
        ["migrate", "status"],
        ["token", "create", "--email", "a@example.com", "--workspace", "acme"],
        ["seed", "--workspace", "s1", "--days", "1", "--tasks-per-day", "1"],
    ],
    ids=["migrate", "token", "seed"],
)
def test_unreachable_database_fails_with_one_line(offline_cli: Cli, command: list[str]) -> None:
    result = offline_cli(*command)

    line = assert_one_line_error(result, 1)
    assert "cannot connect" in line
    assert result.stdout == ""


def test_serve_with_a_bad_port_fails_before_starting(offline_cli: Cli) -> None:
    result = offline_cli("serve", env={"PORT": "eighty"})

    line = assert_one_line_error(result, 1)
    assert "PORT" in line
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (["--port", "99999"], {}, 2, "--port"),
        (["--port", "0"], {}, 2, "--port"),
        (["--host", "999.1.1.1"], {}, 1, "cannot listen on '999.1.1.1'"),
        ([], {"HOST": "999.1.1.1"}, 1, "cannot listen on '999.1.1.1'"),
        ([], {"PORT": "99999"}, 1, "PORT must be between 1 and 65535"),
    ],
    ids=["port-arg", "port-zero", "host-arg", "host-env", "port-env"],
)
def test_serve_with_a_bad_address_fails_with_one_line(
    offline_cli: Cli, args: list[str], env: dict[str, str], code: int, message: str
) -> None:
    result = offline_cli("serve", *args, env=env)

    assert message in assert_one_line_error(result, code)
    assert result.stdout == ""


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_serve_refuses_a_port_another_server_listens_on(offline_cli: Cli, host: str) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]

        result = offline_cli("serve", "--host", host, "--port", str(port))

    assert f"port {port} on {host} is already in use" in assert_one_line_error(result, 1)
    assert result.stdout == ""


# ---- prices ------------------------------------------------------------------------------

PRICE_ARGS = ("--input", "0.5", "--output", "4", "--cache-read", "0.05", "--cache-write", "0.5")


def test_a_second_backfill_says_the_rollup_already_matched(cli: Cli, world: World) -> None:
    ws = world.workspace("acme")
    world.usage(world.task(world.agent(ws)), input_tokens=5)

    first = cli("backfill")
    second = cli("backfill")

    assert first.returncode == 0, first.stderr
    assert re.search(r"backfilled \d+ slice\(s\): [1-9]\d* rollup row\(s\) written", first.stdout)
    assert second.returncode == 0, second.stderr
    assert "the rollup already matched the raw rows" in second.stdout
    assert "0 rollup row" not in second.stdout


def _operator_prices(database_url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT key, effective_from, input, output, cache_read, cache_write"
            " FROM model_price ORDER BY 1, 2"
        ).fetchall()


def test_prices_list_shows_the_version_in_effect_on_a_day_with_its_source(cli: Cli) -> None:
    before = cli("prices", "list", "--at", "2026-08-31")
    after = cli("prices", "list", "--at", "2026-09-01")

    assert before.returncode == 0, before.stderr
    assert (
        before.stdout.splitlines()[0] == "prices in effect on 2026-08-31 (USD per million tokens), 61 key(s):"
    )
    [sonnet_before] = [line for line in before.stdout.splitlines() if line.startswith("claude-sonnet-5 ")]
    [sonnet_after] = [line for line in after.stdout.splitlines() if line.startswith("claude-sonnet-5 ")]
    assert "from 1970-01-01" in sonnet_before
    assert "input=2 " in sonnet_before
    assert "from 2026-09-01" in sonnet_after
    assert "input=3 " in sonnet_after
    assert sonnet_after.endswith("(shipped)")


def test_prices_set_adds_an_operator_version_that_list_shows(cli: Cli) -> None:
    result = cli("prices", "set", "gpt-5.5-mini", "--from", "2026-10-01", *PRICE_ARGS)

    assert result.returncode == 0, result.stderr
    assert _operator_prices(cli.database_url) == [
        (
            "gpt-5.5-mini",
            datetime.date(2026, 10, 1),
            Decimal("0.5"),
            Decimal("4"),
            Decimal("0.05"),
            Decimal("0.5"),
        )
    ]
    listed = cli("prices", "list", "--at", "2026-10-01").stdout
    assert any(
        line.startswith("gpt-5.5-mini ") and line.endswith("(operator)") for line in listed.splitlines()
    )
    assert "gpt-5.5-mini" not in cli("prices", "list", "--at", "2026-09-30").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-10-01", "--input", "-1", *PRICE_ARGS[2:]), "must not be negative"),
        (("--from", "2026-10-01", "--input", "0.12345", *PRICE_ARGS[2:]), "at most 4 decimals"),
        (("--from", "2026-10-01", "--input", "abc", *PRICE_ARGS[2:]), "must be a number"),
        (("--from", "2026-13-01", *PRICE_ARGS), "must be a date"),
        (("--from", "yesterday", *PRICE_ARGS), "must be a date"),
        (("--from", "1969-12-31", *PRICE_ARGS), "1970-01-01 or later"),
    ],
)
def test_prices_set_refuses_bad_input_with_one_line_and_writes_nothing(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    line = assert_one_line_error(cli("prices", "set", "gpt-5.5-mini", *args))

    assert message in line
    assert _operator_prices(cli.database_url) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("key,effective_from,input,output,cache_read,cache_write,extra\n", "unknown column(s) extra"),
        ("key,effective_from,input,output,cache_read\n", "missing column(s) cache_write"),
        ("", "empty file"),
        (
            "key,effective_from,input,output,cache_read,cache_write\n"
            "a,2026-01-01,1,1,1,1\n"
            "b,2026-01-01,1,-1,1,1\n",
            "line 3: output must not be negative",
        ),
        (
            "key,effective_from,input,output,cache_read,cache_write\n"
            "a,2026-01-01,1,1,1,1\n"
            "a,2026-01-01,2,2,2,2\n",
            "line 3: a from 2026-01-01 appears twice",
        ),
        ("key,effective_from,input,output,cache_read,cache_write\na,2026-02-30,1,1,1,1\n", "must be a date"),
    ],
    ids=["unknown-column", "missing-column", "empty", "negative", "duplicate", "bad-date"],
)
def test_prices_import_is_all_or_nothing(cli: Cli, tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(text)

    line = assert_one_line_error(cli("prices", "import", str(path)))

    assert message in line
    assert _operator_prices(cli.database_url) == []


def test_prices_import_of_a_missing_file_is_one_line(cli: Cli, tmp_path: Path) -> None:
    line = assert_one_line_error(cli("prices", "import", str(tmp_path / "absent.csv")))

    assert "cannot read" in line


def test_prices_export_then_import_round_trips_every_version(
    cli: Cli, second_database_url: str, tmp_path: Path
) -> None:
    assert cli("prices", "set", "gpt-5.5-mini", "--from", "2026-10-01", *PRICE_ARGS).returncode == 0
    exported = cli("prices", "export")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.splitlines()[0] == "key,effective_from,input,output,cache_read,cache_write"
    assert len(exported.stdout.splitlines()) == 1 + 62 + 1
    path = tmp_path / "prices.csv"
    path.write_text(exported.stdout)

    other = Cli(second_database_url, tmp_path / "other")
    result = other("prices", "import", str(path))

    assert result.returncode == 0, result.stderr
    # An import writes operator versions: every line becomes one, with the same prices.
    assert other("prices", "export").stdout == exported.stdout
    assert len(_operator_prices(second_database_url)) == 63


# ---- serve's embedded demo -----------------------------------------------------------------


def test_every_embedded_start_gives_a_fresh_expiring_owner_token_of_the_demo(
    database_url: str, world: World, db: Conn
) -> None:
    world.workspace(DEMO_SLUG)
    settings = load_settings({})
    first = asyncio.run(_prepare_embedded_demo(database_url, settings))
    second = asyncio.run(_prepare_embedded_demo(database_url, settings))

    assert first is not None
    assert second is not None
    assert first.secret != second.secret
    for token in (first, second):
        row = db.execute(
            "SELECT m.role, p.expires_at FROM personal_access_token AS p"
            " JOIN member AS m ON m.user_id = p.user_id"
            " WHERE p.token_hash = %s AND NOT p.revoked",
            (hashlib.sha256(token.secret.encode()).hexdigest(),),
        ).fetchone()
        assert row is not None
        role, expires_at = row
        assert role == "owner"
        left = expires_at - datetime.datetime.now(datetime.UTC)
        assert datetime.timedelta(days=DEMO_TOKEN_DAYS - 1) < left <= datetime.timedelta(days=DEMO_TOKEN_DAYS)


def test_an_embedded_start_without_the_demo_workspace_makes_no_token(
    database_url: str, world: World, db: Conn
) -> None:
    world.workspace("ours")
    assert asyncio.run(_prepare_embedded_demo(database_url, load_settings({}))) is None
    assert db.execute("SELECT count(*) FROM personal_access_token").fetchone() == (0,)


def test_serve_prints_the_embedded_servers_url_and_other_commands_find_that_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    conninfo = start_embedded(data_dir, cleanup="delete")
    Runner(conninfo).up()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        World(conn).workspace("ours")
    embedded = Cli("", data_dir)
    env = {"USAGE_DASHBOARD_DATA_DIR": str(data_dir), "USAGE_DASHBOARD_ROLLUP_ENABLED": "false"}
    serve = start_serve("--port", str(free_port()), env=env)
    try:
        assert serve.stdout is not None
        printed = next(line for line in serve.stdout if line.startswith("embedded PostgreSQL: "))
        created = embedded("token", "create", "--email", "me@example.com", "--workspace", "ours")
        # Stopped once its worker is up: this test is about the URL, not a signal during start-up.
        next(line for line in serve.stdout if "Started worker-1" in line)
    finally:
        serve.terminate()
        serve.communicate(timeout=60)

    url = printed.removeprefix("embedded PostgreSQL: ").strip()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT slug FROM workspace").fetchall() == [("ours",)]
        tokens = conn.execute("SELECT count(*) FROM personal_access_token").fetchone()
    assert created.returncode == 0, created.stderr
    assert tokens == (1,)
