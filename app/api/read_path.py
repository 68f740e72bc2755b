"""Which tables the dashboard routes read: raw task_usage and agent_task_queue, or the rollups.

The rollup path is exact in the reader's own snapshot: its queries add corrections for what the
queue holds, or read fresh what it names. The rollup holds UTC days. `usage/by-agent` sums one
window, so in any zone it reads the whole UTC days inside it from the rollup and the two partial
days at its edges from raw rows. `usage/daily` off UTC stitches each local day from whole UTC
days and prefixes at the quarter hours where the zone's midnights fall: the first read of a zone
registers those quarters and wakes this process's ticker, which fills their prefixes at once
(raw rows serve the days not filled yet). The run routes read the run rollup the same way:
windows from whole months and days plus raw edges, local days from whole UTC days and the same
quarters' prefixes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from app.config import RollupMode
from app.db import queries
from app.db.queries import Connection, DashboardFilter
from app.rollup.scheduler import QUARTER_REQUESTS, database_of
from app.wire import AgentFailures, AgentRunTime, AgentUsage, DailyFailures, DailyRunTime, DailyUsage


@dataclass(frozen=True)
class DashboardDb:
    """A dashboard request's connections: `read` runs its dashboard query (the replica of
    DATABASE_READ_URL, else the same connection as `primary`), `primary` its few writes."""

    primary: Connection
    read: Connection

    @classmethod
    def of(cls, conn: Connection) -> DashboardDb:
        """One connection for both (no replica)."""
        return cls(primary=conn, read=conn)


Row = TypeVar("Row")
Query = Callable[[DashboardDb, DashboardFilter], Awaitable[list[Row]]]


@dataclass(frozen=True)
class DashboardReadPath:
    """The six dashboard queries of one read path."""

    name: str
    daily: Query[DailyUsage]
    by_agent: Query[AgentUsage]
    agent_runtime: Query[AgentRunTime]
    runtime_daily: Query[DailyRunTime]
    failures_daily: Query[DailyFailures]
    failures_by_agent: Query[AgentFailures]


def _on_read(query: Callable[[Connection, DashboardFilter], Awaitable[list[Row]]]) -> Query[Row]:
    """query, run on the request's read connection."""

    async def run(db: DashboardDb, f: DashboardFilter) -> list[Row]:
        return await query(db.read, f)

    return run


# Quarters known to be registered, per database (host, port, name): registering is a write,
# so each process does it once per quarter, not on every read.
_registered: set[tuple[str, int, str, int]] = set()


async def _register_splits(conn: Connection, quarters: frozenset[int]) -> None:
    database = database_of(conn)
    missing = sorted(q for q in quarters if (*database, q) not in _registered)
    if missing:
        await queries.register_rollup_splits(conn, missing)
        _registered.update((*database, q) for q in missing)
        QUARTER_REQUESTS.add(database, missing)


# A replica cannot write: quarters are registered on the primary, and until the replica has
# replayed that (and the prefixes the ticks fill), its reads take those local days from raw rows.
async def _daily_rollup(db: DashboardDb, f: DashboardFilter) -> list[DailyUsage]:
    if f.window.utc_days:
        return await queries.list_dashboard_usage_daily_rollup(db.read, f)
    await _register_splits(db.primary, f.window.split_quarters)
    return await queries.list_dashboard_usage_daily_zone_rollup(db.read, f)


async def _runtime_daily_rollup(db: DashboardDb, f: DashboardFilter) -> list[DailyRunTime]:
    await _register_splits(db.primary, f.window.split_quarters)
    return await queries.list_dashboard_runtime_daily_rollup(db.read, f)


async def _failures_daily_rollup(db: DashboardDb, f: DashboardFilter) -> list[DailyFailures]:
    await _register_splits(db.primary, f.window.split_quarters)
    return await queries.list_dashboard_failures_daily_rollup(db.read, f)


RAW = DashboardReadPath(
    "raw",
    daily=_on_read(queries.list_dashboard_usage_daily),
    by_agent=_on_read(queries.list_dashboard_usage_by_agent),
    agent_runtime=_on_read(queries.list_dashboard_agent_run_time),
    runtime_daily=_on_read(queries.list_dashboard_runtime_daily),
    failures_daily=_on_read(queries.list_dashboard_failures_daily),
    failures_by_agent=_on_read(queries.list_dashboard_failures_by_agent),
)
ROLLUP = DashboardReadPath(
    "rollup",
    daily=_daily_rollup,
    by_agent=_on_read(queries.list_dashboard_usage_by_agent_rollup),
    agent_runtime=_on_read(queries.list_dashboard_agent_run_time_rollup),
    runtime_daily=_runtime_daily_rollup,
    failures_daily=_failures_daily_rollup,
    failures_by_agent=_on_read(queries.list_dashboard_failures_by_agent_rollup),
)


class ReadPathChooser:
    """Picks a request's read path: fixed by `true` / `false`; under `auto`, the rollup once a
    backfill has completed, asked of the database until it has and remembered after."""

    def __init__(self, mode: RollupMode) -> None:
        self.mode = mode
        # A completed backfill stays completed: later ticks and backfills keep the rollup whole.
        self._backfilled = False

    async def choose(self, conn: Connection) -> DashboardReadPath:
        """RAW or ROLLUP for one request, asked on the connection its query will read from (a
        replica that has not replayed the backfill's end yet is read raw)."""
        if self.mode != "auto":
            return ROLLUP if self.mode == "true" else RAW
        if not self._backfilled:
            self._backfilled = await queries.rollup_backfilled(conn)
        return ROLLUP if self._backfilled else RAW
