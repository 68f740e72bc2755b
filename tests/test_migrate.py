"""The migration runner against real PostgreSQL, and the schema the migrations produce."""

from __future__ import annotations

import datetime
import hashlib
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from app.db.migrate import Migration, MigrationError, Runner, discover, discover_functions
from tests.world import World

Conn = psycopg.Connection[tuple[Any, ...]]

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"

TS = "timestamp with time zone"

# Every table and column of the platform schema the service reads: (data_type, nullable).
# Foreign keys that own a row (workspace_id, user_id, agent_id, task_id) are read as not null, as
# on the platform; the ones schema.md calls nullable (owner_id, project_id, issue_id) are nullable.
EXPECTED_COLUMNS: dict[str, dict[str, tuple[str, bool]]] = {
    "workspace": {
        "id": ("uuid", False),
        "name": ("text", False),
        "slug": ("text", False),
        "created_at": (TS, False),
        "updated_at": (TS, False),
    },
    "user": {
        "id": ("uuid", False),
        "name": ("text", False),
        "email": ("text", False),
        "created_at": (TS, False),
        "updated_at": (TS, False),
    },
    "member": {
        "id": ("uuid", False),
        "workspace_id": ("uuid", False),
        "user_id": ("uuid", False),
        "role": ("text", False),
        "created_at": (TS, False),
    },
    "personal_access_token": {
        "id": ("uuid", False),
        "user_id": ("uuid", False),
        "name": ("text", False),
        "token_hash": ("text", False),
        "token_prefix": ("text", False),
        "expires_at": (TS, True),
        "last_used_at": (TS, True),
        "revoked": ("boolean", False),
        "created_at": (TS, False),
    },
    "agent_runtime": {
        "id": ("uuid", False),
        "workspace_id": ("uuid", False),
        "name": ("text", False),
        "provider": ("text", False),
        "created_at": (TS, False),
        "updated_at": (TS, False),
    },
    "agent": {
        "id": ("uuid", False),
        "workspace_id": ("uuid", False),
        "runtime_id": ("uuid", False),
        "name": ("text", False),
        "visibility": ("text", False),
        "owner_id": ("uuid", True),
        "archived_at": (TS, True),
        "created_at": (TS, False),
        "updated_at": (TS, False),
    },
    "project": {
        "id": ("uuid", False),
        "workspace_id": ("uuid", False),
        "title": ("text", False),
        "status": ("text", False),
        "created_at": (TS, False),
        "updated_at": (TS, False),
    },
    "issue": {
        "id": ("uuid", False),
        "workspace_id": ("uuid", False),
        "title": ("text", False),
        "status": ("text", False),
        "creator_type": ("text", False),
        "creator_id": ("uuid", False),
        "project_id": ("uuid", True),
        "number": ("integer", False),
        "created_at": (TS, False),
        "updated_at": (TS, False),
    },
    "agent_task_queue": {
        "id": ("uuid", False),
        "agent_id": ("uuid", False),
        "issue_id": ("uuid", True),
        "runtime_id": ("uuid", False),
        "status": ("text", False),
        "created_at": (TS, False),
        "dispatched_at": (TS, True),
        "started_at": (TS, True),
        "completed_at": (TS, True),
        "error": ("text", True),
        "failure_reason": ("text", True),
    },
    "task_usage": {
        "id": ("uuid", False),
        "task_id": ("uuid", False),
        "provider": ("text", False),
        "model": ("text", False),
        "input_tokens": ("bigint", False),
        "output_tokens": ("bigint", False),
        "cache_read_tokens": ("bigint", False),
        "cache_write_tokens": ("bigint", False),
        "cost_usd_ticks": ("bigint", True),
        "created_at": (TS, False),
        "updated_at": (TS, True),
    },
}

# Defaults schema.md spells out.
EXPECTED_DEFAULTS: list[tuple[str, str, str]] = [
    ("workspace", "id", "gen_random_uuid()"),
    ("workspace", "created_at", "now()"),
    ("workspace", "updated_at", "now()"),
    ("personal_access_token", "revoked", "false"),
    ("agent", "visibility", "'private'::text"),
    ("project", "status", "'planned'::text"),
    ("issue", "status", "'backlog'::text"),
    ("issue", "number", "0"),
    ("agent_task_queue", "status", "'queued'::text"),
    ("agent_task_queue", "created_at", "now()"),
    ("task_usage", "provider", "''::text"),
    ("task_usage", "input_tokens", "0"),
    ("task_usage", "output_tokens", "0"),
    ("task_usage", "cache_read_tokens", "0"),
    ("task_usage", "cache_write_tokens", "0"),
    ("task_usage", "created_at", "now()"),
    ("task_usage", "updated_at", "now()"),
]

# CHECK (column IN (...)) constraints of schema.md.
EXPECTED_CHECKS: list[tuple[str, str, set[str]]] = [
    ("member", "role", {"owner", "admin", "member"}),
    ("agent", "visibility", {"workspace", "private"}),
    ("issue", "creator_type", {"member", "agent"}),
    (
        "agent_task_queue",
        "status",
        {"queued", "dispatched", "running", "completed", "failed", "cancelled"},
    ),
]

