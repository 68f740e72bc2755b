"""Keyboard use with a visible focus, and the page at phone width in light and dark."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from tests.browser.figures import View
from tests.browser.live import LiveServer
from tests.browser.pages import focused_testid, open_view, sign_in_with_cookie, wait_view
from tests.browser.scene import Scene

PHONE: ViewportSize = {"width": 360, "height": 800}
# Tab presses allowed to reach a control: more than the page has stops before it.
MAX_TABS = 80
_FOCUS_STYLE = """e => {
  const s = getComputedStyle(e);
  return {visible: e.matches(':focus-visible'), style: s.outlineStyle, width: s.outlineWidth};
}"""


def _tab_to(page: Page, targets: set[str]) -> str:
    """Presses Tab until a control with one of these test ids has the focus; returns which."""
    seen: list[str | None] = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = focused_testid(page) or page.evaluate("() => document.activeElement?.name")
        if focused in targets:
            return focused
        seen.append(focused)
    raise AssertionError(f"none of {sorted(targets)} reached with Tab; focus went through {seen}")


def _focus_is_visible(page: Page) -> None:
    style = page.evaluate_handle("() => document.activeElement").evaluate(_FOCUS_STYLE)
    assert style["visible"], style
    assert style["style"] != "none", style
    assert style["width"] != "0px", style


def test_sign_in_tabs_and_periods_work_from_the_keyboard(page: Page, scene: Scene) -> None:
    view = View(scene.slug, days=30)
    page.goto(view.path())
    expect(page.locator("form[data-testid=sign-in]")).to_be_visible()
    # The token field may have the focus already; else Tab reaches it.
    if page.evaluate("() => document.activeElement?.name") != "token":
        _tab_to(page, {"token"})
    page.keyboard.type(scene.owner_token)
    page.keyboard.press("Enter")
    wait_view(page, view)

    reached = _tab_to(page, {"tab-usage", "tab-errors"})
    _focus_is_visible(page)
    if reached == "tab-usage":
        # A tab list may hold one tab stop and move between tabs with the arrow keys.
        page.keyboard.press("ArrowRight")
        if focused_testid(page) != "tab-errors":
            _tab_to(page, {"tab-errors"})
    page.keyboard.press("Enter")
    wait_view(page, view.but(tab="errors"))
    expect(page.locator("[data-testid=tab-errors]")).to_have_attribute("aria-selected", "true")

    _tab_to(page, {"period-7"})
    _focus_is_visible(page)
    page.keyboard.press(" ")
    wait_view(page, view.but(tab="errors", days=7))
    expect(page.locator("[data-testid=period-7]")).to_have_attribute("aria-pressed", "true")

    _tab_to(page, {"period-90"})
    page.keyboard.press("Enter")
    wait_view(page, view.but(tab="errors", days=90))

    _tab_to(page, {"tab-usage", "tab-errors"})
    if focused_testid(page) == "tab-errors":
        page.keyboard.press("ArrowLeft")
        if focused_testid(page) != "tab-usage":
            _tab_to(page, {"tab-usage"})
    page.keyboard.press(" ")
    wait_view(page, view.but(days=90))


@pytest.fixture
def phone(browser: Browser, server: LiveServer) -> Iterator[dict[str, BrowserContext]]:
    """Two phone-sized contexts, one light and one dark."""
    contexts = {
        scheme: browser.new_context(
            base_url=server.base_url,
            viewport=PHONE,
            color_scheme=scheme,
            locale="en-US",
            timezone_id="UTC",
            is_mobile=True,
            has_touch=True,
        )
        for scheme in ("light", "dark")
    }
    yield contexts
    for context in contexts.values():
        context.close()


_BACKGROUND = """() => {
  for (const e of [document.body, document.documentElement]) {
    const c = getComputedStyle(e).backgroundColor;
    if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c;
  }
  return null;
}"""


def test_at_phone_width_nothing_scrolls_sideways_and_dark_applies(
    phone: dict[str, BrowserContext], server: LiveServer, scene: Scene
) -> None:
    backgrounds = {}
    for scheme, context in phone.items():
        page = context.new_page()
        sign_in_with_cookie(context, server.base_url, scene.owner_token)
        view = View(scene.slug, days=30)
        open_view(page, view)
        page.locator("[data-testid=leaderboard-show-all]").click()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], scheme
        backgrounds[scheme] = page.evaluate(_BACKGROUND)
        page.locator("[data-testid=tab-errors]").click()
        wait_view(page, view.but(tab="errors"))
        page.locator("[data-testid=failure-codes-toggle]").click()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], scheme
        page.goto("/")
        context.clear_cookies()
        page.reload()
        expect(page.locator("form[data-testid=sign-in]")).to_be_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], scheme
    assert backgrounds["light"] is not None
    assert backgrounds["dark"] is not None
    assert backgrounds["light"] != backgrounds["dark"], backgrounds
