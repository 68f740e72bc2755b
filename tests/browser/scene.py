"""The known world the browser tests read: platform rows written with plain SQL (tests/world.py).

Workspace `acme` holds 12 shared agents, one private agent owned by someone else and one private
agent of the plain member; a year of runs (dense over the last 30 days), with usage of four
priced models, provider-reported amounts, an unpriced model, a cost of a few micro-dollars, every
kind of terminal run, failure reasons of every display class, and three projects (tasks in two of
them, tasks without a project, tasks without an issue). `beta` is small, `quiet` has no activity,
and `huge` has token sums beyond JavaScript's Number.MAX_SAFE_INTEGER.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from tests.world import World

SHARED_AGENTS = (
    "atlas",
    "beacon",
    "cinder",
    "delta",
    "ember",
    "falcon",
    "garnet",
    "harbor",
    "iris",
    "juniper",
    "kestrel",
    "lumen",
)
PRIVATE_AGENT = "secret-zephyr"
MEMBERS_OWN_AGENT = "mira-own"
OWNER_TIMEZONE = "America/New_York"
# (provider as written, model); the third is normalised to "anthropic" by the API.
MODELS = (
    ("anthropic", "claude-sonnet-4-5"),
    ("openai", "gpt-5"),
    (" Anthropic ", "claude-haiku-4-5"),
    ("openai", "gpt-5-mini"),
)
UNPRICED_MODEL = "mystery-model-x"
REASONS = (
    "timeout",
    "agent_error.provider_capacity_or_rate_limit",
    "agent_error.provider_auth_or_access",
    "runtime_offline",
    "agent_error.process_failure",
    "agent_error.provider_server_error",
    "brand_new_reason",
    None,
    "queued_expired",
    "agent_error.agent_timeout",
)
DENSE_TASKS = 80  # per agent, one every 9 hours: the last 30 days
SPARSE_TASKS = 66  # per agent, one every 130 hours after that: back to about 390 days


@dataclass(frozen=True)
class Scene:
    """What the tests need to know about the world."""

    slug: str
    workspace_ids: dict[str, uuid.UUID]
    beta_slug: str
    quiet_slug: str
    huge_slug: str
    owner_id: uuid.UUID
    owner_token: str
    member_id: uuid.UUID
    member_token: str
    beta_member_token: str
    projects: dict[str, uuid.UUID]
    deleted_project: uuid.UUID
    agents: dict[str, uuid.UUID]
    beta_agent: uuid.UUID


def _reason(i: int, j: int) -> str | None:
    return REASONS[(i + j) % len(REASONS)]


def _status(i: int, j: int) -> str:
    """Agent i's run j: some cancelled; failures every (i + 3)th run; none for the last agent."""
    if j % 11 == 5:
        return "cancelled"
    if i != len(SHARED_AGENTS) - 1 and j % (i + 3) == 0:
        return "failed"
    return "completed"


def _activity(
    world: World,
    now: datetime.datetime,
    i: int,
    agent: uuid.UUID,
    issues: list[uuid.UUID | None],
) -> None:
    """A year of runs of agent i with usage on every run that started."""
    # The newest runs ended a minute ago, so a local day that began before that has activity.
    moments = [now - datetime.timedelta(minutes=1 + 42 * i, hours=9 * j) for j in range(DENSE_TASKS)]
    moments += [now - datetime.timedelta(hours=721 + 5 * i + 130 * j) for j in range(SPARSE_TASKS)]
    for j, completed in enumerate(moments):
        status = _status(i, j)
        reason = _reason(i, j) if status == "failed" else None
        duration = datetime.timedelta(seconds=30 + (i * 37 + j * 53) % 5000)
        started: datetime.datetime | None = completed - duration
        if reason == "queued_expired":
            started = None
        task = world.task(
            agent,
            issues[j % len(issues)],
            status=status,
            started_at=started,
            completed_at=completed,
            failure_reason=reason,
        )
        if started is None:
            continue
        provider, model = MODELS[(i + j) % len(MODELS)]
        input_tokens = 1000 + (i * 7919 + j * 104_729) % 200_000
        world.usage(
            task,
            provider=provider,
            model=model,
            input_tokens=input_tokens,
            output_tokens=input_tokens // 9 + j,
            cache_read_tokens=(j % 3) * 5000 + i,
            cache_write_tokens=(j % 5) * 700,
            # The platform reports an amount for one model: 1.2 µ$ per input token.
            cost_usd_ticks=input_tokens * 12_000 if model == "gpt-5-mini" else None,
            created_at=completed,
        )
        if j % 17 == 3:
            world.usage(
                task, provider="acme", model=UNPRICED_MODEL, input_tokens=500 + j, created_at=completed
            )
    # Runs that are not terminal count nowhere.
    world.task(agent, status="running", started_at=now - datetime.timedelta(minutes=5))
    world.task(agent, status="queued")


