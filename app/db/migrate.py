"""Applies migrations/NNNN_name.{up,down}.sql in order, then migrations/functions/*.sql, then
loads the package's default price table (app/data/default_prices.csv) into model_price_shipped.

Versioned files hold tables, indexes and data moves; each runs in its own transaction and is
recorded in schema_migrations, and an applied one whose checksum changed stops every command
until it is restored. Function files hold the current text of each SQL function (and the
triggers that call it), as CREATE OR REPLACE statements: `up` re-applies, in one transaction,
every file whose checksum differs from schema_functions (all of them after a versioned
migration ran). Before each versioned migration the runner keeps the definitions of those
functions and triggers as the catalog has them, so its `down` restores them exactly without a
copy of old bodies in any down file. A session advisory lock serialises concurrent runners.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path

import msgspec
import psycopg

from app.prices import CSV_COLUMNS, PriceError, shipped_prices
from app.resources import sql_dir

# Arbitrary but fixed: every runner of this service contends for the same advisory lock.
MIGRATION_LOCK_KEY = 7_414_201_701
_FILE = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.(?P<direction>up|down)\.sql$")

_FUNCTION_FILE = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*)\.sql$")

_CREATE_TABLES = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS schema_functions (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS schema_function_snapshots (
    version text PRIMARY KEY,
    functions text[] NOT NULL,
    triggers text[] NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT now()
)
"""

# The functions (identity and full definition) and the triggers that call them, of the given
# names, as the catalog has them now.
_CATALOG_FUNCTIONS = """
SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid)
FROM pg_proc AS p
WHERE p.pronamespace = current_schema()::regnamespace
    AND p.proname = ANY (%s)
ORDER BY 1
"""
_CATALOG_TRIGGERS = """
SELECT t.tgname, t.tgrelid::regclass::text, pg_get_triggerdef(t.oid)
FROM pg_trigger AS t
JOIN pg_proc AS p
    ON p.oid = t.tgfoid
WHERE NOT t.tgisinternal
    AND p.pronamespace = current_schema()::regnamespace
    AND p.proname = ANY (%s)
ORDER BY 1, 2
"""

# model_price_shipped made equal to the package's file: versions no longer shipped deleted,
# changed ones updated, new ones inserted (its triggers queue the rollup days they reprice).
_SYNC_SHIPPED_PRICES = """
WITH shipped AS (
    SELECT *
    FROM unnest(%s::text[], %s::date[], %s::numeric[], %s::numeric[], %s::numeric[], %s::numeric[])
        AS s (key, effective_from, input, output, cache_read, cache_write)
),
removed AS (
    DELETE FROM model_price_shipped AS p
    WHERE NOT EXISTS (
        SELECT 1
        FROM shipped AS s
        WHERE s.key = p.key
            AND s.effective_from = p.effective_from
    )
    RETURNING 1
),
written AS (
    INSERT INTO model_price_shipped AS p (key, effective_from, input, output, cache_read, cache_write)
    SELECT key, effective_from, input, output, cache_read, cache_write
    FROM shipped
    ON CONFLICT (key, effective_from) DO UPDATE
    SET input = EXCLUDED.input,
        output = EXCLUDED.output,
        cache_read = EXCLUDED.cache_read,
        cache_write = EXCLUDED.cache_write
    WHERE p IS DISTINCT FROM EXCLUDED
    RETURNING 1
)
SELECT (SELECT count(*) FROM removed) + (SELECT count(*) FROM written)
"""


class MigrationError(RuntimeError):
    """A migration command cannot proceed; the message is one line."""


class Migration(msgspec.Struct, frozen=True):
    """One version: its up and down files and the checksum of the up file."""

    version: str
    name: str
    up: Path
    down: Path

    @property
    def checksum(self) -> str:
        """SHA-256 of the up file's bytes."""
        return hashlib.sha256(self.up.read_bytes()).hexdigest()


class FunctionFile(msgspec.Struct, frozen=True):
    """One function file: the function it defines (its name) and its CREATE OR REPLACE text."""

    name: str
    path: Path

    @property
    def checksum(self) -> str:
        """SHA-256 of the file's bytes."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


class FunctionStatus(msgspec.Struct, frozen=True):
    """A function file's state: applied (with when), pending, or stale (re-applied by up)."""

    name: str
    state: str
    applied_at: datetime.datetime | None


class MigrationStatus(msgspec.Struct, frozen=True):
    """A version's state: applied (with when), pending, or changed since it was applied."""

    version: str
    name: str
    state: str
    applied_at: datetime.datetime | None


