"""The page works offline and stays small: every request goes to its own origin, and its
scripts and styles weigh at most 150 KB gzipped (the contract's "Files and owners")."""

from __future__ import annotations

import gzip

from playwright.sync_api import BrowserContext, Page, Request

from tests.browser.figures import View
from tests.browser.live import LiveServer
from tests.browser.pages import open_view, sign_in_with_cookie, wait_view
from tests.browser.scene import Scene

BUDGET = 150 * 1024


def test_every_request_is_same_origin_and_assets_fit_the_budget(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene
) -> None:
    requests: list[Request] = []

    def seen(request: Request) -> None:  # Playwright needs a Python function, not list.append
        requests.append(request)

    page.on("request", seen)
    sign_in_with_cookie(context, server.base_url, scene.owner_token)
    view = View(scene.slug)
    open_view(page, view)
    page.locator("[data-testid=tab-errors]").click()
    wait_view(page, view.but(tab="errors"))

    urls = [r.url for r in requests]
    assert all(url.startswith((f"{server.base_url}/", "data:")) for url in urls), urls
    assets = {r.url.split("?")[0] for r in requests if r.resource_type in {"script", "stylesheet"}}
    assert any(url.endswith(".js") for url in assets)
    assert any(url.endswith(".css") for url in assets)
    total = 0
    for url in assets:
        response = context.request.get(url)
        assert response.ok, url
        assert "max-age" in response.headers.get("cache-control", ""), url
        total += len(gzip.compress(response.body(), compresslevel=9))
    assert total <= BUDGET, f"{total} bytes gzipped"