EXPECTED_UNIQUE: list[tuple[str, tuple[str, ...]]] = [
    ("workspace", ("slug",)),
    ("user", ("email",)),
    ("member", ("workspace_id", "user_id")),
    ("personal_access_token", ("token_hash",)),
    ("task_usage", ("task_id", "provider", "model")),
    ("issue", ("workspace_id", "number")),
    ("agent", ("workspace_id", "name")),
]

# (table, column) -> (referenced table, ON DELETE rule); None when schema.md declares no rule.
EXPECTED_FOREIGN_KEYS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("member", "workspace_id"): ("workspace", "CASCADE"),
    ("member", "user_id"): ("user", "CASCADE"),
    ("personal_access_token", "user_id"): ("user", "CASCADE"),
    ("agent_runtime", "workspace_id"): ("workspace", "CASCADE"),
    ("agent", "workspace_id"): ("workspace", "CASCADE"),
    ("agent", "runtime_id"): ("agent_runtime", "RESTRICT"),
    ("agent", "owner_id"): ("user", None),
    ("project", "workspace_id"): ("workspace", "CASCADE"),
    ("issue", "workspace_id"): ("workspace", "CASCADE"),
    ("issue", "project_id"): ("project", "SET NULL"),
    ("agent_task_queue", "agent_id"): ("agent", "CASCADE"),
    ("agent_task_queue", "issue_id"): ("issue", "CASCADE"),
    ("agent_task_queue", "runtime_id"): ("agent_runtime", "CASCADE"),
    ("task_usage", "task_id"): ("agent_task_queue", "CASCADE"),
}

_DELETE_RULES = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}

TERMINAL = {"completed", "failed", "cancelled"}

# The runner's own tables: versions applied, function files applied, function snapshots.
BOOKKEEPING = ("schema_migrations", "schema_functions", "schema_function_snapshots")

# The last version whose functions were defined in versioned files (before migrations/functions).
LAST_VERSION_BEFORE_FUNCTION_FILES = "0004"


@pytest.fixture(scope="module")
def schema_url(pg_server: str, template_database: str) -> Iterator[str]:
    """One migrated database shared by the read-only schema checks of this module."""
    name = f"ud_schema_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    try:
        yield make_conninfo(pg_server, dbname=name)
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- catalog helpers ---------------------------------------------------------------------


def _connect(url: str) -> Conn:
    return psycopg.connect(url, autocommit=True)


def _quoted_values(text: str) -> set[str]:
    """The string literals of a deparsed expression: ARRAY['a'::text, 'b'::text] -> {a, b}."""
    return set(re.findall(r"'([^']*)'", text))


def _public_relations(conn: Conn) -> set[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public'"
    ).fetchall()
    return {str(r[0]) for r in rows}


def _public_tables(conn: Conn) -> set[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    ).fetchall()
    return {str(r[0]) for r in rows}


def _indexes(conn: Conn, table: str) -> list[tuple[str, tuple[str, ...], str | None, bool]]:
    """(name, key columns in order, predicate or None, unique) of every index of a table."""
    rows = conn.execute(
        """
        SELECT
            ic.relname,
            array(
                SELECT a.attname
                FROM unnest(ix.indkey) WITH ORDINALITY AS k (attnum, ord)
                JOIN pg_attribute AS a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
                ORDER BY k.ord
            ),
            pg_get_expr(ix.indpred, ix.indrelid),
            ix.indisunique,
            ix.indexprs IS NOT NULL
        FROM pg_index AS ix
        JOIN pg_class AS ic ON ic.oid = ix.indexrelid
        WHERE ix.indrelid = to_regclass(%s)
        """,
        (f'public."{table}"',),
    ).fetchall()
    return [
        (str(name), tuple(cols), pred, bool(unique))
        for name, cols, pred, unique, has_exprs in rows
        if not has_exprs
    ]


def _snapshot(conn: Conn) -> dict[str, list[tuple[Any, ...]]]:
    """Everything of ours in the catalog, by name and definition (never by oid)."""
    queries = {
        "relations": "SELECT c.relname, c.relkind, c.relpersistence FROM pg_class AS c"
        " JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
        "columns": "SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable,"
        " column_default, character_maximum_length, numeric_precision, is_identity, is_generated"
        " FROM information_schema.columns WHERE table_schema = 'public'",
        "constraints": "SELECT cl.relname, co.conname, co.contype, pg_get_constraintdef(co.oid),"
        " co.condeferrable, co.condeferred FROM pg_constraint AS co"
        " JOIN pg_class AS cl ON cl.oid = co.conrelid"
        " JOIN pg_namespace AS n ON n.oid = co.connamespace WHERE n.nspname = 'public'",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
        "triggers": "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger AS t"
        " JOIN pg_class AS c ON c.oid = t.tgrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND NOT t.tgisinternal",
        "functions": "SELECT p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc)"
        " FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public'",
        "views": "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public'",
        "matviews": "SELECT matviewname, definition FROM pg_matviews WHERE schemaname = 'public'",
        "types": "SELECT t.typname, t.typtype FROM pg_type AS t"
        " WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('c', 'd', 'e', 'm', 'r')"
        " AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class AS c WHERE c.oid = t.typrelid) = 'c')",
        "extensions": "SELECT extname FROM pg_extension",
        "schemas": "SELECT nspname FROM pg_namespace"
        " WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'",
    }
    return {key: sorted(conn.execute(sql).fetchall(), key=repr) for key, sql in queries.items()}


