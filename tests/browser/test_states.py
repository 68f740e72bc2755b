"""An empty window, and a database that stops answering: the page says so and keeps its shape."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.figures import Api, View
from tests.browser.live import LiveServer, live_server
from tests.browser.pages import open_view, sign_in_with_cookie, tile, wait_view
from tests.browser.scene import Scene
from tests.conftest import _fresh_database
from tests.world import World


def test_an_empty_workspace_shows_zero_tiles_and_empty_notes(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene, owner_api: Api
) -> None:
    sign_in_with_cookie(context, server.base_url, scene.owner_token)
    view = View(scene.quiet_slug, days=30)
    assert owner_api.rows("usage/daily", view) == []
    open_view(page, view)

    expect(page.locator("[data-testid=empty-usage]")).to_have_text("No usage in this window.")
    cost, tokens, runtime, tasks = (tile(page, name) for name in ("cost", "tokens", "runtime", "tasks"))
    assert (cost.exact, tokens.exact, runtime.exact, tasks.exact) == ("0", "0", "0", "0")
    assert (cost.value, tokens.value, runtime.value, tasks.value) == ("$0.00", "0", "0s", "0")
    expect(page.locator("[data-testid=unpriced-note]")).to_be_hidden()

    page.locator("[data-testid=tab-errors]").click()
    wait_view(page, view.but(tab="errors"))
    expect(page.locator("[data-testid=empty-errors]")).to_have_text("No failed runs in this window.")
    failed, failure_rate, affected = (
        tile(page, name) for name in ("failed", "failure-rate", "agents-affected")
    )
    assert (failed.exact, failure_rate.exact, affected.exact) == ("0", "0/0", "0")
    assert (failed.value, failure_rate.value, affected.value) == ("0", "—", "0")
    expect(page.locator("[data-testid=banner]")).to_be_hidden()


def test_a_window_without_failures_says_so_with_tiles_shown(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene, owner_api: Api
) -> None:
    sign_in_with_cookie(context, server.base_url, scene.owner_token)
    view = View(scene.huge_slug, days=7, tab="errors")
    assert owner_api.rows("usage/daily", view) != []
    open_view(page, view)

    expect(page.locator("[data-testid=empty-errors]")).to_have_text("No failed runs in this window.")
    assert tile(page, "failed").exact == "0"
    assert tile(page, "failure-rate").exact == "0/2"
    assert tile(page, "failure-rate").value == "0%"


@pytest.fixture
def lonely_server(pg_server: str, template_database: str) -> Iterator[tuple[LiveServer, str, str]]:
    """A server of its own on a database of its own: (server, database name, owner's token)."""
    with contextmanager(_fresh_database)(pg_server, template_database) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            world = World(conn)
            workspace = world.workspace("lonely")
            user = world.user()
            world.member(workspace, user, "owner")
            agent = world.agent(workspace, visibility="workspace")
            world.usage(world.task(agent), model="claude-haiku-4-5", input_tokens=1234)
            token = world.token(user)
            name = conn.info.dbname
        with live_server(url) as running:
            yield running, name, token


def _refuse_connections(pg_server: str, name: str, allow: bool) -> None:
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(allow).lower()}')
        if not allow:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )


def test_a_database_that_stops_answering_shows_a_banner_and_recovers(
    page: Page, context: BrowserContext, pg_server: str, lonely_server: tuple[LiveServer, str, str]
) -> None:
    server, name, token = lonely_server
    context.clear_cookies()
    sign_in_with_cookie(context, server.base_url, token)
    view = View("lonely", days=7)
    page.goto(f"{server.base_url}{view.path()}")
    wait_view(page, view)
    expect(page.locator("[data-testid=banner]")).to_be_hidden()

    banner = page.locator("[data-testid=banner]")
    _refuse_connections(pg_server, name, allow=False)
    try:
        # While the page is open: its next reads answer 503.
        page.locator("[data-testid=refresh]").click()
        _error_shown(page)
        # And when the page is loaded afresh.
        page.reload()
        _error_shown(page)
    finally:
        _refuse_connections(pg_server, name, allow=True)

    # No click and no reload: the page tries again by itself until the database answers (the
    # server's pool may take a few seconds to reconnect, so its first tries can still be 503s).
    wait_view(page, view)
    expect(banner).to_be_hidden()
    assert tile(page, "tokens").exact == "1234"


def _error_shown(page: Page) -> None:
    banner = page.locator("[data-testid=banner]")
    expect(banner).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-state", "error")
    expect(banner).to_have_text(re.compile(r"database|unavailable|try again", re.IGNORECASE))
    assert "{" not in banner.inner_text()
    expect(page.locator("form[data-testid=sign-in]")).to_be_hidden()
