"""Every control of the page: toolbar, trend toggles, leaderboard and offenders sorting, "Show
all", error codes, CSV downloads, refresh; the URL holds the state and stale values fall back."""

from __future__ import annotations

import datetime
import re
import uuid
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.checks import LEADERBOARD_TOP, OFFENDERS_TOP, agent_names, wait_bars_sum
from tests.browser.figures import (
    BY_AGENT,
    CLASS_LABELS,
    DAILY,
    FAILURES_BY_AGENT,
    FAILURES_DAILY,
    PROJECTS,
    RUNTIME,
    RUNTIME_DAILY,
    Api,
    View,
    check_rate,
    class_counts,
    digits,
    error_figures,
    failure_class,
    non_increasing,
    rate,
    usage_figures,
)
from tests.browser.live import LiveServer
from tests.browser.pages import (
    assert_url_holds,
    bar_values,
    cell_texts,
    open_view,
    row_attributes,
    sign_in_with_cookie,
    tile,
    wait_view,
)
from tests.browser.scene import OWNER_TIMEZONE, Scene
from tests.world import World

KOLKATA = "Asia/Kolkata"


def _signed_in(page: Page, context: BrowserContext, server: LiveServer, token: str, view: View) -> None:
    sign_in_with_cookie(context, server.base_url, token)
    open_view(page, view)


def _pressed(page: Page, testid: str, pressed: bool, attribute: str = "aria-pressed") -> None:
    expect(page.locator(f"[data-testid={testid}]")).to_have_attribute(
        attribute, "true" if pressed else "false"
    )


def test_toolbar_controls_change_the_view_and_the_url_keeps_it(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene, owner_api: Api
) -> None:
    view = View(scene.slug, days=30)
    _signed_in(page, context, server, scene.owner_token, view)
    _pressed(page, "period-30", True)
    _pressed(page, "tab-usage", True, "aria-selected")
    expect(page.locator("[data-testid=tab-usage]")).to_have_attribute("role", "tab")

    for days in (1, 90, 180, 365, 7):
        page.locator(f"[data-testid=period-{days}]").click()
        view = view.but(days=days)
        wait_view(page, view)
        _pressed(page, f"period-{days}", True)
        _pressed(page, "period-30", False)
        assert_url_holds(page, view)

    projects = owner_api.labels(PROJECTS, scene.slug)
    options = page.eval_on_selector_all(
        "select[data-testid=project] option", "os => os.map(o => [o.value, o.textContent.trim()])"
    )
    assert options == [["", "All projects"], *[[p["id"], p["title"]] for p in projects]]
    billing = str(scene.projects["Billing"])
    page.select_option("select[data-testid=project]", billing)
    view = view.but(project=billing)
    wait_view(page, view)
    assert tile(page, "tokens").exact == str(usage_figures(owner_api, view).tokens)

    zones = set(page.eval_on_selector_all("select[data-testid=tz] option", "os => os.map(o => o.value)"))
    assert "UTC" in zones
    assert set(page.evaluate("() => Intl.supportedValuesOf('timeZone')")) <= zones
    page.select_option("select[data-testid=tz]", KOLKATA)
    view = view.but(tz=KOLKATA)
    wait_view(page, view)

    page.locator("[data-testid=tab-errors]").click()
    view = view.but(tab="errors")
    wait_view(page, view)
    _pressed(page, "tab-errors", True, "aria-selected")
    _pressed(page, "tab-usage", False, "aria-selected")
    assert_url_holds(page, view)

    page.reload()
    wait_view(page, view)
    assert tile(page, "failed").exact == str(error_figures(owner_api, view).failed)

    # Another workspace: Billing is not one of its projects, so the filter falls back.
    page.select_option("select[data-testid=workspace]", scene.beta_slug)
    view = view.but(ws=scene.beta_slug, project="")
    wait_view(page, view)
    assert_url_holds(page, view)
    assert tile(page, "failed").exact == str(error_figures(owner_api, view).failed)

    # The chosen time zone is remembered for a URL without one.
    page.goto(f"/?ws={scene.slug}")
    wait_view(page, View(scene.slug, tz=KOLKATA))