def _recorded(conn: Conn) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
    ).fetchall()


def _versions() -> list[str]:
    return [m.version for m in discover()]


def _copy_migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, folder)
    return folder


def _add_probe_migration(folder: Path, table: str) -> str:
    """Appends a migration after the last one that creates `table`; returns its version."""
    version = f"{int(discover(folder)[-1].version) + 1:04d}"
    (folder / f"{version}_probe_{table}.up.sql").write_text(f"CREATE TABLE {table} (id int);\n")
    (folder / f"{version}_probe_{table}.down.sql").write_text(f"DROP TABLE {table};\n")
    return version


def _edit(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n-- edited after it was applied\n")


# ---- up ----------------------------------------------------------------------------------


def test_up_from_empty_applies_every_version_and_records_it(empty_database_url: str) -> None:
    files = sorted(MIGRATIONS.glob("*.up.sql"))
    with _connect(empty_database_url) as conn:
        before = conn.execute("SELECT clock_timestamp()").fetchone()
        applied = Runner(empty_database_url).up()
        after = conn.execute("SELECT clock_timestamp()").fetchone()
        rows = _recorded(conn)

    assert before is not None
    assert after is not None
    assert files, "no migrations found"
    expected = [
        (f.name[:4], f.name[5 : -len(".up.sql")], hashlib.sha256(f.read_bytes()).hexdigest()) for f in files
    ]
    assert applied == [version for version, _, _ in expected]
    assert [(v, n, c) for v, n, c, _ in rows] == expected
    for *_, applied_at in rows:
        assert isinstance(applied_at, datetime.datetime)
        assert before[0] <= applied_at <= after[0]


def test_up_twice_is_a_no_op(empty_database_url: str) -> None:
    Runner(empty_database_url).up()
    with _connect(empty_database_url) as conn:
        recorded = _recorded(conn)
        snapshot = _snapshot(conn)

        assert Runner(empty_database_url).up() == []

        assert _recorded(conn) == recorded
        assert _snapshot(conn) == snapshot


# ---- the schema of schema.md -------------------------------------------------------------


def test_every_declared_column_has_its_type_and_nullability(schema_url: str) -> None:
    with _connect(schema_url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_schema = 'public'"
        ).fetchall()
    actual: dict[str, dict[str, tuple[str, bool]]] = {}
    for table, column, data_type, nullable in rows:
        actual.setdefault(str(table), {})[str(column)] = (str(data_type), nullable == "YES")

    problems = []
    for table, columns in EXPECTED_COLUMNS.items():
        if table not in actual:
            problems.append(f"missing table {table}")
            continue
        for column, declared in columns.items():
            found = actual[table].get(column)
            if found != declared:
                problems.append(f"{table}.{column}: declared {declared}, found {found}")
    assert problems == []


def test_every_table_has_its_primary_key_on_id(schema_url: str) -> None:
    with _connect(schema_url) as conn:
        rows = conn.execute(
            "SELECT cl.relname, pg_get_constraintdef(co.oid) FROM pg_constraint AS co"
            " JOIN pg_class AS cl ON cl.oid = co.conrelid WHERE co.contype = 'p'"
            " AND co.connamespace = 'public'::regnamespace"
        ).fetchall()
    primary = {str(table): str(definition) for table, definition in rows}

    assert {t: primary.get(t) for t in EXPECTED_COLUMNS} == dict.fromkeys(
        EXPECTED_COLUMNS, "PRIMARY KEY (id)"
    )


def test_declared_defaults(schema_url: str) -> None:
    with _connect(schema_url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, column_default FROM information_schema.columns"
            " WHERE table_schema = 'public'"
        ).fetchall()
    defaults = {(str(t), str(c)): d for t, c, d in rows}

    assert {(t, c): defaults.get((t, c)) for t, c, _ in EXPECTED_DEFAULTS} == {
        (t, c): d for t, c, d in EXPECTED_DEFAULTS
    }


@pytest.mark.parametrize(
    ("table", "column", "values"), EXPECTED_CHECKS, ids=[f"{t}.{c}" for t, c, _ in EXPECTED_CHECKS]
)
def test_check_constraint_allows_exactly_the_declared_values(
    schema_url: str, table: str, column: str, values: set[str]
) -> None:
    with _connect(schema_url) as conn:
        rows = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'c' AND conrelid = %s::regclass",
            (f'public."{table}"',),
        ).fetchall()
    on_column = [str(r[0]) for r in rows if re.search(rf"\b{column}\b", str(r[0]))]

    assert len(on_column) == 1, on_column
    assert _quoted_values(on_column[0]) == values


