"""The `usage-dashboard` command: serve, migrate, seed, token, prices, rollup and backfill."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import datetime
import importlib.metadata
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import psycopg
from psycopg import AsyncConnection

from app.config import METRICS_MULTIPROCESS_ENV, ConfigError, Settings, load_settings
from app.db import queries
from app.db.embedded import EmbeddedError, start_embedded
from app.db.migrate import MigrationError, Runner
from app.demo import SeedError, SeedPlan, check_slug, seed_workspace
from app.listen import ListenError, listen_address
from app.prices import (
    CSV_COLUMNS,
    PRICE_COLUMNS,
    PriceError,
    PriceListing,
    PriceVersion,
    format_price,
    format_price_csv,
    parse_date,
    parse_price_csv,
    price_version,
)
from app.progress import progress_bar
from app.rollup import cron
from app.rollup.backfill import BackfillError, dry_run, plan_backfill, run_backfill
from app.rollup.cron import CronError
from app.rollup.health import assess, serving_path
from app.rollup.tick import TickError, TickReport, tick_until_caught_up
from app.tokens import ROLES, CreatedToken, TokenError, create_token
from app.wire import ListedToken, RollupState

PROG = "usage-dashboard"
DEMO_SLUG = "demo"
DEMO_EMAIL = "demo@example.com"
# A year of demo history: every window the API serves has data, and the days before the shipped
# table's price change (claude-sonnet-5, 2026-09-01) show next to those after it.
DEMO_DAYS = 365
DEMO_TOKEN_DAYS = 30
# After SIGTERM a worker gets this long to finish its requests (each is cut at the statement
# timeout, 15 s by default) before it is killed: a granian worker can hang at shutdown
# (emmett-framework/granian#875), and a deploy must not wait on it forever.
WORKER_STOP_SECONDS = 30


class CliError(RuntimeError):
    """A command failed in a way the user can act on; printed as one line."""


class _Parser(argparse.ArgumentParser):
    """Reports bad arguments as one line and exit code 2, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _int_at_least(low: int, high: int | None = None) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {value}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"expected an integer <= {high}, got {value}")
        return value

    return parse


def _slug(text: str) -> str:
    try:
        return check_slug(text)
    except SeedError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _token_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        message = f"expected a token id (a UUID: see token list), got {text!r}"
        raise argparse.ArgumentTypeError(message) from None


def _version(text: str) -> str:
    if not (text.isdigit() and len(text) <= 4):
        raise argparse.ArgumentTypeError(f"expected a migration version like 0001, got {text!r}")
    return text.zfill(4)


def _conninfo(settings: Settings) -> str:
    """DATABASE_URL, or the embedded server's socket when it is unset."""
    return settings.database_url or start_embedded(settings.data_dir)


def _connect_error(exc: psycopg.OperationalError) -> str:
    return "cannot connect to the database: " + " ".join(str(exc).split())


async def _connect(conninfo: str) -> AsyncConnection[Any]:
    """An autocommit connection: commands open their own transactions where they need one."""
    return await AsyncConnection.connect(conninfo, autocommit=True)


# ---- serve -------------------------------------------------------------------------------


