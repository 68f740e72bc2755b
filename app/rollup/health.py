"""Judges the rollup's state: is it safe to serve from, and if not, why."""

from __future__ import annotations

import datetime

from app.config import RollupMode
from app.wire import RollupState


def serving_path(mode: RollupMode, state: RollupState) -> str:
    """Which path serves dashboard reads: raw or rollup as forced, or under auto the rollup once a
    backfill has completed (app.api.read_path.ReadPathChooser decides the same way)."""
    if mode == "auto":
        return "rollup" if state.backfilled else "raw"
    return "rollup" if mode == "true" else "raw"


def assess(state: RollupState, *, interval_seconds: int, now: datetime.datetime | None = None) -> str:
    """One word: failing, backfilling, not_backfilled, behind or ok.

    Behind means a queued key has waited longer than two tick intervals (plus a minute for
    pg_cron's granularity): reads would be missing usage the raw path already shows.
    """
    if state.last_error is not None:
        return "failing"
    if state.backfill_upper_bound is not None:
        return "backfilling"
    if state.watermark_at is None:
        return "not_backfilled"
    now = now or datetime.datetime.now(datetime.UTC)
    allowed = datetime.timedelta(seconds=2 * interval_seconds + 60)
    if state.oldest_queued_at is not None and now - state.oldest_queued_at > allowed:
        return "behind"
    return "ok"