@pytest.mark.parametrize(
    ("table", "columns"), EXPECTED_UNIQUE, ids=[f"{t}({','.join(c)})" for t, c in EXPECTED_UNIQUE]
)
def test_declared_unique_key_exists(schema_url: str, table: str, columns: tuple[str, ...]) -> None:
    with _connect(schema_url) as conn:
        indexes = _indexes(conn, table)

    unique_keys = {cols for _, cols, pred, unique in indexes if unique and pred is None}
    assert columns in unique_keys


def test_foreign_keys_reference_the_declared_tables_with_the_declared_delete_rule(schema_url: str) -> None:
    with _connect(schema_url) as conn:
        rows = conn.execute(
            """
            SELECT src.relname, a.attname, dst.relname, co.confdeltype
            FROM pg_constraint AS co
            JOIN pg_class AS src ON src.oid = co.conrelid
            JOIN pg_class AS dst ON dst.oid = co.confrelid
            JOIN pg_attribute AS a ON a.attrelid = co.conrelid AND a.attnum = co.conkey[1]
            WHERE co.contype = 'f' AND cardinality(co.conkey) = 1
                AND co.connamespace = 'public'::regnamespace
            """
        ).fetchall()
    actual = {(str(s), str(c)): (str(d), _DELETE_RULES[str(rule)]) for s, c, d, rule in rows}

    found: dict[tuple[str, str], tuple[str, str | None] | None] = {}
    for key, (_, declared_rule) in EXPECTED_FOREIGN_KEYS.items():
        if key not in actual:
            found[key] = None
            continue
        referenced, rule = actual[key]
        # owner_id's rule is not declared: only where it points is checked.
        found[key] = (referenced, rule if declared_rule is not None else None)
    assert found == EXPECTED_FOREIGN_KEYS


@pytest.mark.parametrize(
    ("table", "columns", "predicate_values", "predicate_column"),
    [
        ("task_usage", ("task_id",), None, None),
        ("task_usage", ("created_at",), None, None),
        ("task_usage", ("updated_at",), None, None),
        ("task_usage", ("created_at",), "IS NULL", "updated_at"),
        ("agent_task_queue", ("agent_id", "status"), None, None),
        ("agent_task_queue", ("issue_id",), None, None),
        ("agent_task_queue", ("completed_at",), "terminal", "status"),
    ],
    ids=[
        "task_usage(task_id)",
        "task_usage(created_at)",
        "task_usage(updated_at)",
        "task_usage(created_at)-where-updated_at-null",
        "agent_task_queue(agent_id,status)",
        "agent_task_queue(issue_id)",
        "agent_task_queue(completed_at)-where-terminal",
    ],
)
def test_declared_index_exists(
    schema_url: str,
    table: str,
    columns: tuple[str, ...],
    predicate_values: str | None,
    predicate_column: str | None,
) -> None:
    with _connect(schema_url) as conn:
        indexes = _indexes(conn, table)

    def matches(cols: tuple[str, ...], pred: str | None) -> bool:
        if cols != columns:
            return False
        if predicate_values is None:
            return pred is None
        if pred is None or predicate_column is None or predicate_column not in pred:
            return False
        if predicate_values == "IS NULL":
            return re.fullmatch(rf"\(?{predicate_column} IS NULL\)?", pred) is not None
        return _quoted_values(pred) == TERMINAL and "NOT" not in pred.upper()

    assert any(matches(cols, pred) for _, cols, pred, _ in indexes), indexes


def test_named_indexes_the_queries_rely_on(schema_url: str) -> None:
    """queries/dashboard.sql names these two indexes in its comments (and the EXPLAIN test)."""
    with _connect(schema_url) as conn:
        by_name = {name: (cols, pred) for name, cols, pred, _ in _indexes(conn, "task_usage")}
        by_name |= {name: (cols, pred) for name, cols, pred, _ in _indexes(conn, "agent_task_queue")}

    assert by_name.get("task_usage_created_at_idx") == (("created_at",), None)
    terminal = by_name.get("agent_task_queue_terminal_completed_at_idx")
    assert terminal is not None
    assert terminal[0] == ("completed_at",)
    assert terminal[1] is not None
    assert _quoted_values(terminal[1]) == TERMINAL


# ---- down and up again -------------------------------------------------------------------


def test_down_to_zero_leaves_only_an_empty_schema_migrations(empty_database_url: str) -> None:
    runner = Runner(empty_database_url)
    with _connect(empty_database_url) as conn:
        runner.status()  # creates schema_migrations and nothing else
        empty = _snapshot(conn)
        runner.up()

        reverted = runner.down("0000")

        assert reverted == list(reversed(_versions()))
        assert _public_tables(conn) == set(BOOKKEEPING)
        assert _public_relations(conn) == set(BOOKKEEPING) | {f"{t}_pkey" for t in BOOKKEEPING}
        assert _recorded(conn) == []
        assert _snapshot(conn) == empty