async def _prepare_embedded_demo(conninfo: str, settings: Settings) -> CreatedToken | None:
    """Seeds the demo workspace and a token when the embedded database has no workspace, and
    backfills the rollup once unless it is switched off, so a new user reads the rollup."""
    async with await _connect(conninfo) as conn:
        if await queries.count_workspaces(conn) == 0:
            plan = SeedPlan(slug=DEMO_SLUG, days=DEMO_DAYS)
            with progress_bar("seeding demo workspace", plan.days) as update:
                await seed_workspace(conn, plan, on_progress=update)
        token = None
        # A fresh demo token at every start, so the page URL printed below always opens; each
        # expires, so restarts do not pile up valid tokens.
        if await queries.get_workspace_id_by_slug(conn, DEMO_SLUG) is not None:
            token = await create_token(
                conn,
                email=DEMO_EMAIL,
                workspace_slug=DEMO_SLUG,
                role="owner",
                name="demo",
                expires_in_days=DEMO_TOKEN_DAYS,
            )
        state = await queries.get_rollup_status(conn)
        if settings.rollup_maintained and not state.backfilled:
            backfill = await plan_backfill(conn)
            with progress_bar("backfilling the rollup", len(backfill.slices)) as update:
                await run_backfill(conn, backfill, on_progress=update)
        return token


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from granian import Granian
    from granian.constants import Interfaces, Loops

    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    # Before the embedded server starts or the demo is seeded: a taken port fails in a second.
    address = listen_address(host, port)
    if settings.embedded:
        conninfo = start_embedded(settings.data_dir)
        applied = Runner(conninfo).up()
        if applied:
            print(f"applied migrations: {', '.join(applied)}")
        token = asyncio.run(_prepare_embedded_demo(conninfo, settings))
        shown_host = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104
        base = f"http://{shown_host}:{port}"
        print(f"embedded PostgreSQL data: {settings.data_dir}")
        # Other commands reach this server through the same data directory (or this URL).
        print(f"embedded PostgreSQL: {conninfo}")
        print(f"dashboard API: {base}/api/dashboard/usage/daily?workspace_slug={DEMO_SLUG}")
        if token is not None:
            print(f"demo token (owner of {DEMO_SLUG}, valid {DEMO_TOKEN_DAYS} days): {token.secret}")
            print(
                f"try: curl -H 'Authorization: Bearer {token.secret}' "
                f"'{base}/api/dashboard/usage/daily?workspace_slug={DEMO_SLUG}&days=7'"
            )
            # The token rides in the fragment, which browsers never send: the page signs in
            # with it, drops it from the address bar, and keeps only a session cookie.
            print(f"open the dashboard: {base}/#token={token.secret}")
        else:
            print(f"create a token: {PROG} token create --email you@example.com --workspace {DEMO_SLUG}")
            print(f"open the dashboard: {base}/")
        # Workers are separate processes: they reach the embedded server through this URL.
        os.environ["DATABASE_URL"] = conninfo
    if workers > 1 and not os.environ.get(METRICS_MULTIPROCESS_ENV):
        # Each worker keeps its own counters; in this directory a scrape of one sums them all.
        metrics_dir = tempfile.mkdtemp(prefix="usage-dashboard-metrics-")
        atexit.register(shutil.rmtree, metrics_dir, ignore_errors=True)
        os.environ[METRICS_MULTIPROCESS_ENV] = metrics_dir
    Granian(
        "app.api.app:create_app",
        factory=True,
        interface=Interfaces.ASGI,
        address=address,
        port=port,
        workers=workers,
        workers_kill_timeout=WORKER_STOP_SECONDS,
        # uvloop, named rather than left to "auto" (which would prefer rloop if it were ever
        # installed): 538 -> 574 req/s on two workers, side by side, against asyncio's loop.
        loop=Loops.uvloop,
    ).serve()
    return 0


# ---- migrate -----------------------------------------------------------------------------


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    runner = Runner(_conninfo(settings))
    action = args.action or "up"
    if action == "up":
        applied = runner.up()
        if applied:
            print(f"applied: {', '.join(applied)}")
        if runner.functions_applied:
            print(f"function files applied: {len(runner.functions_applied)}")
        if runner.shipped_prices_changed:
            print(f"shipped price versions loaded or changed: {runner.shipped_prices_changed}")
        if not (applied or runner.functions_applied or runner.shipped_prices_changed):
            print("up to date")
    elif action == "down":
        reverted = runner.down(args.to)
        print(f"reverted: {', '.join(reverted)}" if reverted else "nothing to revert")
    elif action == "baseline":
        marked = runner.baseline(args.version)
        print(f"marked as applied: {', '.join(marked)}" if marked else "nothing to mark")
    else:
        for item in runner.status():
            when = item.applied_at.isoformat(timespec="seconds") if item.applied_at else "-"
            print(f"{item.version}  {item.state:<8} {when:<25} {item.name}")
        for function in runner.functions_status():
            when = function.applied_at.isoformat(timespec="seconds") if function.applied_at else "-"
            print(f"fn    {function.state:<8} {when:<25} functions/{function.name}.sql")
    return 0


# ---- seed --------------------------------------------------------------------------------


async def _seed_async(conninfo: str, plan: SeedPlan) -> None:
    async with await _connect(conninfo) as conn:
        with progress_bar(f"seeding {plan.slug}", plan.days) as update:
            result = await seed_workspace(conn, plan, on_progress=update)
    print(
        f"seeded workspace {plan.slug} ({result.workspace_id}): "
        f"{plan.agents} agents, {plan.projects} projects, {plan.issue_count} issues, "
        f"{result.tasks} tasks, {result.usage_rows} usage rows"
    )