def discover(folder: Path | None = None) -> list[Migration]:
    """Every migration in the folder, ordered by version; each must have both files."""
    folder = folder or sql_dir("migrations")
    found: dict[str, dict[str, Path]] = {}
    names: dict[str, str] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _FILE.match(path.name)
        if match is None:
            raise MigrationError(f"unexpected file in migrations: {path.name}")
        version = match["version"]
        if names.setdefault(version, match["name"]) != match["name"]:
            raise MigrationError(f"two migrations share version {version}")
        found.setdefault(version, {})[match["direction"]] = path
    migrations = []
    for version, files in sorted(found.items()):
        if set(files) != {"up", "down"}:
            raise MigrationError(f"migration {version} needs both an up and a down file")
        migrations.append(Migration(version, names[version], files["up"], files["down"]))
    return migrations


def discover_functions(folder: Path | None = None) -> list[FunctionFile]:
    """Every function file of folder/functions, by name (the function each one defines)."""
    functions = (folder or sql_dir("migrations")) / "functions"
    found = []
    for path in sorted(functions.glob("*")):
        match = _FUNCTION_FILE.match(path.name)
        if match is None:
            raise MigrationError(f"unexpected file in migrations/functions: {path.name}")
        found.append(FunctionFile(match["name"], path))
    return found


