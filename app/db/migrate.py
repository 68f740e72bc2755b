"""Applies migrations/NNNN_name.{up,down}.sql in order and records them in schema_migrations.

Each file runs in its own transaction; a session advisory lock serialises concurrent runners;
an applied file whose checksum changed stops every command until it is restored.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path

import msgspec
import psycopg

from app.resources import sql_dir

# Arbitrary but fixed: every runner of this service contends for the same advisory lock.
MIGRATION_LOCK_KEY = 7_414_201_701
_FILE = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.(?P<direction>up|down)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
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


class Runner:
    """Runs migration commands on one connection that holds the migration lock throughout."""

    def __init__(self, conninfo: str, folder: Path | None = None) -> None:
        self._conninfo = conninfo
        self._migrations = discover(folder)

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True)
        except psycopg.OperationalError as exc:
            raise MigrationError(f"cannot connect to the database: {_one_line(exc)}") from exc
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
            conn.execute(_CREATE_TABLE)
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
                conn.execute(path.read_text(encoding="utf-8").encode())
                if record:
                    self._record(conn, migration)
                else:
                    conn.execute("DELETE FROM schema_migrations WHERE version = %s", (migration.version,))
        except psycopg.Error as exc:
            raise MigrationError(f"{path.name} failed: {_one_line(exc)}") from exc

    def _record(self, conn: psycopg.Connection[tuple[object, ...]], migration: Migration) -> None:
        conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
            (migration.version, migration.name, migration.checksum),
        )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
