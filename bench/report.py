"""Writes <out>/results/latest.json (flat named numbers) and <out>/RESULTS.md (tables with targets)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bench.sql import ServerFacts

NOTES_PATH = Path(__file__).with_name("NOTES.md")


@dataclass(frozen=True)
class Target:
    """A bound a figure must meet: `op` is <=, >= or ==."""

    op: str
    value: float

    def met(self, figure: float) -> bool:
        """Whether the figure meets the bound."""
        if self.op == "<=":
            return figure <= self.value
        if self.op == ">=":
            return figure >= self.value
        return figure == self.value

    def text(self, unit: str) -> str:
        """The bound as shown beside the figure."""
        op = {"<=": "≤", ">=": "≥", "==": "="}[self.op]
        if unit == "ms":
            return f"{op} {self.value:g} ms"
        if unit == "ratio":
            return f"{op} {self.value:g}"
        return f"{op} {_number(self.value, unit)}"


@dataclass(frozen=True)
class Line:
    """One row of a RESULTS.md table: a JSON key, its unit, and its target if it has one."""

    key: str
    unit: str
    target: Target | None = None


def _sql_lines(
    prefix: str,
    names: tuple[str, ...],
    with_targets: bool,
    suffixes: tuple[str, ...] = ("", "_project"),
    at: str = "",
) -> list[Line]:
    lines = []
    for name in names:
        for suffix in suffixes:
            for days in (30, 365):
                target = Target("<=", 10.0 if days == 30 else 25.0) if with_targets else None
                lines.append(Line(f"{prefix}.{name}{suffix}.{days}{at}", "ms", target))
    return lines


ROUTES = ("daily", "by_agent", "agent_runtime", "runtime_daily", "failures_daily", "failures_by_agent")


def _zone_lines() -> list[Line]:
    return [
        line
        for zone in ("Asia/Kolkata", "America/New_York")
        for line in _sql_lines("rollup_sql_ms", ROUTES, True, ("",), f"@{zone}")
    ]


SECTIONS: list[tuple[str, list[Line]]] = [
    (
        "Rollup reads (SQL, the read path with USAGE_DASHBOARD_ROLLUP_ENABLED=true)",
        _sql_lines("rollup_sql_ms", ROUTES, True),
    ),
    (
        "Rollup reads with the queues holding one tick interval of writes (1,000 changed usage rows"
        " and 1,000 changed runs; the reads correct for them)",
        _sql_lines("rollup_sql_ms_queued", ROUTES, True)
        + _sql_lines("rollup_sql_ms_queued", ROUTES, True, ("",), "@Asia/Kolkata"),
    ),
    (
        "Rollup read path off UTC (windows: whole UTC days and months from the rollup, the two edge"
        " days raw; local days: stitched from whole UTC days and prefixes at the zones' quarter"
        " hours)",
        [*_zone_lines(), Line("split_fill_s", "s")],
    ),
    (
        "HTTP (granian on 127.0.0.1, GET /api/dashboard/usage/daily?days=30)",
        [
            Line("http_ms.rollup.daily.30", "ms"),
            Line("http_ms.raw.daily.30", "ms"),
            Line("http_overhead.sql_ms", "ms"),
            Line("http_overhead_ms", "ms", Target("<=", 3.0)),
            Line("http_rps.rollup.daily.30", "req/s", Target(">=", 500.0)),
            Line("http_errors", "count", Target("==", 0.0)),
            Line("http_requests", "count"),
            Line("http_client_cpu_pct", "pct"),
            Line("http_p99_ms.c64", "ms"),
            Line("http_rps.c64", "req/s"),
            Line("http_rps_at_p99_100ms", "req/s"),
            Line("http_p99_100ms_reached", "bool"),
        ],
    ),
    (
        "The page (headless Chromium, rollup path, UTC, navigation to the last chart drawn)",
        [
            Line("page_ms.30", "ms", Target("<=", 1000.0)),
            Line("page_ms.365", "ms", Target("<=", 1000.0)),
            Line("page_bytes_gzip", "bytes", Target("<=", 150_000.0)),
        ],
    ),
    (
        "Rollup upkeep",
        [
            Line("tick_ms.changed_1000.full", "ms", Target("<=", 300.0)),
            Line("tick_ms.changed_1000_runs.full", "ms", Target("<=", 300.0)),
            Line("tick_ms.changed_1000.small", "ms"),
            Line("tick_scale_ratio", "ratio", Target("<=", 2.0)),
            Line("reprice_tick_ms", "ms"),
            Line("reprice.rebuild_month_ms", "ms"),
            Line("reprice.ratio_to_rebuild_month", "ratio", Target("<=", 1.0)),
            Line("reprice.days_queued", "count"),
            Line("backfill_rows_per_s", "rows/s", Target(">=", 50_000.0)),
            Line("write_ratio_with_triggers", "ratio", Target(">=", 0.8)),
            Line("write_rows_per_s.with_triggers", "rows/s"),
            Line("write_rows_per_s.without_triggers", "rows/s"),
        ],
    ),
    (
        "Raw reads (SQL, the path before a backfill or with USAGE_DASHBOARD_ROLLUP_ENABLED=false)",
        _sql_lines("raw_sql_ms", ROUTES, False),
    ),
    (
        "Checks",
        [
            Line("check.rollup_equals_raw.daily.30", "bool", Target("==", 1.0)),
            Line("check.rollup_equals_raw_queued.daily.30", "bool", Target("==", 1.0)),
        ],
    ),
]


@dataclass(frozen=True)
class Context:
    """The non-numeric facts shown in RESULTS.md (and numeric ones also in the JSON)."""

    scale: str
    date: str
    cores: int
    memory_gb: float
    server: ServerFacts
    database: str
    workspaces: int
    tasks: int
    usage_rows: int
    tick_small_tasks: int
    tick_small_usage_rows: int
    wall_s: float
    repetitions: str
    failures: tuple[str, ...] = ()


_COUNT_SUFFIXES = {"rows/s": "rows/s", "req/s": "req/s", "bytes": "B"}


# Units shown with a fixed number of decimals: (places, suffix).
_DECIMALS = {"ratio": (2, ""), "s": (1, " s"), "pct": (0, " %")}


def _number(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:.2f} ms" if value < 100 else f"{value:,.0f} ms"
    if unit in _COUNT_SUFFIXES:
        return f"{value:,.0f} {_COUNT_SUFFIXES[unit]}"
    if unit in _DECIMALS:
        places, suffix = _DECIMALS[unit]
        return f"{value:.{places}f}{suffix}"
    if unit == "bool":
        return "yes" if value == 1 else "no"
    return f"{value:,.0f}"


def write_json(path: Path, figures: dict[str, float]) -> None:
    """A flat JSON object of named numbers, in measurement order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rounded = {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}
    path.write_text(json.dumps(rounded, indent=2) + "\n", encoding="utf-8")


