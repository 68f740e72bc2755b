"""Checks of a drawn view against the API: every figure of page.md's "Numbers agree everywhere"."""

from __future__ import annotations

import re

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.browser.figures import (
    AGENTS,
    OTHER_AGENTS,
    RESTRICTED,
    Api,
    ErrorFigures,
    UsageFigures,
    View,
    check_compact,
    check_duration,
    check_money,
    check_rate,
    digits,
    error_figures,
    leaderboard,
    usage_figures,
)
from tests.browser.pages import bar_values, cell_texts, open_view, row_attributes, tile, wait_view

LEADERBOARD_TOP = 10
OFFENDERS_TOP = 8
_SUM_BARS = """([chart, expected]) => {
  const rects = document.querySelectorAll(`svg[data-testid=${chart}] rect[data-value]`);
  let sum = 0n;
  for (const r of rects) sum += BigInt(r.getAttribute('data-value'));
  return sum === BigInt(expected);
}"""


def agent_names(api: Api, slug: str) -> dict[str, str]:
    names = {row["id"]: row["name"] for row in api.labels(AGENTS, slug)}
    names[RESTRICTED] = OTHER_AGENTS
    return names


def wait_bars_sum(page: Page, chart: str, expected: int) -> None:
    """Waits until the chart's bar segments sum to expected; fails with what they sum to."""
    try:
        page.wait_for_function(_SUM_BARS, arg=[chart, str(expected)], timeout=5000)
    except PlaywrightError:
        bars = bar_values(page, chart)
        raise AssertionError(f"{chart} bars sum to {sum(v for _, v in bars)}, expected {expected}") from None


def number_text(text: str, value: int) -> None:
    """A count shown in full (thousands separators allowed)."""
    assert re.fullmatch(r"\d{1,3}([,\u00a0\u202f]?\d{3})*", text), f"{text!r} for {value}"
    assert digits(text) == value, f"{text!r} for {value}"


def check_labels(page: Page, days: int, labels: dict[str, str]) -> None:
    """Each tile is labelled with its figure and the period, as `Cost · 30D`."""
    for name, label in labels.items():
        expect(page.locator(f"[data-testid=kpi-{name}]")).to_contain_text(f"{label} · {days}D")


def check_usage_tiles(page: Page, figures: UsageFigures, days: int) -> None:
    check_labels(page, days, {"cost": "Cost", "tokens": "Tokens", "runtime": "Run time", "tasks": "Tasks"})
    cost = tile(page, "cost")
    assert cost.exact == str(figures.cost_micros)
    check_money(cost.value, figures.cost_micros)

    tokens = tile(page, "tokens")
    assert tokens.exact == str(figures.tokens)
    check_compact(tokens.value, figures.tokens)
    hint = re.fullmatch(r"Input (\S+) · Output (\S+)", tokens.hint)
    assert hint, f"tokens hint {tokens.hint!r}"
    check_compact(hint[1], figures.input_tokens)
    check_compact(hint[2], figures.output_tokens)

    runtime = tile(page, "runtime")
    assert runtime.exact == str(figures.seconds)
    check_duration(runtime.value, figures.seconds)
    assert re.fullmatch(r"Across [\d,]+ tasks?", runtime.hint), runtime.hint
    assert digits(runtime.hint) == figures.tasks

    tasks = tile(page, "tasks")
    assert tasks.exact == str(figures.tasks)
    number_text(tasks.value, figures.tasks)
    assert re.fullmatch(r"[\d,]+ failed", tasks.hint), tasks.hint
    assert digits(tasks.hint) == figures.failed


def check_trend(page: Page, view: View, figures: UsageFigures) -> None:
    """Each metric's bars sum to its tile; the table has one row per local day."""
    expected = {
        "tokens": figures.tokens,
        "cost": figures.cost_micros,
        "time": figures.seconds,
        "tasks": figures.tasks,
    }
    for metric in ("cost", "time", "tasks", "tokens"):
        button = page.locator(f"[data-testid=trend-metric-{metric}]")
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
        wait_bars_sum(page, "trend-chart", expected[metric])
    expect(page.locator("table[data-testid=trend-table] tbody tr")).to_have_count(view.days)


def show_all(page: Page, button: str, rows: int, top: int) -> None:
    """Clicks "Show all" when there are more rows than the top shows; no button otherwise."""
    locator = page.locator(f"[data-testid={button}]")
    if rows > top:
        locator.click()
    else:
        expect(locator).to_have_count(0)