class Runner:
    """Runs migration commands on one connection that holds the migration lock throughout."""

    def __init__(self, conninfo: str, folder: Path | None = None) -> None:
        self._conninfo = conninfo
        self._migrations = discover(folder)
        self._functions = discover_functions(folder)
        self.functions_applied: list[str] = []
        self.shipped_prices_changed = 0

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True)
        except psycopg.OperationalError as exc:
            raise MigrationError(f"cannot connect to the database: {_one_line(exc)}") from exc
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
            conn.execute(_CREATE_TABLES)
        except psycopg.Error as exc:
            conn.close()
            raise MigrationError(f"cannot prepare schema_migrations: {_one_line(exc)}") from exc
        return conn

    def _applied(
        self, conn: psycopg.Connection[tuple[object, ...]]
    ) -> dict[str, tuple[str, datetime.datetime]]:
        rows = conn.execute("SELECT version, checksum, applied_at FROM schema_migrations").fetchall()
        return {str(v): (str(c), a) for v, c, a in rows if isinstance(a, datetime.datetime)}

    def _check_unchanged(self, applied: dict[str, tuple[str, datetime.datetime]]) -> None:
        known = {m.version: m for m in self._migrations}
        for version, (checksum, _) in sorted(applied.items()):
            migration = known.get(version)
            if migration is None:
                raise MigrationError(f"applied migration {version} has no file in migrations/")
            if migration.checksum != checksum:
                raise MigrationError(
                    f"migration {version}_{migration.name} was changed after it was applied; "
                    "restore the file or add a new migration"
                )

    def up(self) -> list[str]:
        """Applies every pending migration in order; returns the versions applied."""
        with self._connect() as conn:
            applied = self._applied(conn)
            self._check_unchanged(applied)
            done = []
            for migration in self._migrations:
                if migration.version in applied:
                    continue
                self._run(conn, migration.up, migration, record=True)
                done.append(migration.version)
            self.functions_applied = self._apply_functions(conn, every=bool(done))
            self.shipped_prices_changed = self._load_shipped_prices(conn)
            return done

    def down(self, to_version: str) -> list[str]:
        """Reverts applied migrations newer than to_version, newest first; returns them."""
        versions = {m.version for m in self._migrations}
        if to_version not in versions and not (to_version.isdigit() and int(to_version) == 0):
            raise MigrationError(f"unknown migration version {to_version}")
        with self._connect() as conn:
            applied = self._applied(conn)
            self._check_unchanged(applied)
            done = []
            for migration in reversed(self._migrations):
                if migration.version in applied and migration.version > to_version:
                    self._run(conn, migration.down, migration, record=False)
                    done.append(migration.version)
            return done

    def functions_status(self) -> list[FunctionStatus]:
        """Every function file with its state."""
        with self._connect() as conn:
            recorded = self._recorded_functions(conn)
        result = []
        for function in self._functions:
            if function.name not in recorded:
                result.append(FunctionStatus(function.name, "pending", None))
                continue
            checksum, applied_at = recorded[function.name]
            state = "applied" if checksum == function.checksum else "stale"
            result.append(FunctionStatus(function.name, state, applied_at))
        return result

    def baseline(self, version: str) -> list[str]:
        """Marks migrations up to version as applied without running them (existing platform DB)."""
        if version not in {m.version for m in self._migrations}:
            raise MigrationError(f"unknown migration version {version}")
        with self._connect() as conn:
            applied = self._applied(conn)
            self._check_unchanged(applied)
            marked = []
            with conn.transaction():
                for migration in self._migrations:
                    if migration.version <= version and migration.version not in applied:
                        self._record(conn, migration)
                        marked.append(migration.version)
            return marked

    def status(self) -> list[MigrationStatus]:
        """Every known migration with its state."""
        with self._connect() as conn:
            applied = self._applied(conn)
        result = []
        for migration in self._migrations:
            if migration.version not in applied:
                result.append(MigrationStatus(migration.version, migration.name, "pending", None))
                continue
            checksum, applied_at = applied[migration.version]
            state = "applied" if checksum == migration.checksum else "changed"
            result.append(MigrationStatus(migration.version, migration.name, state, applied_at))
        return result

    def _run(
        self,
        conn: psycopg.Connection[tuple[object, ...]],
        path: Path,
        migration: Migration,
        *,
        record: bool,
    ) -> None:
        try:
            with conn.transaction():
                # Fail fast rather than queue behind (and block) the platform's traffic.
                conn.execute("SET LOCAL lock_timeout = '10s'")
                if record:
                    self._take_snapshot(conn, migration.version)
                conn.execute(path.read_text(encoding="utf-8").encode())
                if record:
                    self._record(conn, migration)
                else:
                    self._restore_snapshot(conn, migration.version)
                    conn.execute("DELETE FROM schema_migrations WHERE version = %s", (migration.version,))
        except psycopg.Error as exc:
            raise MigrationError(f"{path.name} failed: {_one_line(exc)}") from exc

    def _recorded_functions(
        self, conn: psycopg.Connection[tuple[object, ...]]
    ) -> dict[str, tuple[str, datetime.datetime]]:
        rows = conn.execute("SELECT name, checksum, applied_at FROM schema_functions").fetchall()
        return {str(n): (str(c), a) for n, c, a in rows if isinstance(a, datetime.datetime)}

    def _function_names(self, conn: psycopg.Connection[tuple[object, ...]]) -> list[str]:
        """The functions the files own: those of the files, and those applied from files since removed."""
        names = {f.name for f in self._functions} | set(self._recorded_functions(conn))
        return sorted(names)

    def _apply_functions(self, conn: psycopg.Connection[tuple[object, ...]], *, every: bool) -> list[str]:
        """Applies the function files that changed (every one when asked) in one transaction."""
        recorded = self._recorded_functions(conn)
        stale = [f for f in self._functions if every or recorded.get(f.name, ("",))[0] != f.checksum]
        removed = sorted(set(recorded) - {f.name for f in self._functions})
        if not stale and not removed:
            return []
        try:
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '10s'")
                for name in removed:
                    self._drop_functions(conn, name)
                    conn.execute("DELETE FROM schema_functions WHERE name = %s", (name,))
                _execute_in_dependency_order(conn, [(f.path.name, f.path.read_text("utf-8")) for f in stale])
                for function in stale:
                    self._check_single_overload(conn, function.name)
                    conn.execute(
                        "INSERT INTO schema_functions (name, checksum) VALUES (%s, %s)"
                        " ON CONFLICT (name) DO UPDATE"
                        " SET checksum = EXCLUDED.checksum, applied_at = now()",
                        (function.name, function.checksum),
                    )
        except psycopg.Error as exc:
            raise MigrationError(f"function files failed: {_one_line(exc)}") from exc
        return [f.name for f in stale]

    def _load_shipped_prices(self, conn: psycopg.Connection[tuple[object, ...]]) -> int:
        """Makes model_price_shipped equal the package's file; returns the versions changed."""
        found = conn.execute("SELECT to_regclass('model_price_shipped') IS NOT NULL").fetchone()
        if found is None or not found[0]:
            return 0
        try:
            versions = shipped_prices()
        except PriceError as exc:
            raise MigrationError(f"shipped prices: {exc}") from exc
        columns = [[getattr(v, name) for v in versions] for name in CSV_COLUMNS]
        try:
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '10s'")
                row = conn.execute(_SYNC_SHIPPED_PRICES, columns).fetchone()
        except psycopg.Error as exc:
            raise MigrationError(f"loading the shipped prices failed: {_one_line(exc)}") from exc
        return int(str(row[0])) if row else 0

    def _check_single_overload(self, conn: psycopg.Connection[tuple[object, ...]], name: str) -> None:
        identities = [str(r[0]) for r in conn.execute(_CATALOG_FUNCTIONS, ([name],)).fetchall()]
        if len(identities) > 1:
            raise MigrationError(
                f"functions/{name}.sql leaves several functions named {name} "
                f"({', '.join(identities)}): drop the old signature in a versioned migration"
            )

    def _drop_functions(self, conn: psycopg.Connection[tuple[object, ...]], name: str) -> None:
        for tgname, table, _ in conn.execute(_CATALOG_TRIGGERS, ([name],)).fetchall():
            conn.execute(f'DROP TRIGGER "{tgname}" ON {table}')
        for identity, _ in conn.execute(_CATALOG_FUNCTIONS, ([name],)).fetchall():
            conn.execute(f"DROP ROUTINE {identity}")

    def _take_snapshot(self, conn: psycopg.Connection[tuple[object, ...]], version: str) -> None:
        """Keeps the file-owned functions and their triggers as they are before `version` runs."""
        names = self._function_names(conn)
        functions = [str(r[1]) for r in conn.execute(_CATALOG_FUNCTIONS, (names,)).fetchall()]
        triggers = [str(r[2]) for r in conn.execute(_CATALOG_TRIGGERS, (names,)).fetchall()]
        conn.execute(
            "INSERT INTO schema_function_snapshots (version, functions, triggers) VALUES (%s, %s, %s)"
            " ON CONFLICT (version) DO UPDATE"
            " SET functions = EXCLUDED.functions, triggers = EXCLUDED.triggers, taken_at = now()",
            (version, functions, triggers),
        )

    def _restore_snapshot(self, conn: psycopg.Connection[tuple[object, ...]], version: str) -> None:
        """After `version`'s down file: the file-owned functions and triggers as before its up.

        Versions applied before the runner kept snapshots restore their functions in their own
        down files. Either way the function files are re-applied by the next `up`.
        """
        conn.execute("DELETE FROM schema_functions")
        row = conn.execute(
            "DELETE FROM schema_function_snapshots WHERE version = %s RETURNING functions, triggers",
            (version,),
        ).fetchone()
        if row is None:
            return
        functions = [str(d) for d in _texts(row[0])]
        triggers = [str(d) for d in _texts(row[1])]
        names = sorted(set(self._function_names(conn)) | {_routine_name(d) for d in functions})
        for tgname, table, _ in conn.execute(_CATALOG_TRIGGERS, (names,)).fetchall():
            conn.execute(f'DROP TRIGGER "{tgname}" ON {table}')
        kept = {_routine_identity(d) for d in functions}
        for identity, definition in conn.execute(_CATALOG_FUNCTIONS, (names,)).fetchall():
            if _routine_identity(str(definition)) not in kept:
                conn.execute(f"DROP ROUTINE {identity}")
        _execute_in_dependency_order(conn, [(_routine_name(d), d) for d in functions])
        for definition in triggers:
            conn.execute(definition.encode())

    def _record(self, conn: psycopg.Connection[tuple[object, ...]], migration: Migration) -> None:
        conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
            (migration.version, migration.name, migration.checksum),
        )