def _table(lines: list[Line], figures: dict[str, float]) -> list[str]:
    out = ["| measurement | figure | target | status |", "| --- | ---: | --- | --- |"]
    for line in lines:
        if line.key not in figures:
            target = line.target.text(line.unit) if line.target is not None else ""
            out.append(f"| `{line.key}` | — | {target} | not measured |")
            continue
        figure = figures[line.key]
        if line.target is not None:
            target = line.target.text(line.unit)
            status = "met" if line.target.met(figure) else "**missed**"
        else:
            target, status = "", ""
        out.append(f"| `{line.key}` | {_number(figure, line.unit)} | {target} | {status} |")
    return out


_HOW = """\
- One database per history, created fresh on the server (embedded PostgreSQL unless
  DATABASE_URL is set), migrated with the project's runner, seeded with `app.demo.seed_workspace`
  (one common anchor: now), then `VACUUM (ANALYZE)` so no measurement races autovacuum or pays
  for first-read hint bits. Databases are dropped at the end.
- SQL figures: the typed wrappers of `app.db.queries` on one async psycopg connection
  (`prepare_threshold=None`, autocommit, like the app's pool); p50 of N runs after one warm-up
  run; `_project` = the large workspace's first project. Rollup figures are taken after a full
  backfill (which ends with a `VACUUM (ANALYZE)` of the rollup's tables and queues; the off-UTC
  figures after the zones' prefixes were filled and the same VACUUM ran again), and the rollup's
  daily answer is checked equal to the raw one.
- HTTP: `granian --interface asgi --factory app.api.app:create_app` as a subprocess on
  127.0.0.1 (rollup scheduler off); a rollup server with 2 workers (latency on one keep-alive
  connection, then throughput) and a raw server with 1 worker (latency). A personal access token
  from `app.tokens.create_token`. Throughput: 16 asyncio keep-alive HTTP/1.1 connections in one
  process, bounded by time and count, after a one-second warm-up; every non-200 or connection
  error counts in `http_errors`; `http_client_cpu_pct` is the load generator's own CPU time over
  the run's wall time (far below 100 % means it was not the bottleneck).
  `http_overhead_ms` = HTTP p50 - SQL p50 of the query it serves (rollup daily, 30 days), the
  two timed in five alternating batches on the same minute (`http_overhead.sql_ms` is that SQL
  p50).
- Load, on the same 2-worker server: `http_p99_ms.c64` is the p99 of 64 keep-alive clients
  sending back to back for the throughput run's length (`http_rps.c64` their rate). Then an
  open-loop load at each rate of the scale's steps, for a few seconds each, over at most 256
  connections, each latency counted from the instant the request was due;
  `http_rps_at_p99_100ms` is the first rate whose p99 passed 100 ms, or the highest rate tried
  when none did (`http_p99_100ms_reached` says which). The load generator shares the machine's
  cores with the server, so at high rates it takes CPU from it (`http_client_cpu_pct`).
- Tick and writes start after a CHECKPOINT, so the seed's and the backfill's dirty pages are not
  flushed inside their timings.
- Tick: per round, 1,000 `upsert_task_usage` reports in batches of 20 (half re-reports of rows of
  today and the last 7 days, half new rows on those rows' tasks, which land today), then one timed
  `tick_until_caught_up`; p50 over the rounds after a warm-up round. `small` is the same on a
  second database with 30 days of history at the same daily density.
- Re-price: a `gpt-5` version pinned at the first day of the month after the one three months
  back (the price already in effect there; its own re-pricing is ticked away untimed), then per
  round a new `gpt-5` version from that month's first day, covering just that month: the tick
  that follows (`reprice_tick_ms`) and `rollup_task_usage_dashboard_daily_window` over the same
  month (`reprice.rebuild_month_ms`), in alternating rounds; p50 over the rounds after a warm-up
  round. `reprice.days_queued` is how many days the price version queued.
- Backfill: `run_backfill(plan_backfill(conn))` from an empty rollup; usage rows / seconds.
- Writes: 4 concurrent connections, each sending a fixed number of 20-row `upsert_task_usage`
  batches (one transaction each); rounds alternate with and without the triggers
  (`ALTER TABLE task_usage DISABLE TRIGGER USER`) in ABBA order after a warm-up round; ratio of
  the medians.
"""