def build_scene(world: World) -> Scene:
    """Writes the world; every time is relative to now, so every window has data."""
    now = datetime.datetime.now(datetime.UTC)
    slug, beta_slug, quiet_slug, huge_slug = "acme", "beta", "quiet", "huge"
    acme = world.workspace(slug)
    beta = world.workspace(beta_slug)
    quiet = world.workspace(quiet_slug)
    huge = world.workspace(huge_slug)

    owner = world.user("owner@example.com")
    world.conn.execute('UPDATE "user" SET timezone = %s WHERE id = %s', (OWNER_TIMEZONE, owner))
    for workspace in (acme, beta, quiet, huge):
        world.member(workspace, owner, "owner")
    member = world.user("member@example.com")
    world.member(acme, member, "member")
    other = world.user("other@example.com")
    world.member(acme, other, "member")
    beta_member = world.user("beta-member@example.com")
    world.member(beta, beta_member, "member")

    projects = {title: world.project(acme, title) for title in ("Billing", "Search", "Archive")}
    deleted_project = world.project(acme, "Gone")
    world.conn.execute("DELETE FROM project WHERE id = %s", (deleted_project,))
    issues: list[uuid.UUID | None] = [
        world.issue(acme, projects["Billing"]),
        world.issue(acme, projects["Search"]),
        world.issue(acme, None),
        None,
        world.issue(acme, projects["Billing"]),
    ]

    agents: dict[str, uuid.UUID] = {}
    for name in SHARED_AGENTS:
        archived = now - datetime.timedelta(days=2) if name == "lumen" else None
        agents[name] = world.agent(acme, name=name, visibility="workspace", archived_at=archived)
    agents[PRIVATE_AGENT] = world.agent(acme, name=PRIVATE_AGENT, owner_id=other)
    agents[MEMBERS_OWN_AGENT] = world.agent(acme, name=MEMBERS_OWN_AGENT, owner_id=member)
    for i, agent in enumerate(agents.values()):
        _activity(world, now, i, agent, issues)
    # Costs of a few micro-dollars: the API writes them as 1e-06 and 2.5e-05.
    for hours, ticks in ((2, 10_000), (24 * 200, 240_000)):
        task = world.task(
            agents["atlas"],
            status="completed",
            started_at=now - datetime.timedelta(hours=hours, seconds=10),
            completed_at=now - datetime.timedelta(hours=hours),
        )
        world.usage(
            task,
            provider="acme",
            model="tiny-model",
            input_tokens=1,
            cost_usd_ticks=ticks,
            created_at=now - datetime.timedelta(hours=hours),
        )

    beta_agent = world.agent(beta, name="solo", visibility="workspace")
    _activity(world, now, 1, beta_agent, [None])

    # Two usage rows whose token sum (2^53 + 3) a float cannot hold.
    big = world.agent(huge, name="big", visibility="workspace")
    for extra in (1, 2):
        task = world.task(
            big,
            status="completed",
            started_at=now - datetime.timedelta(hours=3, minutes=extra),
            completed_at=now - datetime.timedelta(hours=3),
        )
        world.usage(
            task,
            provider="anthropic",
            model="claude-sonnet-4-5",
            input_tokens=2**52 + extra,
            cost_usd_ticks=123_456_789_012_345 + extra,
            created_at=now - datetime.timedelta(hours=3),
        )
    world.agent(quiet, name="idle", visibility="workspace")
    world.project(quiet, "Nothing")

    return Scene(
        slug=slug,
        workspace_ids={slug: acme, beta_slug: beta, quiet_slug: quiet, huge_slug: huge},
        beta_slug=beta_slug,
        quiet_slug=quiet_slug,
        huge_slug=huge_slug,
        owner_id=owner,
        owner_token=world.token(owner),
        member_id=member,
        member_token=world.token(member),
        beta_member_token=world.token(beta_member),
        projects=projects,
        deleted_project=deleted_project,
        agents=agents,
        beta_agent=beta_agent,
    )
