"""Which tables the usage routes read: raw task_usage, or the daily rollup.

The rollup path is exact in the reader's own snapshot: its queries add corrections for what the
queue holds, or read fresh what it names. The rollup holds UTC days. `usage/by-agent` sums one
window, so in any zone it reads the whole UTC days inside it from the rollup and the two partial
days at its edges from raw rows. `usage/daily` off UTC stitches each local day from whole UTC
days and prefixes at the quarter hours where the zone's midnights fall: the first read of a zone
registers those quarters, and the tick fills their prefixes (raw rows serve the days not filled
yet).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.config import RollupMode
from app.db import queries
from app.db.queries import Connection, DashboardFilter
from app.wire import AgentUsage, DailyUsage


@dataclass(frozen=True)
class UsageReadPath:
    """The two usage queries of one read path; agent-runtime always reads raw tasks."""

    name: str
    daily: Callable[[Connection, DashboardFilter], Awaitable[list[DailyUsage]]]
    by_agent: Callable[[Connection, DashboardFilter], Awaitable[list[AgentUsage]]]


# Quarters known to be registered, per database (host, port, name): registering is a write,
# so each process does it once per quarter, not on every read.
_registered: set[tuple[str, int, str, int]] = set()


async def _register_splits(conn: Connection, quarters: frozenset[int]) -> None:
    database = (conn.info.host, conn.info.port, conn.info.dbname)
    missing = sorted(q for q in quarters if (*database, q) not in _registered)
    if missing:
        await queries.register_rollup_splits(conn, missing)
        _registered.update((*database, q) for q in missing)


async def _daily_rollup(conn: Connection, f: DashboardFilter) -> list[DailyUsage]:
    if f.window.utc_days:
        return await queries.list_dashboard_usage_daily_rollup(conn, f)
    await _register_splits(conn, f.window.split_quarters)
    return await queries.list_dashboard_usage_daily_zone_rollup(conn, f)


RAW = UsageReadPath("raw", queries.list_dashboard_usage_daily, queries.list_dashboard_usage_by_agent)
ROLLUP = UsageReadPath("rollup", _daily_rollup, queries.list_dashboard_usage_by_agent_rollup)


class ReadPathChooser:
    """Picks a request's read path: fixed by `true` / `false`; under `auto`, the rollup once a
    backfill has completed, asked of the database until it has and remembered after."""

    def __init__(self, mode: RollupMode) -> None:
        self.mode = mode
        # A completed backfill stays completed: later ticks and backfills keep the rollup whole.
        self._backfilled = False

    async def choose(self, conn: Connection) -> UsageReadPath:
        """RAW or ROLLUP for one request, on the request's own connection."""
        if self.mode != "auto":
            return ROLLUP if self.mode == "true" else RAW
        if not self._backfilled:
            self._backfilled = await queries.rollup_backfilled(conn)
        return ROLLUP if self._backfilled else RAW
