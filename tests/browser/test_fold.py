"""Private agents a plain member may not see are one italic "Other agents" row and their names
are nowhere on the page; the workspace owner sees them by name (docs/api.md "folded")."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.checks import OFFENDERS_TOP, check_errors_tab, check_leaderboard, show_all
from tests.browser.figures import OTHER_AGENTS, RESTRICTED, Api, View, error_figures, usage_figures
from tests.browser.live import LiveServer
from tests.browser.pages import open_view, sign_in_with_cookie, wait_view
from tests.browser.scene import MEMBERS_OWN_AGENT, PRIVATE_AGENT, Scene


def _everything_shown(page: Page, view: View, api: Api) -> None:
    """Opens the Errors tab of the view with every offender shown."""
    page.locator("[data-testid=tab-errors]").click()
    wait_view(page, view.but(tab="errors"))
    offenders = [a for a, (failed, _) in error_figures(api, view).per_agent.items() if failed]
    show_all(page, "offenders-show-all", len(offenders), OFFENDERS_TOP)
    page.locator("[data-testid=failure-codes-toggle]").click()


def test_a_plain_member_sees_other_peoples_private_agents_folded(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene, member_api: Api
) -> None:
    sign_in_with_cookie(context, server.base_url, scene.member_token)
    view = View(scene.slug, days=30)
    open_view(page, view)

    check_leaderboard(page, member_api, view, usage_figures(member_api, view))
    folded = page.locator(f'table[data-testid=leaderboard-table] tr[data-agent-id="{RESTRICTED}"]')
    expect(folded).to_have_count(1)
    expect(folded).to_contain_text(OTHER_AGENTS)
    label = folded.get_by_text(OTHER_AGENTS, exact=True)
    assert label.evaluate("e => getComputedStyle(e).fontStyle") == "italic"
    expect(page.locator(f'tr[data-agent-id="{scene.agents[MEMBERS_OWN_AGENT]}"]')).to_contain_text(
        MEMBERS_OWN_AGENT
    )
    usage_text = page.inner_text("body")
    usage_html = page.content()

    _everything_shown(page, view, member_api)
    check_errors_tab(page, member_api, view)
    offender = page.locator(f'table[data-testid=offenders-table] tr[data-agent-id="{RESTRICTED}"]')
    expect(offender).to_contain_text(OTHER_AGENTS)

    for text in (usage_text, usage_html, page.inner_text("body"), page.content()):
        assert PRIVATE_AGENT not in text
        assert str(scene.agents[PRIVATE_AGENT]) not in text


def test_the_owner_sees_every_agent_by_name(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene, owner_api: Api
) -> None:
    sign_in_with_cookie(context, server.base_url, scene.owner_token)
    view = View(scene.slug, days=30)
    open_view(page, view)

    check_leaderboard(page, owner_api, view, usage_figures(owner_api, view))
    private = page.locator(
        f'table[data-testid=leaderboard-table] tr[data-agent-id="{scene.agents[PRIVATE_AGENT]}"]'
    )
    expect(private).to_contain_text(PRIVATE_AGENT)
    expect(page.locator(f'tr[data-agent-id="{RESTRICTED}"]')).to_have_count(0)
    _everything_shown(page, view, owner_api)
    expect(
        page.locator(f'table[data-testid=offenders-table] tr[data-agent-id="{scene.agents[PRIVATE_AGENT]}"]')
    ).to_contain_text(PRIVATE_AGENT)
    assert OTHER_AGENTS not in page.inner_text("body")
