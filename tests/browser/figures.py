"""What the page must show, computed here from the API's JSON (docs/api.md, page.md, the contract).

Numbers are read exactly: `cost_usd` as a Decimal from its source text, then integer
micro-dollars; token and second sums as Python ints. The display checks accept only page.md's
shapes (`$1234`, `$12.35`, `1.2K`, `2m 30s`, `40%`) and require the shown figure to be the exact
one rounded to the digits shown.
"""

from __future__ import annotations

import decimal
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx

DAILY = "usage/daily"
BY_AGENT = "usage/by-agent"
RUNTIME = "agent-runtime"
RUNTIME_DAILY = "runtime/daily"
FAILURES_DAILY = "failures/daily"
FAILURES_BY_AGENT = "failures/by-agent"
AGENTS = "agents"
PROJECTS = "projects"
TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
RESTRICTED = "__restricted_agents__"
OTHER_AGENTS = "Other agents"
# The CSV link of each card and the route it downloads (the contract's card names).
CARD_ROUTES = {
    "trend": DAILY,
    "leaderboard": BY_AGENT,
    "errors-trend": FAILURES_DAILY,
    "failure-mix": FAILURES_DAILY,
    "offenders": FAILURES_BY_AGENT,
}

Row = dict[str, Any]


@dataclass(frozen=True)
class View:
    """The page's state as the URL and body[data-view] hold it."""

    ws: str
    days: int = 30
    project: str = ""
    tz: str = "UTC"
    tab: str = "usage"

    def query(self) -> str:
        """The canonical query string: ws, days, project, tz, tab in that order, URL-encoded."""
        pairs = [("ws", self.ws), ("days", str(self.days)), ("project", self.project)]
        return urlencode([*pairs, ("tz", self.tz), ("tab", self.tab)])

    def path(self) -> str:
        return f"/?{self.query()}"

    def api_params(self) -> dict[str, str]:
        """The API parameters of the view's window."""
        params = {"workspace_slug": self.ws, "days": str(self.days), "tz": self.tz}
        if self.project:
            params["project_id"] = self.project
        return params

    def but(self, **changes: Any) -> View:
        return replace(self, **changes)


class Api:
    """The API as a script would call it: Bearer token, no cookie."""

    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def close(self) -> None:
        self.http.close()

    def rows(self, route: str, view: View) -> list[Row]:
        response = self.http.get(f"/api/dashboard/{route}", params=view.api_params())
        assert response.status_code == 200, response.text
        # parse_float keeps cost_usd's digits (1e-06 included) for an exact conversion.
        body = response.json(parse_float=Decimal)
        assert isinstance(body, list)
        return body

    def labels(self, route: str, slug: str) -> list[Row]:
        response = self.http.get(f"/api/dashboard/{route}", params={"workspace_slug": slug})
        assert response.status_code == 200, response.text
        body: list[Row] = response.json()
        return body

    def csv(self, route: str, view: View) -> httpx.Response:
        response = self.http.get(f"/api/dashboard/{route}", params={**view.api_params(), "format": "csv"})
        assert response.status_code == 200, response.text
        return response

    def me(self) -> dict[str, Any]:
        response = self.http.get("/api/me")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def micros(cost_usd: Decimal | int) -> int:
    """A cost_usd (at most 6 decimals) as integer micro-dollars, exactly."""
    scaled = Decimal(cost_usd).scaleb(6)
    whole = int(scaled)
    assert whole == scaled, f"cost_usd {cost_usd} has more than 6 decimals"
    return whole


def tokens(row: Row) -> int:
    return sum(int(row[name]) for name in TOKEN_FIELDS)


@dataclass(frozen=True)
class UsageFigures:
    """The Usage tab's tiles for one view, from usage/daily and agent-runtime."""

    cost_micros: int
    tokens: int
    input_tokens: int
    output_tokens: int
    seconds: int
    tasks: int
    failed: int
    unpriced_models: frozenset[str]
    daily: list[Row]
    by_agent: list[Row]
    runtime: list[Row]
    runtime_daily: list[Row]


def usage_figures(api: Api, view: View) -> UsageFigures:
    daily = api.rows(DAILY, view)
    runtime = api.rows(RUNTIME, view)
    return UsageFigures(
        cost_micros=sum(micros(r["cost_usd"]) for r in daily),
        tokens=sum(tokens(r) for r in daily),
        input_tokens=sum(r["input_tokens"] for r in daily),
        output_tokens=sum(r["output_tokens"] for r in daily),
        seconds=sum(r["total_seconds"] for r in runtime),
        tasks=sum(r["task_count"] for r in runtime),
        failed=sum(r["failed_count"] for r in runtime),
        unpriced_models=frozenset(r["model"] for r in daily if r["unpriced_tokens"] > 0),
        daily=daily,
        by_agent=api.rows(BY_AGENT, view),
        runtime=runtime,
        runtime_daily=api.rows(RUNTIME_DAILY, view),
    )