def check_leaderboard(page: Page, api: Api, view: View, figures: UsageFigures) -> None:
    """Rows are the agents of usage/by-agent and agent-runtime, with their exact figures."""
    expected = leaderboard(figures)
    table = page.locator("table[data-testid=leaderboard-table]")
    if len(expected) > LEADERBOARD_TOP:
        expect(table.locator("tr[data-agent-id]")).to_have_count(LEADERBOARD_TOP)
    show_all(page, "leaderboard-show-all", len(expected), LEADERBOARD_TOP)
    expect(table.locator("tr[data-agent-id]")).to_have_count(len(expected))
    rows = row_attributes(table, "data-cost-micros", "data-tokens", "data-seconds", "data-tasks")
    shown = {
        row["data-agent-id"]: (
            int(row["data-cost-micros"]),
            int(row["data-tokens"]),
            int(row["data-seconds"]),
            int(row["data-tasks"]),
        )
        for row in rows
    }
    assert shown == {agent: (f.cost_micros, f.tokens, f.seconds, f.tasks) for agent, f in expected.items()}
    # Columns Agent, Tokens, Cost, Time, Tasks, in the display formats.
    names = agent_names(api, view.ws)
    texts = cell_texts(page, "table[data-testid=leaderboard-table] tr[data-agent-id]")
    for row, cells in zip(rows, texts, strict=True):
        agent = row["data-agent-id"]
        figures_of = expected[agent]
        assert len(cells) == 5, cells
        assert cells[0].startswith(names[agent]), (cells[0], names[agent])
        check_compact(cells[1], figures_of.tokens)
        check_money(cells[2], figures_of.cost_micros)
        check_duration(cells[3], figures_of.seconds)
        number_text(cells[4], figures_of.tasks)


def check_unpriced_note(page: Page, figures: UsageFigures) -> None:
    note = page.locator("[data-testid=unpriced-note]")
    if figures.unpriced_models:
        expect(note).to_be_visible()
        for model in figures.unpriced_models:
            expect(note).to_contain_text(model)
        expect(note).to_contain_text("usage-dashboard prices set")
    else:
        expect(note).to_be_hidden()


def check_usage_tab(page: Page, api: Api, view: View) -> UsageFigures:
    figures = usage_figures(api, view)
    check_usage_tiles(page, figures, view.days)
    check_unpriced_note(page, figures)
    # A window can be empty for a while after a local midnight: the page then says so instead.
    if not figures.daily and not figures.runtime:
        expect(page.locator("[data-testid=empty-usage]")).to_have_text("No usage in this window.")
        expect(page.locator("table[data-testid=leaderboard-table]")).to_have_count(0)
        return figures
    check_leaderboard(page, api, view, figures)
    check_trend(page, view, figures)
    return figures


def check_error_tiles(page: Page, api: Api, view: View, figures: ErrorFigures) -> None:
    labels = {"failed": "Failed tasks", "failure-rate": "Failure rate", "agents-affected": "Agents affected"}
    check_labels(page, view.days, labels)
    failed = tile(page, "failed")
    assert failed.exact == str(figures.failed)
    number_text(failed.value, figures.failed)
    assert re.fullmatch(r"Of [\d,]+ runs?", failed.hint), failed.hint
    assert digits(failed.hint) == figures.runs

    failure_rate = tile(page, "failure-rate")
    assert failure_rate.exact == f"{figures.failed}/{figures.runs}"
    check_rate(failure_rate.value, figures.failed, figures.runs)

    affected = tile(page, "agents-affected")
    assert affected.exact == str(figures.agents_affected)
    number_text(affected.value, figures.agents_affected)
    if figures.agents_affected:
        worst = max(failed for failed, _ in figures.per_agent.values())
        names = agent_names(api, view.ws)
        candidates = {
            f"Worst {names[agent]} · {worst}" for agent, (n, _) in figures.per_agent.items() if n == worst
        }
        assert affected.hint in candidates


def check_errors_tab(page: Page, api: Api, view: View) -> ErrorFigures:
    figures = error_figures(api, view)
    check_error_tiles(page, api, view, figures)
    if not figures.failed:
        expect(page.locator("[data-testid=empty-errors]")).to_have_text("No failed runs in this window.")
        expect(page.locator("table[data-testid=errors-table]")).to_have_count(0)
        return figures
    wait_bars_sum(page, "errors-chart", figures.failed)
    expect(page.locator("table[data-testid=errors-table] tbody tr")).to_have_count(view.days)
    return figures


def check_view(page: Page, api: Api, view: View) -> tuple[UsageFigures, ErrorFigures]:
    """Both tabs of a view, the Usage tab first (view.tab is ignored)."""
    open_view(page, view.but(tab="usage"))
    usage = check_usage_tab(page, api, view)
    page.locator("[data-testid=tab-errors]").click()
    wait_view(page, view.but(tab="errors"))
    errors = check_errors_tab(page, api, view)
    return usage, errors