_ROUTINE_HEAD = re.compile(r"CREATE OR REPLACE (?:FUNCTION|PROCEDURE) (?:\w+\.)?(\w+)\(([^)]*)\)")


def _texts(value: object) -> list[str]:
    if not isinstance(value, list):
        raise MigrationError("schema_function_snapshots holds a non-array value")
    return [str(item) for item in value]


def _routine_name(definition: str) -> str:
    match = _ROUTINE_HEAD.search(definition)
    if match is None:
        raise MigrationError(f"not a routine definition: {definition[:60]!r}")
    return match[1]


def _routine_identity(definition: str) -> str:
    """Name and argument list of a pg_get_functiondef text, to tell overloads apart."""
    match = _ROUTINE_HEAD.search(definition)
    if match is None:
        raise MigrationError(f"not a routine definition: {definition[:60]!r}")
    return f"{match[1]}({match[2]})"


def _execute_in_dependency_order(
    conn: psycopg.Connection[tuple[object, ...]], items: list[tuple[str, str]]
) -> None:
    """Executes each text, retrying those that name a function not created yet.

    SQL-standard bodies (RETURN ..., BEGIN ATOMIC) resolve the functions they call when created,
    so a file may have to wait for another; each try runs in a savepoint.
    """
    pending = items
    while pending:
        waiting: list[tuple[str, str]] = []
        error: psycopg.Error | None = None
        for name, text in pending:
            try:
                with conn.transaction():
                    conn.execute(text.encode())
            except psycopg.errors.UndefinedFunction as exc:
                waiting.append((name, text))
                error = exc
        if error is not None and len(waiting) == len(pending):
            raise MigrationError(f"{waiting[0][0]} failed: {_one_line(error)}")
        pending = waiting


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
