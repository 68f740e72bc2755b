"""Getting in and out: the sign-in form, a wrong token, the #token= link, sign-out, a session
that ends under the page (page.md "Getting in", the contract's sign-in and 401 rules)."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.figures import Api, View
from tests.browser.live import LiveServer
from tests.browser.pages import (
    SESSION_COOKIE,
    SESSION_ENDED,
    open_view,
    session_cookie,
    sign_in_with_cookie,
    wait_view,
)
from tests.browser.scene import Scene
from tests.world import World


def _form_shown(page: Page) -> None:
    expect(page.locator("body")).to_have_attribute("data-state", "signed-out")
    expect(page.locator("form[data-testid=sign-in]")).to_be_visible()
    expect(page.locator("form[data-testid=sign-in] input[name=token]")).to_have_attribute("type", "password")


def test_a_valid_token_signs_in_and_shows_the_workspace(
    page: Page, context: BrowserContext, scene: Scene, owner_api: Api
) -> None:
    view = View(scene.slug, days=7)
    page.goto(view.path())
    _form_shown(page)

    page.fill("form[data-testid=sign-in] input[name=token]", scene.owner_token)
    page.locator("form[data-testid=sign-in] [type=submit]").click()

    wait_view(page, view)
    expect(page.locator("form[data-testid=sign-in]")).to_be_hidden()
    expect(page.locator("select[data-testid=workspace]")).to_have_value(scene.slug)
    names = {w["slug"]: w["name"] for w in owner_api.me()["workspaces"]}
    options = page.eval_on_selector_all(
        "select[data-testid=workspace] option", "os => os.map(o => [o.value, o.textContent.trim()])"
    )
    assert dict(options) == names
    cookie = session_cookie(context)
    assert cookie is not None
    assert cookie != scene.owner_token
    # The token is in no URL, no script-visible cookie and no storage.
    assert scene.owner_token not in page.url
    assert page.evaluate("() => document.cookie") == ""
    stored = page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
    )
    assert scene.owner_token not in stored


def test_a_wrong_token_shows_a_clear_message_and_sets_no_cookie(
    page: Page, context: BrowserContext, scene: Scene
) -> None:
    page.goto(View(scene.slug).path())
    _form_shown(page)

    page.fill("form[data-testid=sign-in] input[name=token]", "not-a-token-" + scene.owner_token[:6])
    page.locator("form[data-testid=sign-in] [type=submit]").click()

    error = page.locator("[data-testid=sign-in-error]")
    expect(error).to_be_visible()
    expect(error).to_have_text(re.compile(r"token.*(not valid|invalid)|(not valid|invalid).*token", re.I))
    _form_shown(page)
    assert session_cookie(context) is None


def test_a_token_in_the_fragment_signs_in_and_leaves_the_address_bar(
    page: Page, context: BrowserContext, scene: Scene, owner_api: Api
) -> None:
    page.goto(f"/#token={scene.owner_token}")

    page.wait_for_selector('body[data-state="ready"]', state="attached")
    assert "#" not in page.url
    assert scene.owner_token not in page.url
    assert session_cookie(context) is not None
    view = page.evaluate("() => document.body.dataset.view")
    slugs = [w["slug"] for w in owner_api.me()["workspaces"]]
    assert any(view.startswith(f"ws={slug}&") for slug in slugs), view


def test_sign_out_returns_to_the_form_and_ends_the_session(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene
) -> None:
    sign_in_with_cookie(context, server.base_url, scene.owner_token)
    open_view(page, View(scene.slug))
    old = session_cookie(context)
    assert old is not None
    me = httpx.get(f"{server.base_url}/api/me", cookies={SESSION_COOKIE: old})
    assert me.status_code == 200

    page.locator("[data-testid=sign-out]").click()

    _form_shown(page)
    assert session_cookie(context) is None
    after = httpx.get(f"{server.base_url}/api/me", cookies={SESSION_COOKIE: old})
    assert after.status_code == 401
    page.reload()
    _form_shown(page)


def test_a_revoked_token_ends_the_session_on_refresh(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene, live_world: World
) -> None:
    user = live_world.user()
    live_world.member(scene.workspace_ids[scene.slug], user, "owner")
    token = live_world.token(user)
    sign_in_with_cookie(context, server.base_url, token)
    open_view(page, View(scene.slug))

    live_world.conn.execute("UPDATE personal_access_token SET revoked = true WHERE user_id = %s", (user,))
    page.locator("[data-testid=refresh]").click()

    _form_shown(page)
    expect(page.locator("body")).to_contain_text(SESSION_ENDED)
    page.reload()
    _form_shown(page)
