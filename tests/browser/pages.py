"""Driving the page through the contract's DOM hooks (/work/scratch/page-contract.md)."""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import BrowserContext, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser.figures import View

SESSION_COOKIE = "usage_dashboard_session"
SESSION_ENDED = "Your session has ended. Sign in again."


def sign_in_with_cookie(context: BrowserContext, base_url: str, token: str) -> None:
    """POST /auth/sign-in from the context (same origin), so its cookie jar holds the session."""
    response = context.request.post(
        f"{base_url}/auth/sign-in",
        data=json.dumps({"token": token}),
        headers={"Origin": base_url, "Content-Type": "application/json"},
    )
    assert response.status == 204, response.text()
    assert session_cookie(context) is not None


def session_cookie(context: BrowserContext) -> str | None:
    for cookie in context.cookies():
        if cookie.get("name") == SESSION_COOKIE:
            return cookie.get("value")
    return None


def ready_selector(view: View) -> str:
    return f'body[data-state="ready"][data-view="{view.query()}"]'


def watch(page: Page) -> Page:
    """Keeps the page's console errors and uncaught exceptions, for failure messages."""
    log: list[str] = []
    _LOGS[page] = log
    page.on("console", lambda m: log.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: log.append(f"pageerror: {e}"))
    return page


def script_errors(page: Page) -> list[str]:
    """Uncaught exceptions and console errors (a refused inline style or script included), but
    not the browser's note of an HTTP error status, which tests cause on purpose (401, 503)."""
    return [line for line in _LOGS.get(page, []) if "Failed to load resource" not in line]


_LOGS: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()
_STATE = """() => ({state: document.body.dataset.state, view: document.body.dataset.view,
  banner: document.querySelector('[data-testid=banner]')?.innerText,
  signInError: document.querySelector('[data-testid=sign-in-error]')?.innerText,
  url: location.href})"""


def describe(page: Page) -> str:
    """What the page shows now, and what its scripts complained about."""
    try:
        state = page.evaluate(_STATE)
    except PlaywrightError as error:
        state = str(error)
    return f"page: {state}; log: {_LOGS.get(page, [])[-10:]}"


def wait_view(page: Page, view: View) -> None:
    """Waits (Playwright's auto-wait) until the page has drawn exactly this view."""
    try:
        page.wait_for_selector(ready_selector(view), state="attached")
    except PlaywrightError:
        raise AssertionError(f"view {view.query()} never ready; {describe(page)}") from None


def open_view(page: Page, view: View) -> None:
    page.goto(view.path())
    wait_view(page, view)


def url_state(page: Page) -> list[tuple[str, str]]:
    """The address bar's query as (name, value) pairs, in order."""
    return parse_qsl(urlsplit(page.url).query, keep_blank_values=True)


def assert_url_holds(page: Page, view: View) -> None:
    """The address bar holds the view's state (any order, blank project allowed to be absent)."""
    state = dict(url_state(page))
    expected = dict(parse_qsl(view.query(), keep_blank_values=True))
    if not view.project:
        state.setdefault("project", "")
    assert state == expected, page.url


@dataclass(frozen=True)
class Tile:
    exact: str
    value: str
    hint: str


def tile(page: Page, name: str) -> Tile:
    """A KPI tile: its data-exact, its displayed value and its hint."""
    element = page.locator(f"[data-testid=kpi-{name}]")
    expect(element).to_be_visible()
    exact = element.get_attribute("data-exact")
    assert exact is not None, f"kpi-{name} has no data-exact"
    return Tile(
        exact,
        element.locator("[data-testid=kpi-value]").inner_text().strip(),
        element.locator("[data-testid=kpi-hint]").inner_text().strip(),
    )


def bar_values(page: Page, chart: str) -> list[tuple[str, int]]:
    """(data-date, data-value) of every bar segment of a chart."""
    pairs: list[list[str]] = page.eval_on_selector_all(
        f"svg[data-testid={chart}] rect[data-value]",
        "rects => rects.map(r => [r.getAttribute('data-date'), r.getAttribute('data-value')])",
    )
    return [(date, int(value)) for date, value in pairs]


def row_attributes(table: Locator, *names: str) -> list[dict[str, str]]:
    """data-agent-id and the given attributes of every row of a table, in order."""
    rows: list[dict[str, str]] = table.evaluate(
        "(t, names) => [...t.querySelectorAll('tr[data-agent-id]')].map(r => Object.fromEntries("
        "['data-agent-id', ...names].map(n => [n, r.getAttribute(n)])))",
        list(names),
    )
    return rows


def cell_texts(page: Page, rows: str) -> list[list[str]]:
    """The text of every header and data cell of the rows, row by row (a table in a closed
    <details> is not rendered, so its cells give their textContent)."""
    cells: list[list[str]] = page.eval_on_selector_all(
        rows,
        "rs => rs.map(r => [...r.querySelectorAll('th, td')].map("
        "c => (c.innerText || c.textContent).replace(/\\s+/g, ' ').trim()))",
    )
    return cells


def focused_testid(page: Page) -> str | None:
    value: str | None = page.evaluate("() => document.activeElement?.getAttribute('data-testid') ?? null")
    return value