def _seed(args: argparse.Namespace, settings: Settings) -> int:
    plan = SeedPlan(
        slug=args.workspace,
        agents=args.agents,
        projects=args.projects,
        days=args.days,
        tasks_per_day=args.tasks_per_day,
        issues=args.issues,
        random_seed=args.random_seed,
    )
    asyncio.run(_seed_async(_conninfo(settings), plan))
    return 0


# ---- token -------------------------------------------------------------------------------


async def _token_async(conninfo: str, args: argparse.Namespace) -> CreatedToken:
    async with await _connect(conninfo) as conn:
        return await create_token(
            conn,
            email=args.email,
            workspace_slug=args.workspace,
            role=args.role,
            name=args.name,
            expires_in_days=args.expires_in_days,
        )


async def _token_list_async(conninfo: str, email: str | None) -> list[ListedToken]:
    async with await _connect(conninfo) as conn:
        return await queries.list_personal_access_tokens(conn, email)


async def _token_revoke_async(conninfo: str, token_id: uuid.UUID) -> bool | None:
    async with await _connect(conninfo) as conn:
        return await queries.revoke_personal_access_token(conn, token_id)


def _token_state(token: ListedToken, now: datetime.datetime) -> str:
    if token.revoked:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def _print_tokens(tokens: list[ListedToken]) -> None:
    def when(value: datetime.datetime | None, empty: str) -> str:
        return value.isoformat(timespec="seconds") if value else empty

    now = datetime.datetime.now(datetime.UTC)
    print(f"{len(tokens)} token(s)")
    for t in tokens:
        print(
            f"{t.id}  {t.token_prefix}...  {_token_state(t, now):<7}  {t.email}  name={t.name}  "
            f"created {when(t.created_at, '-')}  expires {when(t.expires_at, 'never')}  "
            f"last used {when(t.last_used_at, 'never')}"
        )


def _token(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "list":
        _print_tokens(asyncio.run(_token_list_async(_conninfo(settings), args.email)))
        return 0
    if args.action == "revoke":
        was_revoked = asyncio.run(_token_revoke_async(_conninfo(settings), args.token_id))
        if was_revoked is None:
            raise CliError(f"no token with id {args.token_id} (see token list)")
        print(f"token {args.token_id} {'was already revoked' if was_revoked else 'revoked'}")
        return 0
    token = asyncio.run(_token_async(_conninfo(settings), args))
    expires = token.expires_at.isoformat(timespec="seconds") if token.expires_at else "never"
    membership = "new membership" if token.membership_created else "existing membership, role unchanged"
    print(f"token {token.id} for {args.email} in {args.workspace} ({membership})")
    print(f"expires: {expires}; the secret below is shown once and stored only as SHA-256")
    print(token.secret)
    return 0


# ---- prices ------------------------------------------------------------------------------


def _price_line(listing: PriceListing) -> str:
    v = listing.version
    prices = "  ".join(f"{name}={format_price(getattr(v, name))}" for name in PRICE_COLUMNS)
    return f"{v.key:<32} from {v.effective_from}  {prices}  ({listing.source})"


async def _prices_async(conninfo: str, args: argparse.Namespace) -> None:
    async with await _connect(conninfo) as conn:
        if args.action == "list":
            at = args.at or datetime.datetime.now(datetime.UTC).date()
            listings = await queries.list_model_prices_at(conn, at)
            print(f"prices in effect on {at} (USD per million tokens), {len(listings)} key(s):")
            for listing in listings:
                print(_price_line(listing))
        elif args.action == "export":
            versions = [listing.version for listing in await queries.list_model_prices(conn)]
            sys.stdout.write(format_price_csv(versions))
        else:
            versions = args.versions
            async with conn.transaction():
                changed = await queries.upsert_model_prices(conn, versions)
            print(
                f"{changed} of {len(versions)} price version(s) new or changed; "
                "the rollup reprices the days they cover at its next tick"
            )


def _price_versions(args: argparse.Namespace) -> list[PriceVersion]:
    """The versions a set or import asks for, checked whole before anything is written."""
    if args.action == "set":
        prices = {
            "input": args.input,
            "output": args.output,
            "cache_read": args.cache_read,
            "cache_write": args.cache_write,
        }
        return [price_version(args.key, args.effective_from, prices)]
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc.strerror if isinstance(exc, OSError) else exc}") from exc
    versions = parse_price_csv(text, path.name)
    if not versions:
        raise CliError(f"{path.name}: no price versions after the header")
    return versions


