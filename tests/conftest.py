"""Fixtures: one PostgreSQL server per session, a fresh migrated database per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from psycopg.conninfo import make_conninfo

from app.api.app import create_app
from app.config import Settings, load_settings
from app.db.migrate import Runner
from tests.databases import server_url
from tests.world import World

Client = AsyncTestClient[Litestar]


def _admin(url: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(url, autocommit=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Conninfo of the session's server (maintenance database)."""
    with server_url() as url:
        yield url


@pytest.fixture(scope="session")
def template_database(pg_server: str) -> Iterator[str]:
    """A database migrated once; each test clones it, which is faster than migrating."""
    name = f"ud_template_{uuid.uuid4().hex[:8]}"
    with _admin(pg_server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    Runner(make_conninfo(pg_server, dbname=name)).up()
    yield name
    with _admin(pg_server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_database(pg_server: str, template: str | None) -> Iterator[str]:
    name = f"ud_test_{uuid.uuid4().hex[:12]}"
    clause = f' TEMPLATE "{template}"' if template else ""
    with _admin(pg_server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{clause}')
    try:
        yield make_conninfo(pg_server, dbname=name)
    finally:
        with _admin(pg_server) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(pg_server: str, template_database: str) -> Iterator[str]:
    """Conninfo of a fresh database with every migration applied, dropped after the test."""
    yield from _fresh_database(pg_server, template_database)


@pytest.fixture
def empty_database_url(pg_server: str) -> Iterator[str]:
    """Conninfo of a fresh database with nothing in it (migration tests)."""
    yield from _fresh_database(pg_server, None)


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """The test's own autocommit connection, for writing worlds and checking tables."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def world(db: psycopg.Connection[tuple[object, ...]]) -> World:
    """Builds platform rows with plain SQL, as the platform itself would write them."""
    return World(db)


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[Client]:
    """An HTTP client of the app bound to the test's database, reading raw rows."""
    settings = _raw_settings(database_url)
    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client


def _raw_settings(database_url: str) -> Settings:
    """USAGE_DASHBOARD_ROLLUP_ENABLED off: the raw path, and no in-process scheduler."""
    return load_settings(
        {
            "DATABASE_URL": database_url,
            "DATABASE_POOL_MIN_SIZE": "0",
            "USAGE_DASHBOARD_ROLLUP_ENABLED": "false",
        }
    )


def _rollup_settings(database_url: str) -> Settings:
    """USAGE_DASHBOARD_ROLLUP_ENABLED on and no in-process scheduler."""
    return load_settings(
        {
            "DATABASE_URL": database_url,
            "DATABASE_POOL_MIN_SIZE": "0",
            "USAGE_DASHBOARD_ROLLUP_ENABLED": "true",
            "USAGE_DASHBOARD_ROLLUP_SCHEDULER": "off",
        }
    )


@pytest.fixture
async def rollup_client(database_url: str) -> AsyncIterator[Client]:
    """The app reading the rollup, with no in-process scheduler."""
    async with AsyncTestClient(app=create_app(_rollup_settings(database_url))) as test_client:
        yield test_client


@pytest.fixture(params=["raw", "rollup"])
async def path_client(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[Client]:
    """The app on each read path in turn (the rollup one without a scheduler)."""
    raw = _raw_settings(database_url)
    settings = raw if request.param == "raw" else _rollup_settings(database_url)
    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client