def test_stale_url_values_fall_back_to_the_defaults(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene, owner_api: Api
) -> None:
    sign_in_with_cookie(context, server.base_url, scene.owner_token)
    slugs = [w["slug"] for w in owner_api.me()["workspaces"]]

    page.goto(f"/?ws=acme&days=999&project={scene.deleted_project}&tz=Not/AZone&tab=nope")
    default = View(scene.slug, days=30, project="", tz=OWNER_TIMEZONE, tab="usage")
    wait_view(page, default)
    assert_url_holds(page, default)

    quiet_project = owner_api.labels(PROJECTS, scene.quiet_slug)[0]["id"]
    page.goto(f"/?ws=acme&days=0&project={quiet_project}&tz=UTC&tab=errors")
    wait_view(page, View(scene.slug, days=30, tz="UTC", tab="errors"))

    page.goto(f"/?ws=no-such-workspace&days=abc&project={uuid.uuid4()}&tz=Local")
    page.wait_for_selector('body[data-state="ready"]', state="attached")
    shown = dict(parse_qsl(page.evaluate("() => document.body.dataset.view"), keep_blank_values=True))
    assert shown["ws"] in slugs
    assert (shown["days"], shown["project"], shown["tz"], shown["tab"]) == ("30", "", OWNER_TIMEZONE, "usage")


def test_without_a_user_time_zone_the_browsers_is_the_default(
    browser: Browser, server: LiveServer, scene: Scene
) -> None:
    context = browser.new_context(base_url=server.base_url, timezone_id=KOLKATA, locale="en-US")
    try:
        page = context.new_page()
        sign_in_with_cookie(context, server.base_url, scene.member_token)
        page.goto(f"/?ws={scene.slug}&tz=Mars/Olympus")
        page.wait_for_selector('body[data-state="ready"]', state="attached")
        shown = dict(parse_qsl(page.evaluate("() => document.body.dataset.view"), keep_blank_values=True))
        # The browser's zone: Chromium names it Asia/Calcutta, the tz database's alias of Kolkata.
        browser_zone = page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone")
        assert browser_zone in {KOLKATA, "Asia/Calcutta"}
        assert shown == {"ws": scene.slug, "days": "30", "project": "", "tz": shown["tz"], "tab": "usage"}
        assert shown["tz"] in {KOLKATA, "Asia/Calcutta"}
    finally:
        context.close()


def _is_monday(date: str) -> bool:
    return datetime.date.fromisoformat(date).isoweekday() == 1


def test_trend_metric_and_grain_toggles(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene, owner_api: Api
) -> None:
    view = View(scene.slug, days=30, tz=KOLKATA)
    _signed_in(page, context, server, scene.owner_token, view)
    figures = usage_figures(owner_api, view)
    _pressed(page, "trend-metric-tokens", True)
    _pressed(page, "trend-grain-daily", True)
    wait_bars_sum(page, "trend-chart", figures.tokens)
    daily_dates = {date for date, _ in bar_values(page, "trend-chart")}
    assert len(daily_dates) <= 30

    page.locator("[data-testid=trend-metric-cost]").click()
    _pressed(page, "trend-metric-cost", True)
    _pressed(page, "trend-metric-tokens", False)
    page.locator("[data-testid=trend-grain-weekly]").click()
    _pressed(page, "trend-grain-weekly", True)
    _pressed(page, "trend-grain-daily", False)
    wait_bars_sum(page, "trend-chart", figures.cost_micros)
    weeks = {date for date, _ in bar_values(page, "trend-chart")}
    assert all(_is_monday(date) for date in weeks), weeks
    _check_weeks(page, "trend-table", view, weeks)

    page.locator("[data-testid=trend-metric-tasks]").click()
    wait_bars_sum(page, "trend-chart", figures.tasks)
    page.locator("[data-testid=trend-grain-daily]").click()
    wait_bars_sum(page, "trend-chart", figures.tasks)
    expect(page.locator("table[data-testid=trend-table] tbody tr")).to_have_count(30)

    # The errors chart has the same grains; its weekly bars sum to the failed tile.
    page.locator("[data-testid=tab-errors]").click()
    wait_view(page, view.but(tab="errors"))
    failed = error_figures(owner_api, view).failed
    page.locator("[data-testid=errors-grain-weekly]").click()
    _pressed(page, "errors-grain-weekly", True)
    wait_bars_sum(page, "errors-chart", failed)
    _check_weeks(page, "errors-table", view, {date for date, _ in bar_values(page, "errors-chart")})
    page.locator("[data-testid=errors-grain-daily]").click()
    wait_bars_sum(page, "errors-chart", failed)
    expect(page.locator("table[data-testid=errors-table] tbody tr")).to_have_count(30)
    page.locator("[data-testid=tab-usage]").click()
    wait_view(page, view)

    # Weekly is offered from 30 days up only.
    page.locator("[data-testid=period-7]").click()
    wait_view(page, view.but(days=7))
    weekly = page.locator("[data-testid=trend-grain-weekly]")
    assert weekly.count() == 0 or weekly.is_disabled() or not weekly.is_visible()