def test_up_after_down_rebuilds_the_identical_schema(empty_database_url: str) -> None:
    runner = Runner(empty_database_url)
    with _connect(empty_database_url) as conn:
        runner.up()
        first = _snapshot(conn)
        runner.down("0000")

        assert runner.up() == _versions()

        second = _snapshot(conn)
    assert first["indexes"], "the snapshot saw no index"
    assert second == first


def test_each_down_restores_the_schema_its_up_found(empty_database_url: str) -> None:
    """Applying migrations one by one and reverting the newest each time gives back the exact
    catalog before it, function bodies and trigger definitions included."""
    runner = Runner(empty_database_url)
    versions = _versions()
    with _connect(empty_database_url) as conn:
        runner.down("0000")  # creates schema_migrations and nothing else
        for index, version in enumerate(versions):
            before = _snapshot(conn)
            previous = versions[index - 1] if index else "0000"
            runner.up()
            runner.down(previous)
            assert _snapshot(conn) == before, f"{version} down left the schema changed"
            assert runner.up() == versions[index:]
            runner.down(version)


def test_down_to_the_last_version_reverts_nothing(database_url: str) -> None:
    with _connect(database_url) as conn:
        before = _snapshot(conn)

        assert Runner(database_url).down(_versions()[-1]) == []

        assert _snapshot(conn) == before


def test_down_to_an_unknown_version_is_refused(database_url: str) -> None:
    with pytest.raises(MigrationError, match="9999"):
        Runner(database_url).down("9999")


# ---- checksums ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        lambda r: r.up(),
        lambda r: r.down("0000"),
        lambda r: r.baseline(discover()[-1].version),
    ],
    ids=["up", "down", "baseline"],
)
def test_changed_applied_file_is_refused(
    empty_database_url: str, tmp_path: Path, command: Callable[[Runner], object]
) -> None:
    folder = _copy_migrations(tmp_path)
    Runner(empty_database_url, folder=folder).up()
    changed: Migration = discover(folder)[0]
    _edit(changed.up)
    with _connect(empty_database_url) as conn:
        recorded = _recorded(conn)
        tables = _public_tables(conn)

        with pytest.raises(MigrationError) as caught:
            command(Runner(empty_database_url, folder=folder))

        assert _recorded(conn) == recorded
        assert _public_tables(conn) == tables
    message = str(caught.value)
    assert changed.version in message
    assert "changed" in message
    assert "\n" not in message


def test_changed_file_is_accepted_again_once_restored(empty_database_url: str, tmp_path: Path) -> None:
    folder = _copy_migrations(tmp_path)
    Runner(empty_database_url, folder=folder).up()
    up_file = discover(folder)[0].up
    original = up_file.read_bytes()
    _edit(up_file)
    with pytest.raises(MigrationError):
        Runner(empty_database_url, folder=folder).up()

    up_file.write_bytes(original)

    assert Runner(empty_database_url, folder=folder).up() == []


def test_applied_version_without_a_file_is_refused(empty_database_url: str, tmp_path: Path) -> None:
    folder = _copy_migrations(tmp_path)
    probe = _add_probe_migration(folder, "vanishing_probe")
    Runner(empty_database_url, folder=folder).up()
    for path in folder.glob(f"{probe}_*.sql"):
        path.unlink()

    with pytest.raises(MigrationError, match=probe):
        Runner(empty_database_url, folder=folder).up()


# ---- baseline ----------------------------------------------------------------------------


def test_baseline_marks_versions_without_running_them(empty_database_url: str, tmp_path: Path) -> None:
    folder = _copy_migrations(tmp_path)
    # Without the tables baseline skipped, the function files' triggers would have no table.
    shutil.rmtree(folder / "functions")
    real = discover(folder)
    probe = _add_probe_migration(folder, "baseline_probe")
    runner = Runner(empty_database_url, folder=folder)

    marked = runner.baseline(real[-1].version)

    assert marked == [m.version for m in real]
    with _connect(empty_database_url) as conn:
        assert _public_tables(conn) == set(BOOKKEEPING)
        assert [(v, n, c) for v, n, c, _ in _recorded(conn)] == [
            (m.version, m.name, m.checksum) for m in real
        ]

        assert runner.up() == [probe]

        assert _public_tables(conn) == {*BOOKKEEPING, "baseline_probe"}
        assert [r[0] for r in _recorded(conn)] == [*(m.version for m in real), probe]


def test_baseline_twice_marks_nothing_new(empty_database_url: str) -> None:
    runner = Runner(empty_database_url)
    last = _versions()[-1]
    runner.baseline(last)

    assert runner.baseline(last) == []


@pytest.mark.parametrize("version", ["9999", "0000"])
def test_baseline_of_an_unknown_version_is_refused(empty_database_url: str, version: str) -> None:
    with pytest.raises(MigrationError, match=version):
        Runner(empty_database_url).baseline(version)

    with _connect(empty_database_url) as conn:
        assert "workspace" not in _public_tables(conn)
        if "schema_migrations" in _public_tables(conn):
            assert _recorded(conn) == []


