"""Every figure on the page equals the API's for the same parameters (page.md "Numbers agree
everywhere"): tiles, leaderboard, trend bars and their display formats, for several windows,
with and without a project, in UTC and in India (a half-hour zone)."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.browser.checks import check_view, wait_bars_sum
from tests.browser.figures import Api, View, usage_figures
from tests.browser.live import LiveServer
from tests.browser.pages import open_view, row_attributes, sign_in_with_cookie, tile
from tests.browser.scene import Scene


@pytest.mark.parametrize("tz", ["UTC", "Asia/Kolkata"])
@pytest.mark.parametrize("project", [None, "Billing"])
@pytest.mark.parametrize("days", [1, 7, 30, 365])
def test_the_figures_of_both_tabs_equal_the_apis(
    days: int,
    project: str | None,
    tz: str,
    page: Page,
    context: BrowserContext,
    server: LiveServer,
    scene: Scene,
    owner_api: Api,
) -> None:
    sign_in_with_cookie(context, server.base_url, scene.owner_token)
    view = View(scene.slug, days=days, project=str(scene.projects[project]) if project else "", tz=tz)

    usage, errors = check_view(page, owner_api, view)

    # The world has activity in these windows, so the checks above compared real figures.
    if days >= 7:
        assert usage.tokens > 0
        assert errors.failed > 0


def test_sums_beyond_javascript_safe_integers_are_exact(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene, owner_api: Api
) -> None:
    sign_in_with_cookie(context, server.base_url, scene.owner_token)
    view = View(scene.huge_slug, days=7)
    figures = usage_figures(owner_api, view)
    assert figures.tokens == 2**53 + 3

    open_view(page, view)

    assert tile(page, "tokens").exact == str(2**53 + 3)
    assert tile(page, "cost").exact == str(figures.cost_micros)
    [row] = row_attributes(page.locator("table[data-testid=leaderboard-table]"), "data-tokens")
    assert row["data-tokens"] == str(2**53 + 3)
    wait_bars_sum(page, "trend-chart", 2**53 + 3)