def render_markdown(figures: dict[str, float], context: Context) -> str:
    """RESULTS.md: context, one table per area, how measured, and the lead's notes."""
    server = context.server
    out = [
        "# Benchmark results",
        "",
        "Generated by `python -m bench`; do not edit by hand (write analysis in `bench/NOTES.md`).",
        "",
    ]
    if context.scale != "full":
        out += [
            f"> **Scale `{context.scale}`**: a smoke run of every measurement on a small history. "
            "Its figures are not comparable with the targets, which are set for `--scale full`.",
            "",
        ]
    out += [
        "| | |",
        "| --- | --- |",
        f"| scale | {context.scale} |",
        f"| date (UTC) | {context.date} |",
        f"| machine | {context.cores} cores, {context.memory_gb:.1f} GB memory |",
        f"| PostgreSQL | {server.version} ({context.database}) |",
        f"| server settings | shared_buffers {server.shared_buffers}, work_mem {server.work_mem}, "
        f"jit {server.jit}, max_parallel_workers_per_gather {server.max_parallel_workers_per_gather}, "
        f"synchronous_commit {server.synchronous_commit} |",
        f"| main history | {context.workspaces} workspaces, {context.tasks:,} tasks, "
        f"{context.usage_rows:,} usage rows |",
        f"| 30-day history (tick small) | {context.tick_small_tasks:,} tasks, "
        f"{context.tick_small_usage_rows:,} usage rows |",
        f"| repetitions | {context.repetitions} |",
        f"| wall time | {context.wall_s:.0f} s |",
        "",
    ]
    if context.failures:
        out += ["## Failures", "", "These areas failed; their figures are missing below.", ""]
        out += [f"- {failure}" for failure in context.failures] + [""]
    for title, lines in SECTIONS:
        out += [f"## {title}", "", *_table(lines, figures), ""]
    out += ["## How measured", "", _HOW, "## Notes", ""]
    if NOTES_PATH.exists():
        out.append(NOTES_PATH.read_text(encoding="utf-8").strip())
    else:
        out.append(
            "_Analysis by the lead engineer goes here: write it in `bench/NOTES.md`, which is "
            "included in this section every time the results are regenerated._"
        )
    return "\n".join(out) + "\n"


def write_markdown(path: Path, figures: dict[str, float], context: Context) -> None:
    """Writes RESULTS.md."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(figures, context), encoding="utf-8")
