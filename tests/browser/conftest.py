"""Fixtures of the browser tests: one database, world and server per session, one Chromium for
the package, a fresh browser context (cookies, storage) per test."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize, sync_playwright

from tests.browser.figures import Api
from tests.browser.live import LiveServer, launch_chromium, live_server
from tests.browser.pages import script_errors, watch
from tests.browser.scene import Scene, build_scene
from tests.conftest import _fresh_database
from tests.world import Conn, World

DESKTOP: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def live_database_url(pg_server: str, template_database: str) -> Iterator[str]:
    """A migrated database of its own for the shared server, dropped at the end."""
    yield from _fresh_database(pg_server, template_database)


@pytest.fixture(scope="session")
def live_conn(live_database_url: str) -> Iterator[Conn]:
    with psycopg.connect(live_database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def live_world(live_conn: Conn) -> World:
    return World(live_conn)


@pytest.fixture(scope="session")
def scene(live_world: World) -> Scene:
    built = build_scene(live_world)
    # Statistics, as a platform database has them: without, the planner's plan of usage/daily
    # over 365 days takes seconds on these few thousand rows (autovacuum would analyze later).
    live_world.conn.execute("ANALYZE")
    return built


@pytest.fixture(scope="session")
def server(live_database_url: str, scene: Scene) -> Iterator[LiveServer]:
    """The shared `serve` process on the scene's database."""
    with live_server(live_database_url) as running:
        yield running


@pytest.fixture(scope="session")
def owner_api(server: LiveServer, scene: Scene) -> Iterator[Api]:
    api = Api(server.base_url, scene.owner_token)
    yield api
    api.close()


@pytest.fixture(scope="session")
def member_api(server: LiveServer, scene: Scene) -> Iterator[Api]:
    api = Api(server.base_url, scene.member_token)
    yield api
    api.close()


# Package scope: the sync API marks its own event loop as running between calls, so it must be
# stopped before any asyncio test of the rest of the suite runs.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser: Browser, server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh context (no cookies, no storage) at desktop size, light, in UTC."""
    fresh = browser.new_context(
        base_url=server.base_url,
        viewport=DESKTOP,
        locale="en-US",
        timezone_id="UTC",
        color_scheme="light",
        accept_downloads=True,
    )
    yield fresh
    fresh.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page of the context; at the end, it must not have thrown or logged an error (a CSP
    refusal of an inline script or style shows up here)."""
    fresh = watch(context.new_page())
    yield fresh
    assert script_errors(fresh) == []