# ---- concurrency -------------------------------------------------------------------------


def test_concurrent_runners_apply_each_migration_exactly_once(empty_database_url: str) -> None:
    runners = 2
    barrier = threading.Barrier(runners)

    def run() -> list[str]:
        runner = Runner(empty_database_url)
        barrier.wait(timeout=60)
        return runner.up()

    with ThreadPoolExecutor(max_workers=runners) as pool:
        futures = [pool.submit(run) for _ in range(runners)]
        results = [f.result() for f in futures]

    versions = _versions()
    for version in versions:
        assert sum(version in result for result in results) == 1, (version, results)
    assert sorted(v for result in results for v in result) == versions
    with _connect(empty_database_url) as conn:
        assert [r[0] for r in _recorded(conn)] == versions
        assert set(EXPECTED_COLUMNS) <= _public_tables(conn)


# ---- status ------------------------------------------------------------------------------


def test_status_on_an_empty_database_lists_every_version_pending(empty_database_url: str) -> None:
    status = Runner(empty_database_url).status()

    assert [(s.version, s.state, s.applied_at) for s in status] == [(v, "pending", None) for v in _versions()]


def test_status_tells_pending_applied_and_changed_apart(empty_database_url: str, tmp_path: Path) -> None:
    folder = _copy_migrations(tmp_path)
    real = [m.version for m in discover(folder)]
    changed = _add_probe_migration(folder, "changed_probe")
    Runner(empty_database_url, folder=folder).up()
    pending = _add_probe_migration(folder, "pending_probe")
    _edit(next(folder.glob(f"{changed}_*.up.sql")))

    status = Runner(empty_database_url, folder=folder).status()

    assert [(s.version, s.state) for s in status] == [
        *((v, "applied") for v in real),
        (changed, "changed"),
        (pending, "pending"),
    ]
    assert [s.applied_at is not None for s in status] == [True] * (len(real) + 1) + [False]
    assert [s.name for s in status][-2:] == ["probe_changed_probe", "probe_pending_probe"]


# ---- discover ----------------------------------------------------------------------------


def test_discover_orders_the_repository_migrations_by_version() -> None:
    migrations = discover(MIGRATIONS)
    versions = [m.version for m in migrations]

    assert versions == sorted(versions)
    assert len(set(versions)) == len(versions)
    assert all(m.up.exists() and m.down.exists() for m in migrations)


@pytest.mark.parametrize("missing", ["down", "up"])
def test_discover_rejects_a_migration_missing_one_direction(tmp_path: Path, missing: str) -> None:
    (tmp_path / "0001_core.up.sql").write_text("SELECT 1;\n")
    (tmp_path / "0001_core.down.sql").write_text("SELECT 1;\n")
    (tmp_path / "0002_more.up.sql").write_text("SELECT 1;\n")
    (tmp_path / "0002_more.down.sql").write_text("SELECT 1;\n")
    (tmp_path / f"0002_more.{missing}.sql").unlink()

    with pytest.raises(MigrationError, match="0002"):
        discover(tmp_path)


@pytest.mark.parametrize(
    "name",
    [
        "1_core.up.sql",
        "0001-core.up.sql",
        "0001_Core.up.sql",
        "0001_core.sql",
        "0001_core.upgrade.sql",
        "0001_core.up.SQL.sql",
        "notes.sql",
    ],
)
def test_discover_rejects_an_unexpected_file_name(tmp_path: Path, name: str) -> None:
    (tmp_path / "0001_core.up.sql").write_text("SELECT 1;\n")
    (tmp_path / "0001_core.down.sql").write_text("SELECT 1;\n")
    (tmp_path / name).write_text("SELECT 1;\n")

    with pytest.raises(MigrationError, match=re.escape(name)):
        discover(tmp_path)


def test_discover_rejects_two_names_for_one_version(tmp_path: Path) -> None:
    for name in ("0001_core", "0001_other"):
        (tmp_path / f"{name}.up.sql").write_text("SELECT 1;\n")
        (tmp_path / f"{name}.down.sql").write_text("SELECT 1;\n")

    with pytest.raises(MigrationError, match="0001"):
        discover(tmp_path)


def test_unreachable_database_is_one_line_cannot_connect() -> None:
    with pytest.raises(MigrationError) as caught:
        Runner("postgresql://127.0.0.1:1/x?connect_timeout=5").status()

    message = str(caught.value)
    assert message.startswith("cannot connect")
    assert "\n" not in message


# ---- function files ----------------------------------------------------------------------


def _release_before_function_files(tmp_path: Path) -> Path:
    """The migrations folder as the last release before function files shipped it."""
    folder = tmp_path / "old-release"
    folder.mkdir()
    for path in MIGRATIONS.glob("*.sql"):
        if path.name[:4] <= LAST_VERSION_BEFORE_FUNCTION_FILES:
            shutil.copy(path, folder / path.name)
    return folder