def _prices(args: argparse.Namespace, settings: Settings) -> int:
    if args.action in {"set", "import"}:
        args.versions = _price_versions(args)
    asyncio.run(_prices_async(_conninfo(settings), args))
    return 0


def _day(text: str) -> datetime.date:
    try:
        return parse_date(text)
    except PriceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# ---- rollup and backfill ------------------------------------------------------------------


async def _rollup_tick_async(conninfo: str) -> TickReport:
    async with await _connect(conninfo) as conn:
        return await tick_until_caught_up(conn)


async def _rollup_loop_async(conninfo: str, interval: float) -> NoReturn:
    async with await _connect(conninfo) as conn:
        while True:
            try:
                report = await tick_until_caught_up(conn)
                print(f"tick: {report.steps} step(s), {report.rows} row(s)", flush=True)
            except TickError as exc:
                print(f"{PROG}: tick failed: {exc}", file=sys.stderr, flush=True)
            await asyncio.sleep(interval)


def _print_status(state: RollupState, settings: Settings) -> None:
    def when(value: datetime.datetime | None) -> str:
        return value.isoformat(timespec="seconds") if value else "-"

    lag = f"{state.lag_seconds:.0f} s" if state.lag_seconds is not None else "-"
    rows = [
        ("state", assess(state, interval_seconds=settings.rollup_interval_seconds)),
        ("read path", f"{serving_path(settings.rollup_mode, state)} (mode {settings.rollup_mode})"),
        ("watermark", when(state.watermark_at)),
        ("last run started", when(state.last_run_started_at)),
        ("last run finished", when(state.last_run_finished_at)),
        ("last run rows", "-" if state.last_run_rows is None else str(state.last_run_rows)),
        ("last error", state.last_error or "-"),
        ("last success", when(state.last_success_at)),
        ("lag", lag),
        ("queue depth", f"{state.queue_depth} key(s) over {state.queued_days} day(s)"),
        ("oldest queued", when(state.oldest_queued_at)),
        ("staleness", f"{state.staleness_seconds:.0f} s"),
        ("newest usage not rolled up", when(state.newest_unrolled_usage_at)),
    ]
    if state.backfill_upper_bound is not None:
        rows.append(
            (
                "backfill",
                f"interrupted at {when(state.backfill_done_before)} "
                f"of {when(state.backfill_upper_bound)}: run backfill again to finish",
            )
        )
    for label, value in rows:
        print(f"{label + ':':<28}{value}")


async def _rollup_status_async(conninfo: str) -> RollupState:
    async with await _connect(conninfo) as conn:
        return await queries.get_rollup_status(conn)


def _rollup(args: argparse.Namespace, settings: Settings) -> int:
    conninfo = _conninfo(settings)
    if args.action == "tick":
        try:
            report = asyncio.run(_rollup_tick_async(conninfo))
        except TickError as exc:
            raise CliError(f"rollup tick failed: {exc}") from exc
        print(f"rolled up: {report.steps} step(s), {report.rows} row(s) touched")
    elif args.action == "loop":
        asyncio.run(_rollup_loop_async(conninfo, args.interval or settings.rollup_interval_seconds))
    elif args.action == "status":
        _print_status(asyncio.run(_rollup_status_async(conninfo)), settings)
    elif args.action == "schedule":
        job_id, name = asyncio.run(cron.schedule(conninfo, args.every))
        print(f"scheduled pg_cron job {job_id} ({name}) every '{args.every}'")
    else:
        removed = asyncio.run(cron.unschedule(conninfo))
        print("unscheduled the rollup job" if removed else "no rollup job was scheduled")
    return 0


async def _backfill_async(conninfo: str, args: argparse.Namespace) -> None:
    async with await _connect(conninfo) as conn:
        plan = await plan_backfill(conn, months_back=args.months_back, force_partial=args.force_partial)
        bound = plan.upper_bound.isoformat(timespec="seconds")
        if args.dry_run:
            print(f"dry run: {len(plan.slices)} slice(s) up to {bound}; nothing changed")
            for piece, rows in await dry_run(conn, plan):
                print(
                    f"  {piece.start.date()} .. {piece.end.isoformat(timespec='seconds')}: {rows} usage rows"
                )
            return
        verb = "resuming" if plan.resumed else "backfilling"
        with progress_bar(f"{verb} up to {bound}", len(plan.slices)) as update:
            touched = await run_backfill(conn, plan, on_progress=update)
    # touched counts rows the rebuild changed: none means the rollup already agreed with raw rows.
    outcome = f"{touched} rollup row(s) written" if touched else "the rollup already matched the raw rows"
    print(f"backfilled {len(plan.slices)} slice(s): {outcome}; watermark {bound}")