@dataclass(frozen=True)
class AgentFigures:
    cost_micros: int = 0
    tokens: int = 0
    seconds: int = 0
    tasks: int = 0


def leaderboard(figures: UsageFigures) -> dict[str, AgentFigures]:
    """Per agent id: cost and tokens from usage/by-agent, time and tasks from agent-runtime."""
    result: dict[str, AgentFigures] = {}
    for row in figures.by_agent:
        old = result.get(row["agent_id"], AgentFigures())
        result[row["agent_id"]] = replace(
            old, cost_micros=old.cost_micros + micros(row["cost_usd"]), tokens=old.tokens + tokens(row)
        )
    for row in figures.runtime:
        old = result.get(row["agent_id"], AgentFigures())
        result[row["agent_id"]] = replace(old, seconds=row["total_seconds"], tasks=row["task_count"])
    return result


@dataclass(frozen=True)
class ErrorFigures:
    """The Errors tab's tiles for one view, from failures/daily and failures/by-agent."""

    failed: int
    runs: int
    agents_affected: int
    reasons: dict[str, int]
    per_agent: dict[str, tuple[int, int]]  # agent id: (failed, runs)
    daily: list[Row]


def error_figures(api: Api, view: View) -> ErrorFigures:
    daily = api.rows(FAILURES_DAILY, view)
    by_agent = api.rows(FAILURES_BY_AGENT, view)
    reasons: dict[str, int] = {}
    for row in daily:
        if row["failure_reason"]:
            reasons[row["failure_reason"]] = reasons.get(row["failure_reason"], 0) + row["task_count"]
    per_agent: dict[str, tuple[int, int]] = {}
    for row in by_agent:
        failed, runs = per_agent.get(row["agent_id"], (0, 0))
        failed += row["task_count"] if row["failure_reason"] else 0
        per_agent[row["agent_id"]] = (failed, runs + row["task_count"])
    return ErrorFigures(
        failed=sum(r["task_count"] for r in daily if r["failure_reason"]),
        runs=sum(r["task_count"] for r in daily),
        agents_affected=len({r["agent_id"] for r in by_agent if r["failure_reason"]}),
        reasons=reasons,
        per_agent=per_agent,
        daily=daily,
    )


# ---- failures.md's display classes ------------------------------------------------------------

CLASS_LABELS = {
    "auth": "Auth",
    "rate_limit": "Rate limit",
    "timeout": "Timeout",
    "provider": "Provider",
    "runtime": "Runtime",
    "agent": "Agent",
    "other": "Other",
}
_CLASSES = {
    "queued_expired": "runtime",
    "runtime_offline": "runtime",
    "runtime_reconnect_timeout": "runtime",
    "runtime_recovery": "runtime",
    "timeout": "timeout",
    "iteration_limit": "agent",
    "agent_blocked": "agent",
    "api_invalid_request": "provider",
    "skill_bundle_unavailable": "runtime",
    "runtime_cli_timeout": "runtime",
    "agent_error.provider_auth_or_access": "auth",
    "agent_error.missing_config": "auth",
    "agent_error.provider_quota_limit": "rate_limit",
    "agent_error.provider_capacity_or_rate_limit": "rate_limit",
    "agent_error.provider_server_error": "provider",
    "agent_error.provider_network": "provider",
    "agent_error.model_not_found_or_unavailable": "provider",
    "agent_error.agent_timeout": "timeout",
    "agent_error.process_failure": "agent",
    "agent_error.empty_or_unparseable_output": "agent",
    "agent_error.context_overflow": "agent",
    "agent_error.runtime_missing_executable": "runtime",
    "agent_error.runtime_version_unsupported": "runtime",
    "codex_semantic_inactivity": "timeout",
    "codex_resume_oversized": "agent",
}


def failure_class(reason: str) -> str:
    """The display class of a failure reason; unknown reasons are `other`."""
    return _CLASSES.get(reason, "other")


