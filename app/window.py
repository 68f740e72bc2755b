"""The dashboard's time window: exactly `days` UTC calendar days ending today (UTC)."""

from __future__ import annotations

import datetime

import msgspec

MIN_DAYS = 1
MAX_DAYS = 365
DEFAULT_DAYS = 30


class Window(msgspec.Struct, frozen=True):
    """Half-open UTC interval [since, until) of whole UTC days."""

    since: datetime.datetime
    until: datetime.datetime


def window_for_days(days: int, now: datetime.datetime | None = None) -> Window:
    """The window of `days` UTC days ending with today's UTC date (today included)."""
    now = now or datetime.datetime.now(datetime.UTC)
    today = now.astimezone(datetime.UTC).date()
    until = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(), datetime.UTC)
    return Window(since=until - datetime.timedelta(days=days), until=until)