def _backfill(args: argparse.Namespace, settings: Settings) -> int:
    if args.force_partial and args.months_back is None:
        raise CliError("--force-partial only makes sense with --months-back")
    asyncio.run(_backfill_async(_conninfo(settings), args))
    return 0


# ---- parser ------------------------------------------------------------------------------


def _add_prices_parser(commands: Any) -> None:
    """The `prices` command and its actions."""
    prices = commands.add_parser(
        "prices",
        help="list, set, import or export model prices (USD per million tokens)",
        description="The versioned price table that cost is estimated from: shipped defaults, "
        "overridden by operator versions of the same key and date.",
    )
    price_actions = prices.add_subparsers(dest="action", required=True, parser_class=_Parser)
    price_list = price_actions.add_parser(
        "list", help="the version of every key in effect on a day", description="List prices in effect."
    )
    price_list.add_argument("--at", type=_day, metavar="YYYY-MM-DD", help="UTC day (default today)")
    price_set = price_actions.add_parser(
        "set",
        help="add or correct one price version",
        description="Add or correct the version of KEY that takes effect on --from (a UTC date); "
        "prices are USD per million tokens with at most 4 decimals.",
    )
    price_set.add_argument("key", help="model key, e.g. claude-sonnet-5 or cursor/auto")
    price_set.add_argument("--from", dest="effective_from", required=True, metavar="YYYY-MM-DD")
    for name in ("input", "output", "cache-read", "cache-write"):
        price_set.add_argument(f"--{name}", required=True, metavar="P", help=f"{name} price")
    price_import = price_actions.add_parser(
        "import",
        help="add or correct the versions of a CSV file (all or nothing)",
        description=f"Read a CSV with the header {','.join(CSV_COLUMNS)}; nothing is written "
        "unless every line is valid.",
    )
    price_import.add_argument("file", metavar="FILE")
    price_actions.add_parser(
        "export",
        help="every version in force as CSV on stdout",
        description="Write every version (shipped and operator) as CSV, in the import format.",
    )
    prices.set_defaults(handler=_prices)