@contextmanager
def _another_database(pg_server: str) -> Iterator[str]:
    name = f"ud_fresh_{uuid.uuid4().hex[:12]}"
    with _connect(pg_server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_conninfo(pg_server, dbname=name)
    finally:
        with _connect(pg_server) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_every_function_lives_in_exactly_one_function_file(schema_url: str) -> None:
    """Each of our functions is defined by the function file of its name, nowhere else since."""
    files = {f.name: f.path.read_text(encoding="utf-8") for f in discover_functions()}
    with _connect(schema_url) as conn:
        names = {
            str(r[0])
            for r in conn.execute(
                "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
            ).fetchall()
        }
    assert names == set(files)
    for name, text in files.items():
        assert re.search(rf"CREATE OR REPLACE (FUNCTION|PROCEDURE) {name}\(", text), name
        others = set(re.findall(r"CREATE OR REPLACE (?:FUNCTION|PROCEDURE) (\w+)\(", text)) - {name}
        assert not others, f"{name}.sql also defines {others}"
    later = [m for m in discover() if m.version > LAST_VERSION_BEFORE_FUNCTION_FILES]
    for migration in later:
        for path in (migration.up, migration.down):
            assert not re.search(r"CREATE (OR REPLACE )?(FUNCTION|PROCEDURE|TRIGGER)", path.read_text()), (
                path.name
            )


def test_upgrading_an_old_release_reaches_the_catalog_of_a_fresh_install(
    empty_database_url: str, pg_server: str, tmp_path: Path
) -> None:
    Runner(empty_database_url, _release_before_function_files(tmp_path)).up()
    Runner(empty_database_url).up()
    with _another_database(pg_server) as fresh_url:
        Runner(fresh_url).up()
        with _connect(empty_database_url) as upgraded, _connect(fresh_url) as fresh:
            assert _snapshot(upgraded) == _snapshot(fresh)
            assert _function_definitions(upgraded) == _function_definitions(fresh)


def _function_definitions(conn: Conn) -> list[tuple[Any, ...]]:
    """Every function's full definition (SQL-standard bodies have no prosrc to compare)."""
    return conn.execute(
        "SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid) FROM pg_proc AS p"
        " WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1"
    ).fetchall()


def test_up_applies_a_changed_function_file_and_only_it(empty_database_url: str, tmp_path: Path) -> None:
    folder = _copy_migrations(tmp_path)
    Runner(empty_database_url, folder).up()
    edited = folder / "functions" / "task_usage_dashboard_rollup_step_days.sql"
    edited.write_text(edited.read_text().replace("RETURN 31;", "RETURN 7;"))
    runner = Runner(empty_database_url, folder)

    assert runner.up() == []

    assert runner.functions_applied == ["task_usage_dashboard_rollup_step_days"]
    with _connect(empty_database_url) as conn:
        assert conn.execute("SELECT task_usage_dashboard_rollup_step_days()").fetchone() == (7,)
    again = Runner(empty_database_url, folder)
    again.up()
    assert again.functions_applied == []


def test_status_shows_a_changed_function_file_as_stale(empty_database_url: str, tmp_path: Path) -> None:
    folder = _copy_migrations(tmp_path)
    runner = Runner(empty_database_url, folder)
    assert {f.state for f in runner.functions_status()} == {"pending"}
    runner.up()
    _edit(folder / "functions" / "task_usage_dashboard_rollup_lag_seconds.sql")

    states = {f.name: f.state for f in Runner(empty_database_url, folder).functions_status()}

    assert states.pop("task_usage_dashboard_rollup_lag_seconds") == "stale"
    assert set(states.values()) == {"applied"}


def test_a_removed_function_file_drops_its_function_and_triggers(
    empty_database_url: str, tmp_path: Path
) -> None:
    folder = _copy_migrations(tmp_path)
    Runner(empty_database_url, folder).up()
    (folder / "functions" / "task_usage_dashboard_enqueue_rolled_up_days.sql").unlink()

    Runner(empty_database_url, folder).up()

    with _connect(empty_database_url) as conn:
        assert conn.execute(
            "SELECT to_regproc('task_usage_dashboard_enqueue_rolled_up_days')"
        ).fetchone() == (None,)
        triggers = conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgname = 'task_usage_dashboard_usage_truncate'"
        ).fetchall()
        assert triggers == []
        names = [r[0] for r in conn.execute("SELECT name FROM schema_functions").fetchall()]
        assert "task_usage_dashboard_enqueue_rolled_up_days" not in names


def test_a_function_file_that_leaves_two_overloads_is_refused(
    empty_database_url: str, tmp_path: Path
) -> None:
    folder = _copy_migrations(tmp_path)
    Runner(empty_database_url, folder).up()
    edited = folder / "functions" / "task_usage_dashboard_rollup_step_days.sql"
    edited.write_text(edited.read_text().replace("step_days()", "step_days(p_scale int)"))

    with pytest.raises(MigrationError, match="several functions named task_usage_dashboard_rollup_step_days"):
        Runner(empty_database_url, folder).up()

    with _connect(empty_database_url) as conn:
        count = conn.execute(
            "SELECT count(*) FROM pg_proc WHERE proname = 'task_usage_dashboard_rollup_step_days'"
        ).fetchone()
    assert count == (1,), "the failed application was not rolled back"