def _check_weeks(page: Page, table: str, view: View, bar_weeks: set[str]) -> None:
    """Whole Monday-to-Sunday weeks: a bucket per week the window touches, the first and the
    current one marked partial when the window covers only part of them."""
    today = datetime.datetime.now(ZoneInfo(view.tz)).date()
    first = today - datetime.timedelta(days=view.days - 1)
    mondays = {day - datetime.timedelta(days=day.weekday()) for day in (first, today)}
    count = (max(mondays) - min(mondays)).days // 7 + 1
    assert bar_weeks <= {str(min(mondays) + datetime.timedelta(weeks=n)) for n in range(count)}, bar_weeks
    partial = (first.weekday() != 0) + (today.weekday() != 6)
    rows = cell_texts(page, f"table[data-testid={table}] tbody tr")
    assert len(rows) == count
    assert sum("partial" in row[0].lower() for row in rows) == partial, rows


_SORT_ATTRIBUTE = {
    "tokens": "data-tokens",
    "cost": "data-cost-micros",
    "time": "data-seconds",
    "tasks": "data-tasks",
}


def test_leaderboard_sorts_by_each_figure_and_shows_all(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene, owner_api: Api
) -> None:
    view = View(scene.slug, days=30)
    _signed_in(page, context, server, scene.owner_token, view)
    table = page.locator("table[data-testid=leaderboard-table]")
    everyone = {row["agent_id"] for row in owner_api.rows(BY_AGENT, view)} | {
        row["agent_id"] for row in owner_api.rows(RUNTIME, view)
    }
    assert len(everyone) > LEADERBOARD_TOP
    _pressed(page, "sort-cost", True)

    # The top 10 by cost are the 10 most expensive agents, most expensive first.
    top = row_attributes(table, "data-cost-micros")
    assert len(top) == LEADERBOARD_TOP
    costs = [int(r["data-cost-micros"]) for r in top]
    assert non_increasing(costs)

    page.locator("[data-testid=leaderboard-show-all]").click()
    expect(table.locator("tr[data-agent-id]")).to_have_count(len(everyone))
    every_cost = [int(r["data-cost-micros"]) for r in row_attributes(table, "data-cost-micros")]
    assert non_increasing(every_cost)
    assert min(costs) >= max(every_cost[LEADERBOARD_TOP:])

    for key in ("tokens", "time", "tasks", "cost"):
        page.locator(f"[data-testid=sort-{key}]").click()
        _pressed(page, f"sort-{key}", True)
        attribute = _SORT_ATTRIBUTE[key]
        values = [int(r[attribute]) for r in row_attributes(table, attribute)]
        assert non_increasing(values), (key, values)
        assert {r["data-agent-id"] for r in row_attributes(table)} <= everyone
    # A different order for each figure: the sort really re-ordered the rows.
    orders = set()
    for key in ("tokens", "time", "tasks"):
        page.locator(f"[data-testid=sort-{key}]").click()
        _pressed(page, f"sort-{key}", True)
        orders.add(tuple(r["data-agent-id"] for r in row_attributes(table)))
    assert len(orders) > 1


def test_failure_mix_error_codes_and_offenders(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene, owner_api: Api
) -> None:
    view = View(scene.slug, days=30, tab="errors")
    _signed_in(page, context, server, scene.owner_token, view)
    figures = error_figures(owner_api, view)

    classes = class_counts(figures.reasons)
    assert set(classes) == set(CLASS_LABELS)  # the world has failures of every class
    # One row per class, in failures.md's render order: label, failed runs, share of failures.
    mix = cell_texts(page, "[data-testid=failure-mix] tbody tr")
    assert [row[0] for row in mix] == list(CLASS_LABELS.values())
    for (label, failed_text, share), name in zip(mix, CLASS_LABELS, strict=True):
        assert digits(failed_text) == classes[name], (label, failed_text)
        check_rate(share, classes[name], figures.failed)

    codes = page.locator("[data-testid=failure-codes]")
    expect(codes).to_be_hidden()
    toggle = page.locator("[data-testid=failure-codes-toggle]")
    expect(toggle).to_have_text(re.compile("Show error codes"))
    toggle.click()
    expect(codes).to_be_visible()
    # One row per raw reason, with its class's label and its count.
    shown = {row[0]: row[1:] for row in cell_texts(page, "[data-testid=failure-codes] tbody tr")}
    assert set(shown) == set(figures.reasons)
    for reason, count in figures.reasons.items():
        assert CLASS_LABELS[failure_class(reason)] in shown[reason], (reason, shown[reason])
        assert digits(shown[reason][-1]) == count, (reason, shown[reason])
    toggle.click()
    expect(codes).to_be_hidden()

    table = page.locator("table[data-testid=offenders-table]")
    offenders = {agent: f for agent, f in figures.per_agent.items() if f[0] > 0}
    assert len(offenders) > OFFENDERS_TOP
    page.locator("[data-testid=offenders-sort-failures]").click()
    _pressed(page, "offenders-sort-failures", True)
    expect(table.locator("tr[data-agent-id]")).to_have_count(OFFENDERS_TOP)
    top = [r["data-agent-id"] for r in row_attributes(table)]
    counts = [offenders[agent][0] for agent in top]
    assert non_increasing(counts)
    assert min(counts) >= max(f[0] for agent, f in offenders.items() if agent not in top)

    page.locator("[data-testid=offenders-show-all]").click()
    expect(table.locator("tr[data-agent-id]")).to_have_count(len(offenders))
    assert {r["data-agent-id"] for r in row_attributes(table)} == set(offenders)
    # Columns Agent, Failed, Runs, Rate.
    names = agent_names(owner_api, scene.slug)
    rows = row_attributes(table)
    for row, cells in zip(
        rows, cell_texts(page, "table[data-testid=offenders-table] tr[data-agent-id]"), strict=True
    ):
        failed, runs = offenders[row["data-agent-id"]]
        assert cells[0].startswith(names[row["data-agent-id"]]), cells
        assert (digits(cells[1]), digits(cells[2])) == (failed, runs), cells
        check_rate(cells[3], failed, runs)

    page.locator("[data-testid=offenders-sort-rate]").click()
    _pressed(page, "offenders-sort-rate", True)
    assert all(runs >= 10 for _, runs in offenders.values())  # every rate here is meaningful
    by_rate = [r["data-agent-id"] for r in row_attributes(table)]
    assert non_increasing([rate(*offenders[agent]) for agent in by_rate])


