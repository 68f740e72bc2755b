"""Deterministic demo and benchmark data, written set-based through queries/demo.sql."""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable

import msgspec
import psycopg

from app.db import queries
from app.db.queries import Connection


class SeedError(RuntimeError):
    """Seeding cannot proceed; the message is one line."""


# What a URL can carry as is and the API can reach: it treats an empty slug as no slug at all.
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def check_slug(slug: str) -> str:
    """slug when a new workspace may have it; raises SeedError naming the rule otherwise."""
    if not _SLUG.fullmatch(slug):
        raise SeedError(
            f"invalid workspace slug {slug!r}: 1 to 63 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return slug


class SeedPlan(msgspec.Struct, frozen=True, kw_only=True):
    """The shape of the world to write into one new workspace."""

    slug: str
    agents: int = 8
    projects: int = 5
    days: int = 90
    tasks_per_day: int = 40
    issues: int | None = None
    random_seed: int = 1

    @property
    def issue_count(self) -> int:
        """Issues to create: as asked, else one for every ten tasks."""
        if self.issues is not None:
            return self.issues
        return max(1, self.days * self.tasks_per_day // 10)

    @property
    def days_per_chunk(self) -> int:
        """Days written per statement: about 50,000 tasks, so no statement grows unbounded."""
        return max(1, 50_000 // self.tasks_per_day)


class SeedResult(msgspec.Struct, frozen=True):
    """What a seed wrote."""

    workspace_id: uuid.UUID
    tasks: int
    usage_rows: int


ProgressCallback = Callable[[int, int], None]


async def seed_workspace(
    conn: Connection,
    plan: SeedPlan,
    on_progress: ProgressCallback | None = None,
    anchor: datetime.datetime | None = None,
) -> SeedResult:
    """Writes a new workspace and its history in one transaction (all or nothing).

    on_progress(days_done, days_total) is called after every chunk; anchor is the instant the
    history ends at (default now).
    """
    check_slug(plan.slug)
    anchor = anchor or datetime.datetime.now(datetime.UTC)
    usage_rows = 0
    try:
        async with conn.transaction():
            workspace_id = await queries.seed_workspace(conn, plan.slug, plan.slug)
            await queries.seed_agents(conn, workspace_id, plan.slug, plan.agents)
            await queries.seed_projects(conn, workspace_id, plan.slug, plan.projects)
            await queries.seed_issues(
                conn, workspace_id, plan.slug, 1, plan.issue_count, plan.projects, plan.random_seed
            )
            for first in range(0, plan.days, plan.days_per_chunk):
                last = min(plan.days, first + plan.days_per_chunk) - 1
                usage_rows += await queries.seed_tasks_and_usage(
                    conn,
                    slug=plan.slug,
                    anchor=anchor,
                    first_day=first,
                    last_day=last,
                    tasks_per_day=plan.tasks_per_day,
                    agents=plan.agents,
                    issues=plan.issue_count,
                    random_seed=plan.random_seed,
                )
                if on_progress is not None:
                    on_progress(last + 1, plan.days)
    except psycopg.errors.UniqueViolation:
        raise SeedError(f"workspace {plan.slug!r} already exists; seed a new slug") from None
    # A bulk load is followed by ANALYZE, so the first reads after a seed are planned well.
    await queries.analyze_seeded_tables(conn)
    return SeedResult(workspace_id, plan.days * plan.tasks_per_day, usage_rows)