def test_a_failing_function_file_applies_none_of_them(empty_database_url: str, tmp_path: Path) -> None:
    folder = _copy_migrations(tmp_path)
    Runner(empty_database_url, folder).up()
    _edit(folder / "functions" / "task_usage_dashboard_rollup_lag_seconds.sql")
    broken = folder / "functions" / "task_usage_dashboard_rollup_step_days.sql"
    broken.write_text(broken.read_text().replace("RETURN 31;", "RETURN nonsense;"))

    with pytest.raises(MigrationError, match="function files failed"):
        Runner(empty_database_url, folder).up()

    states = {f.name: f.state for f in Runner(empty_database_url, folder).functions_status()}
    assert states["task_usage_dashboard_rollup_lag_seconds"] == "stale"


def test_down_below_the_function_files_restores_the_old_release_exactly(
    empty_database_url: str, pg_server: str, tmp_path: Path
) -> None:
    """A fresh install reverted to the last version before function files has the old release's
    catalog, function bodies included, and the old release's runner finds nothing to do."""
    old_release = _release_before_function_files(tmp_path)
    Runner(empty_database_url).up()

    Runner(empty_database_url).down(LAST_VERSION_BEFORE_FUNCTION_FILES)

    with _another_database(pg_server) as old_url:
        Runner(old_url, old_release).up()
        with _connect(empty_database_url) as reverted, _connect(old_url) as old:
            assert _snapshot(reverted) == _snapshot(old)
            assert _function_definitions(reverted) == _function_definitions(old)
            assert _versions_recorded(reverted) == _versions_recorded(old)


def _versions_recorded(conn: Conn) -> list[tuple[Any, ...]]:
    return conn.execute("SELECT version, checksum FROM schema_migrations ORDER BY 1").fetchall()


# ---- money (0005) ------------------------------------------------------------------------


# Platform columns a migration adds only when missing: (table, column, the version before the
# one that adds it), and the column's type.
_PLATFORM_COLUMNS = [
    pytest.param("task_usage", "cost_usd_ticks", "0004", id="task_usage.cost_usd_ticks (0005)"),
    pytest.param('"user"', "timezone", "0005", id="user.timezone (0006)"),
]
_PLATFORM_COLUMN_TYPES = {"cost_usd_ticks": "bigint", "timezone": "text"}


def _store_a_value(conn: Conn, table: str) -> None:
    world = World(conn)
    if table == "task_usage":
        world.usage(world.task(world.agent(world.workspace())), cost_usd_ticks=42)
    else:
        world.user()
        conn.execute("UPDATE \"user\" SET timezone = 'Asia/Kolkata'")


@pytest.mark.parametrize(("table", "column", "before"), _PLATFORM_COLUMNS)
def test_a_column_the_platform_already_has_is_kept_up_and_down(
    table: str, column: str, before: str, empty_database_url: str, tmp_path: Path
) -> None:
    core = tmp_path / "core"
    core.mkdir()
    for path in MIGRATIONS.glob("0001_*.sql"):
        shutil.copy(path, core / path.name)
    Runner(empty_database_url, core).up()
    with _connect(empty_database_url) as conn:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {_PLATFORM_COLUMN_TYPES[column]}")
        _store_a_value(conn, table)
        stored = conn.execute(f"SELECT {column} FROM {table}").fetchall()

        Runner(empty_database_url).up()
        assert conn.execute(f"SELECT {column} FROM {table}").fetchall() == stored

        Runner(empty_database_url).down(before)
        assert conn.execute(f"SELECT {column} FROM {table}").fetchall() == stored


@pytest.mark.parametrize(("table", "column", "before"), _PLATFORM_COLUMNS)
def test_down_drops_a_platform_column_the_migration_added(
    table: str, column: str, before: str, database_url: str
) -> None:
    Runner(database_url).down(before)

    with _connect(database_url) as conn:
        columns = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            (table.strip('"'), column),
        ).fetchall()
    assert columns == []


def test_upgrading_to_0005_empties_the_rollup_and_asks_for_a_backfill(
    empty_database_url: str, tmp_path: Path
) -> None:
    Runner(empty_database_url, _release_before_function_files(tmp_path)).up()
    with _connect(empty_database_url) as conn:
        conn.execute(
            "INSERT INTO task_usage_dashboard_dirty (bucket_date) VALUES ('2026-01-01');"
            "UPDATE task_usage_dashboard_rollup_state SET watermark_at = now() WHERE id = 1"
        )

        Runner(empty_database_url).up()

        state = conn.execute(
            "SELECT watermark_at IS NULL,"
            " project_months_before = task_usage_dashboard_settled_months_before()"
            " FROM task_usage_dashboard_rollup_state"
        ).fetchone()
        assert state == (True, True)
        assert conn.execute("SELECT count(*) FROM task_usage_dashboard_dirty").fetchone() == (0,)