_CARD_ROUTES = {
    "trend": {DAILY, RUNTIME_DAILY},
    "leaderboard": {BY_AGENT, RUNTIME},
    "errors-trend": {FAILURES_DAILY},
    "failure-mix": {FAILURES_DAILY},
    "offenders": {FAILURES_BY_AGENT},
}


def _check_csv(page: Page, api: Api, view: View, card: str) -> None:
    link = page.locator(f"[data-testid=card-{card}] a[data-testid=csv-{card}]")
    href = link.get_attribute("href")
    assert href, card
    parts = urlsplit(href)
    route = parts.path.removeprefix("/api/dashboard/")
    assert route in _CARD_ROUTES[card], (card, href)
    assert dict(parse_qsl(parts.query)) == {**view.api_params(), "format": "csv"}, href

    with page.expect_download() as info:
        link.click()
    download = info.value
    expected = api.csv(route, view)
    path = download.path()
    assert path.read_bytes() == expected.content, card
    disposition = expected.headers["content-disposition"]
    assert download.suggested_filename in disposition


def test_each_cards_csv_download_equals_the_apis_csv(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene, owner_api: Api
) -> None:
    view = View(scene.slug, days=7, project=str(scene.projects["Search"]), tz=KOLKATA)
    _signed_in(page, context, server, scene.owner_token, view)
    for card in ("trend", "leaderboard"):
        _check_csv(page, owner_api, view, card)
    page.locator("[data-testid=tab-errors]").click()
    wait_view(page, view.but(tab="errors"))
    for card in ("errors-trend", "failure-mix", "offenders"):
        _check_csv(page, owner_api, view, card)


def test_refresh_reads_new_rows_and_updates_the_freshness_note(
    page: Page, context: BrowserContext, server: LiveServer, scene: Scene, owner_api: Api, live_world: World
) -> None:
    view = View(scene.beta_slug, days=1, tz=KOLKATA)
    _signed_in(page, context, server, scene.owner_token, view)
    before = int(tile(page, "tokens").exact)
    assert before == usage_figures(owner_api, view).tokens
    now = datetime.datetime.now(datetime.UTC)
    task = live_world.task(
        scene.beta_agent,
        status="completed",
        started_at=now - datetime.timedelta(seconds=100),
        completed_at=now - datetime.timedelta(seconds=1),
    )
    live_world.usage(
        task, model="claude-haiku-4-5", input_tokens=777, created_at=now - datetime.timedelta(seconds=1)
    )
    after = usage_figures(owner_api, view).tokens
    assert after == before + 777

    zone = ZoneInfo(KOLKATA)
    start = datetime.datetime.now(zone)
    page.locator("[data-testid=refresh]").click()
    expect(page.locator("[data-testid=kpi-tokens]")).to_have_attribute("data-exact", str(after))
    page.wait_for_selector(f'body[data-state="ready"][data-view="{view.query()}"]', state="attached")
    end = datetime.datetime.now(zone)

    freshness = page.locator("[data-testid=freshness]").inner_text().strip()
    match = re.fullmatch(r"updated (\d\d:\d\d) \(GMT\+5:30\)", freshness)
    assert match, freshness
    minutes = {start.strftime("%H:%M"), end.strftime("%H:%M")}
    assert match[1] in minutes, (freshness, minutes)