def class_counts(reasons: dict[str, int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for reason, count in reasons.items():
        counts[failure_class(reason)] = counts.get(failure_class(reason), 0) + count
    return counts


# ---- display formats (page.md, the contract's "Exact numbers") --------------------------------


def _within_last_digit(shown: Decimal, exact: Decimal, decimals: int) -> bool:
    """shown is exact rounded to `decimals` places (either way at an exact half)."""
    return abs(shown - exact) <= Decimal(5).scaleb(-decimals - 1)


def check_money(text: str, cost_micros: int) -> None:
    """`$1234` (whole dollars, no separators) at or above $100, `$12.35` below."""
    dollars = Decimal(cost_micros).scaleb(-6)
    if cost_micros >= 100_000_000:
        match = re.fullmatch(r"\$(\d+)", text)
        assert match, f"{text!r} is not whole dollars like $1234 (exact {dollars})"
        assert _within_last_digit(Decimal(match[1]), dollars, 0), f"{text!r} for {dollars}"
    else:
        match = re.fullmatch(r"\$(\d+\.\d\d)", text)
        assert match, f"{text!r} is not like $12.35 (exact {dollars})"
        assert _within_last_digit(Decimal(match[1]), dollars, 2), f"{text!r} for {dollars}"


_UNITS = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12, "Q": 10**15}


def check_compact(text: str, value: int) -> None:
    """`950`, `1.2K`, `3M`: below 1000 as is, else at most one decimal of the unit that puts
    the figure between 1 and 1000, rounded from the exact value."""
    if value < 1000:
        assert text == str(value), f"{text!r} for {value}"
        return
    match = re.fullmatch(r"(\d+(?:\.\d)?)([KMBTQ])", text)
    assert match, f"{text!r} is not compact like 1.2K or 3M (exact {value})"
    unit = _UNITS[match[2]]
    assert 1 <= Decimal(match[1]) < 1000, f"{text!r}: not the largest unit for {value}"
    decimals = len(match[1].partition(".")[2])
    assert _within_last_digit(Decimal(match[1]), Decimal(value) / unit, decimals), f"{text!r} for {value}"


_DURATION_UNITS = {"d": 86_400, "h": 3600, "m": 60, "s": 1}


def check_duration(text: str, seconds: int) -> None:
    """`45s`, `2m 30s`, `3h 17m`, `2d 5h`: the two largest units, the shown figure within one
    unit of its smaller part of the exact run time."""
    if seconds < 60:
        assert text == f"{seconds}s", f"{text!r} for {seconds} s"
        return
    big = "m" if seconds < 3600 else "h" if seconds < 86_400 else "d"
    small = {"m": "s", "h": "m", "d": "h"}[big]
    match = re.fullmatch(rf"(\d+){big}(?: (\d+){small})?", text)
    assert match, f"{text!r} is not like '2m 30s' / '3h 17m' / '2d 5h' for {seconds} s"
    shown = int(match[1]) * _DURATION_UNITS[big] + int(match[2] or 0) * _DURATION_UNITS[small]
    assert int(match[2] or 0) * _DURATION_UNITS[small] < _DURATION_UNITS[big], text
    assert abs(shown - seconds) < _DURATION_UNITS[small], f"{text!r} for {seconds} s"


def check_rate(text: str, failed: int, runs: int) -> None:
    """`40%`, `1.4%`; `—` with no runs."""
    if runs == 0:
        assert text == "—", f"{text!r} with no runs"
        return
    if text == "<0.1%":  # a rate that would show as 0.0% though something failed
        assert 0 < 1000 * failed < runs // 2 + 1, f"{text!r} for {failed}/{runs}"
        return
    match = re.fullmatch(r"(\d+(?:\.\d)?)%", text)
    assert match, f"{text!r} is not a rate like 40% or 1.4%"
    decimals = len(match[1].partition(".")[2])
    exact = Decimal(100 * failed) / Decimal(runs)
    assert _within_last_digit(Decimal(match[1]), exact, decimals), f"{text!r} for {failed}/{runs}"


def digits(text: str) -> int:
    """The integer written in text, ignoring thousands separators (`Across 1,234 tasks`)."""
    found = re.sub(r"(?<=\d)[,\u00a0\u202f](?=\d{3})", "", text)
    match = re.search(r"\d+", found)
    assert match, f"no number in {text!r}"
    return int(match[0])


def non_increasing(values: Iterable[Decimal | int]) -> bool:
    items = list(values)
    return all(a >= b for a, b in itertools.pairwise(items))


def rate(failed: int, runs: int) -> Decimal:
    return Decimal(failed) / Decimal(runs) if runs else Decimal(0)


decimal.getcontext().prec = 50
