"""The two scales of the suite: what is seeded and how many times each thing is measured."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from app.demo import SeedPlan

SCALES = ("small", "full")
TICK_HISTORY_DAYS = 30


@dataclass(frozen=True)
class Scale:
    """Seed plans of the main database and the repetition counts of every measurement."""

    name: str
    code: int  # the JSON holds numbers only: 0 small, 1 full
    large: SeedPlan
    small_workspaces: tuple[SeedPlan, ...]
    raw_runs: int
    rollup_runs: int
    http_runs: int
    http_raw_runs: int
    rps_seconds: float
    rps_max_requests: int
    rps_clients: int
    # Open-loop steps for http_rps_at_p99_100ms: requests a second, tried in order, each for
    # load_step_seconds, until p99 passes 100 ms.
    load_rates: tuple[int, ...]
    load_step_seconds: float
    tick_rounds: int
    tick_changes: int
    write_writers: int
    write_batches_per_writer: int
    write_batch_rows: int
    write_round_pairs: int
    page_runs: int

    def tick_history(self) -> tuple[SeedPlan, ...]:
        """The same workspaces with TICK_HISTORY_DAYS of history at the same daily density.

        Issues shrink in proportion so tasks per issue (and so rows per issue) stay as in the
        full history; slugs stay so both databases read alike.
        """
        plans = (self.large, *self.small_workspaces)
        return tuple(
            msgspec.structs.replace(
                plan,
                days=TICK_HISTORY_DAYS,
                issues=max(1, plan.issue_count * TICK_HISTORY_DAYS // plan.days),
            )
            for plan in plans
        )


def _small_workspaces(tasks_per_day: int) -> tuple[SeedPlan, ...]:
    # Distinct random seeds so the nine histories differ from each other and from the large one.
    return tuple(
        SeedPlan(
            slug=f"bench-small-{n}",
            agents=5,
            projects=3,
            days=365,
            tasks_per_day=tasks_per_day,
            random_seed=100 + n,
        )
        for n in range(1, 10)
    )


FULL = Scale(
    name="full",
    code=1,
    # 5,480 tasks a day for 365 days: 2,000,200 tasks, ~3M usage rows.
    large=SeedPlan(
        slug="bench-large",
        agents=50,
        projects=20,
        days=365,
        tasks_per_day=5_480,
        issues=200_000,
        random_seed=1,
    ),
    small_workspaces=_small_workspaces(20),
    raw_runs=5,
    rollup_runs=25,
    http_runs=50,
    http_raw_runs=5,
    rps_seconds=20.0,
    rps_max_requests=2_000_000,
    rps_clients=16,
    load_rates=(50, 100, 150, 200, 300, 400, 500, 700, 1_000),
    load_step_seconds=8.0,
    tick_rounds=7,
    tick_changes=1_000,
    write_writers=4,
    # 20,000 rows a round (~2.5 s), eight rounds each way: short rounds swung with every
    # checkpoint and commit flush, more than the triggers cost.
    write_batches_per_writer=250,
    write_batch_rows=20,
    write_round_pairs=8,
    page_runs=7,
)

SMALL = Scale(
    name="small",
    code=0,
    # A CI smoke run: every code path, in well under two minutes; figures are not comparable.
    large=SeedPlan(
        slug="bench-large",
        agents=10,
        projects=5,
        days=365,
        tasks_per_day=100,
        issues=4_000,
        random_seed=1,
    ),
    small_workspaces=_small_workspaces(5),
    raw_runs=5,
    rollup_runs=10,
    http_runs=20,
    http_raw_runs=5,
    rps_seconds=3.0,
    rps_max_requests=200_000,
    rps_clients=16,
    load_rates=(50, 200),
    load_step_seconds=1.0,
    tick_rounds=5,
    tick_changes=1_000,
    write_writers=4,
    write_batches_per_writer=25,
    write_batch_rows=20,
    write_round_pairs=3,
    page_runs=2,
)


def scale_named(name: str) -> Scale:
    """The scale called `name` (small or full)."""
    return FULL if name == "full" else SMALL