def _add_rollup_parser(commands: Any) -> None:
    """The `rollup` command and its actions."""
    rollup = commands.add_parser(
        "rollup",
        help="run, inspect or schedule the daily rollup tick",
        description="The daily rollup: tick, loop, status, schedule (pg_cron), unschedule.",
    )
    rollup_actions = rollup.add_subparsers(dest="action", required=True, parser_class=_Parser)
    rollup_actions.add_parser(
        "tick",
        help="step until everything committed before now is rolled up",
        description="Exit 0 once caught up; non-zero with the database's error on failure.",
    )
    loop = rollup_actions.add_parser("loop", help="tick forever", description="Tick every interval.")
    loop.add_argument("--interval", type=_int_at_least(1), metavar="S", help="seconds between ticks")
    rollup_actions.add_parser(
        "status",
        help="watermark, last run, last error, lag and queue",
        description="Print the rollup's state.",
    )
    schedule = rollup_actions.add_parser(
        "schedule",
        help="schedule the tick with pg_cron",
        description="Schedule the tick as a pg_cron job (pg_cron runs in cron.database_name).",
    )
    schedule.add_argument("--every", default="* * * * *", metavar="CRON", help="cron schedule")
    rollup_actions.add_parser(
        "unschedule", help="remove the pg_cron job", description="Remove the pg_cron job."
    )
    rollup.set_defaults(handler=_rollup)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = _Parser(prog=PROG, description="Token usage and run time of AI agents.")
    parser.add_argument("--version", action="version", version=f"{PROG} {importlib.metadata.version(PROG)}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = commands.add_parser(
        "serve",
        help="serve the HTTP API (embedded PostgreSQL when DATABASE_URL is unset)",
        description="Serve the HTTP API with granian. Without DATABASE_URL, start the embedded "
        "PostgreSQL, migrate it and seed a demo workspace when it is empty.",
    )
    serve.add_argument("--host", help="address to bind (default HOST or 127.0.0.1)")
    serve.add_argument("--port", type=_int_at_least(1, 65535), help="port (default PORT or 8000)")
    serve.add_argument("--workers", type=_int_at_least(1), help="worker processes")
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser(
        "migrate",
        help="apply, inspect or revert schema migrations",
        description="Apply migrations/ in order (default: up).",
    )
    actions = migrate.add_subparsers(dest="action", parser_class=_Parser)
    actions.add_parser("up", help="apply every pending migration", description="Apply pending migrations.")
    actions.add_parser("status", help="list migrations and their state", description="List migrations.")
    down = actions.add_parser(
        "down", help="revert migrations newer than --to", description="Revert migrations."
    )
    down.add_argument("--to", required=True, type=_version, help="version to keep (0 reverts all)")
    baseline = actions.add_parser(
        "baseline",
        help="mark migrations up to VERSION as applied without running them",
        description="For a database that already has the platform's tables.",
    )
    baseline.add_argument("version", type=_version)
    migrate.set_defaults(handler=_migrate)

    seed = commands.add_parser(
        "seed",
        help="write a deterministic demo or benchmark workspace",
        description="Create a new workspace with agents, projects, issues, tasks and usage.",
    )
    seed.add_argument(
        "--workspace",
        required=True,
        type=_slug,
        metavar="SLUG",
        help="slug of the new workspace: lowercase letters, digits, '-' and '_'",
    )
    seed.add_argument("--agents", type=_int_at_least(1), default=8, metavar="N", help="agents (default 8)")
    seed.add_argument(
        "--projects", type=_int_at_least(0), default=5, metavar="N", help="projects (default 5)"
    )
    seed.add_argument(
        "--issues", type=_int_at_least(1), metavar="N", help="issues (default one per ten tasks)"
    )
    seed.add_argument(
        "--days", type=_int_at_least(1), default=90, metavar="N", help="days of history to now (default 90)"
    )
    seed.add_argument(
        "--tasks-per-day", type=_int_at_least(1), default=40, metavar="N", help="tasks per day (default 40)"
    )
    seed.add_argument(
        "--random-seed",
        type=_int_at_least(0),
        default=1,
        metavar="N",
        help="seed of the generator: the same seed writes the same world (default 1)",
    )
    seed.set_defaults(handler=_seed)

    token = commands.add_parser("token", help="manage personal access tokens", description="Tokens.")
    token_actions = token.add_subparsers(dest="action", required=True, parser_class=_Parser)
    create = token_actions.add_parser(
        "create",
        help="create a token (and the user and membership if missing)",
        description="Print a new token's secret alone on the last line of stdout.",
    )
    create.add_argument("--email", required=True)
    create.add_argument("--workspace", required=True, metavar="SLUG")
    create.add_argument(
        "--role",
        choices=ROLES,
        default="member",
        help="role of a new membership (default member: other users' private agents show folded;"
        " owner and admin see every agent)",
    )
    create.add_argument("--name", default="cli", help="token name (default cli)")
    create.add_argument("--expires-in-days", type=_int_at_least(1), metavar="N", help="default: never")
    listing = token_actions.add_parser(
        "list",
        help="every token: id, prefix, owner, state, expiry, last use",
        description="List tokens, newest first (never their secrets or digests).",
    )
    listing.add_argument("--email", help="only this user's tokens")
    revoke = token_actions.add_parser(
        "revoke",
        help="revoke a token by its id",
        description="Revoke a token: the API refuses it, and the page sessions opened with it, at once.",
    )
    revoke.add_argument("token_id", type=_token_id, metavar="ID", help="the token's id, from token list")
    token.set_defaults(handler=_token)

    _add_prices_parser(commands)

    _add_rollup_parser(commands)

    backfill = commands.add_parser(
        "backfill",
        help="rebuild the rollup's history in monthly slices",
        description="Rebuild history month by month, resumably; stamps the watermark to the "
        "instant fixed before starting.",
    )
    backfill.add_argument("--dry-run", action="store_true", help="show the slices, change nothing")
    backfill.add_argument("--months-back", type=_int_at_least(1), metavar="N", help="only the last N months")
    backfill.add_argument("--force-partial", action="store_true", help="accept leaving older usage out")
    backfill.set_defaults(handler=_backfill)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `usage-dashboard` and `python -m app`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        code: int = args.handler(args, settings)
    except (
        BackfillError,
        CliError,
        ConfigError,
        CronError,
        EmbeddedError,
        ListenError,
        MigrationError,
        PriceError,
        SeedError,
        TokenError,
    ) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except psycopg.OperationalError as exc:
        print(f"{PROG}: error: {_connect_error(exc)}", file=sys.stderr)
        return 1
    except psycopg.Error as exc:
        print(f"{PROG}: error: database: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (head, less) stopped reading: not an error of ours, and nothing more to say.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    return code
