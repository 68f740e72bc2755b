"""Authentication (bearer personal access tokens) and workspace resolution of every dashboard route."""

from __future__ import annotations

import datetime
import uuid

import pytest

from tests.api_helpers import DAILY, DASHBOARD_PATHS, Tenant, assert_error, fetch_rows, get, tenant
from tests.conftest import Client
from tests.world import World

MISSING = "missing authorization"
INVALID = "invalid token"
NOT_FOUND = "workspace not found"
REQUIRED = "workspace_id or workspace_slug is required"
BAD_ID = "invalid workspace_id"

paths = pytest.mark.parametrize("path", DASHBOARD_PATHS)


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _seed_usage(world: World, workspace_id: uuid.UUID, model: str) -> None:
    """One usage row today, so a response shows which workspace it was computed for."""
    world.usage(world.task(world.agent(workspace_id)), model=model, input_tokens=1)


def _models(rows: list[dict[str, object]]) -> list[object]:
    return [row["model"] for row in rows]


# --- Authentication -------------------------------------------------------------------------------


@paths
async def test_no_authorization_header_is_401_missing_authorization(
    path: str, world: World, client: Client
) -> None:
    ws = tenant(world)

    response = await get(client, path, params={"workspace_slug": ws.slug})

    assert_error(response, 401, MISSING)


@paths
@pytest.mark.parametrize(
    "scheme",
    [
        pytest.param("Basic {}", id="basic"),
        pytest.param("Bearer{}", id="no-space"),
        pytest.param("Token {}", id="token-scheme"),
        pytest.param("{}", id="bare-secret"),
    ],
)
async def test_authorization_not_of_the_bearer_scheme_is_401_missing_authorization(
    path: str, scheme: str, world: World, client: Client
) -> None:
    ws = world.workspace()
    user = world.user()
    world.member(ws, user)
    secret = world.token(user)  # a valid secret: only the scheme is wrong

    response = await get(client, path, {"Authorization": scheme.format(secret)}, {"workspace_id": str(ws)})

    assert_error(response, 401, MISSING)


@paths
async def test_unknown_token_is_401_invalid_token(path: str, world: World, client: Client) -> None:
    ws = tenant(world)

    response = await get(client, path, _bearer("not-a-stored-secret"), {"workspace_slug": ws.slug})

    assert_error(response, 401, INVALID)


@paths
async def test_revoked_token_is_401_invalid_token(path: str, world: World, client: Client) -> None:
    ws = world.workspace()
    user = world.user()
    world.member(ws, user)
    secret = world.token(user, revoked=True)

    response = await get(client, path, _bearer(secret), {"workspace_id": str(ws)})

    assert_error(response, 401, INVALID)


@paths
async def test_expired_token_is_401_invalid_token(path: str, world: World, client: Client) -> None:
    ws = world.workspace()
    user = world.user()
    world.member(ws, user)
    expired = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)
    secret = world.token(user, expires_at=expired)

    response = await get(client, path, _bearer(secret), {"workspace_id": str(ws)})

    assert_error(response, 401, INVALID)


@paths
async def test_token_expiring_in_the_future_is_accepted(path: str, world: World, client: Client) -> None:
    ws = world.workspace()
    user = world.user()
    world.member(ws, user)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    secret = world.token(user, expires_at=later)

    response = await get(client, path, _bearer(secret), {"workspace_id": str(ws)})

    assert response.status_code == 200, response.text
    assert response.json() == []


async def test_token_is_matched_by_its_full_secret_not_its_prefix(world: World, client: Client) -> None:
    ws = world.workspace()
    user = world.user()
    world.member(ws, user)
    secret = world.token(user)

    response = await get(client, DAILY, _bearer(secret[:8]), {"workspace_id": str(ws)})

    assert_error(response, 401, INVALID)


async def test_missing_authorization_is_checked_before_the_workspace(client: Client) -> None:
    response = await get(client, DAILY)

    assert_error(response, 401, MISSING)


async def test_invalid_token_is_401_even_for_an_unknown_workspace(client: Client) -> None:
    """Authentication comes first, so an anonymous caller learns nothing about workspaces."""
    response = await get(client, DAILY, _bearer("nope"), {"workspace_slug": "no-such-workspace"})

    assert_error(response, 401, INVALID)


# --- Workspace resolution: each source on its own -------------------------------------------------


def _name(source: str, ws: Tenant, headers: dict[str, str], params: dict[str, str | int]) -> None:
    """Names ws through one of the four sources, in place."""
    if source == "query workspace_slug":
        params["workspace_slug"] = ws.slug
    elif source == "header X-Workspace-Slug":
        headers["X-Workspace-Slug"] = ws.slug
    elif source == "query workspace_id":
        params["workspace_id"] = str(ws.id)
    else:
        headers["X-Workspace-ID"] = str(ws.id)


SOURCES = ("query workspace_slug", "header X-Workspace-Slug", "query workspace_id", "header X-Workspace-ID")


@paths
@pytest.mark.parametrize("source", SOURCES)
async def test_each_workspace_source_alone_selects_the_workspace(
    path: str, source: str, world: World, client: Client
) -> None:
    ws = tenant(world)
    headers = dict(ws.headers)
    params: dict[str, str | int] = {}
    _name(source, ws, headers, params)

    response = await get(client, path, headers, params)

    assert response.status_code == 200, response.text
    assert response.json() == []


@pytest.mark.parametrize("source", SOURCES)
async def test_each_workspace_source_returns_that_workspaces_data(
    source: str, world: World, client: Client
) -> None:
    ws = tenant(world)
    _seed_usage(world, ws.id, "mine")
    _seed_usage(world, world.workspace(), "someone-elses")
    headers = dict(ws.headers)
    params: dict[str, str | int] = {}
    _name(source, ws, headers, params)

    response = await get(client, DAILY, headers, params)

    assert response.status_code == 200, response.text
    assert _models(response.json()) == ["mine"]


# --- Workspace resolution: precedence -------------------------------------------------------------


def _second_workspace_of(world: World, who: Tenant) -> Tenant:
    """A new workspace the caller behind who's token is also a member of."""
    slug = f"ws-{uuid.uuid4().hex[:8]}"
    workspace_id = world.workspace(slug)
    world.conn.execute(
        "INSERT INTO member (workspace_id, user_id, role)"
        " SELECT %s, m.user_id, 'member' FROM member AS m WHERE m.workspace_id = %s",
        (workspace_id, who.id),
    )
    return Tenant(workspace_id, slug, who.headers)


@pytest.mark.parametrize(
    ("winner", "loser"),
    [(SOURCES[i], SOURCES[j]) for i in range(len(SOURCES)) for j in range(i + 1, len(SOURCES))],
)
async def test_higher_precedence_source_wins_over_lower(
    winner: str, loser: str, world: World, client: Client
) -> None:
    """The caller is a member of both workspaces; the one named by the stronger source is served."""
    first = tenant(world)
    second = _second_workspace_of(world, first)
    _seed_usage(world, first.id, "winner")
    _seed_usage(world, second.id, "loser")
    headers = dict(first.headers)
    params: dict[str, str | int] = {}
    _name(winner, first, headers, params)
    _name(loser, second, headers, params)

    response = await get(client, DAILY, headers, params)

    assert response.status_code == 200, response.text
    assert _models(response.json()) == ["winner"]


async def test_valid_query_slug_wins_over_a_bogus_workspace_id(world: World, client: Client) -> None:
    ws = tenant(world)

    response = await get(client, DAILY, ws.headers, {"workspace_slug": ws.slug, "workspace_id": "not-a-uuid"})

    assert response.status_code == 200, response.text
    assert response.json() == []


async def test_valid_header_slug_wins_over_a_bogus_workspace_id_header(world: World, client: Client) -> None:
    ws = tenant(world)

    response = await get(
        client, DAILY, {**ws.headers, "X-Workspace-Slug": ws.slug, "X-Workspace-ID": "not-a-uuid"}
    )

    assert response.status_code == 200, response.text


async def test_valid_query_id_wins_over_a_bogus_id_header(world: World, client: Client) -> None:
    ws = tenant(world)

    response = await get(
        client, DAILY, {**ws.headers, "X-Workspace-ID": "not-a-uuid"}, {"workspace_id": str(ws.id)}
    )

    assert response.status_code == 200, response.text


async def test_unknown_query_slug_wins_over_a_valid_workspace_id(world: World, client: Client) -> None:
    """First present wins even when it names nothing: there is no fallback to the next source."""
    ws = tenant(world)

    response = await get(
        client, DAILY, ws.headers, {"workspace_slug": "no-such-workspace", "workspace_id": str(ws.id)}
    )

    assert_error(response, 404, NOT_FOUND)


async def test_unknown_header_slug_wins_over_a_valid_query_workspace_id(world: World, client: Client) -> None:
    ws = tenant(world)

    response = await get(
        client, DAILY, {**ws.headers, "X-Workspace-Slug": "no-such-workspace"}, {"workspace_id": str(ws.id)}
    )

    assert_error(response, 404, NOT_FOUND)


# --- Workspace resolution: errors -----------------------------------------------------------------


@paths
async def test_no_workspace_given_is_400(path: str, world: World, client: Client) -> None:
    ws = tenant(world)

    response = await get(client, path, ws.headers)

    assert_error(response, 400, REQUIRED)


@paths
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-00000000000g"])
@pytest.mark.parametrize("where", ["query", "header"])
async def test_workspace_id_that_is_not_a_uuid_is_400(
    path: str, bad_id: str, where: str, world: World, client: Client
) -> None:
    ws = tenant(world)
    if where == "query":
        response = await get(client, path, ws.headers, {"workspace_id": bad_id})
    else:
        response = await get(client, path, {**ws.headers, "X-Workspace-ID": bad_id})

    assert_error(response, 400, BAD_ID)


@paths
@pytest.mark.parametrize("where", ["query", "header"])
async def test_unknown_slug_is_404(path: str, where: str, world: World, client: Client) -> None:
    ws = tenant(world)
    if where == "query":
        response = await get(client, path, ws.headers, {"workspace_slug": "no-such-workspace"})
    else:
        response = await get(client, path, {**ws.headers, "X-Workspace-Slug": "no-such-workspace"})

    assert_error(response, 404, NOT_FOUND)


@paths
@pytest.mark.parametrize("where", ["query", "header"])
async def test_unknown_workspace_id_is_404(path: str, where: str, world: World, client: Client) -> None:
    ws = tenant(world)
    unknown = str(uuid.uuid4())
    if where == "query":
        response = await get(client, path, ws.headers, {"workspace_id": unknown})
    else:
        response = await get(client, path, {**ws.headers, "X-Workspace-ID": unknown})

    assert_error(response, 404, NOT_FOUND)


@paths
@pytest.mark.parametrize("by", ["slug", "id"])
async def test_workspace_the_caller_is_not_a_member_of_is_404(
    path: str, by: str, world: World, client: Client
) -> None:
    """A member of another workspace gets exactly the unknown-workspace answer (never 403)."""
    mine = tenant(world)
    theirs = tenant(world)
    _seed_usage(world, theirs.id, "secret-model")
    params = {"workspace_slug": theirs.slug} if by == "slug" else {"workspace_id": str(theirs.id)}

    response = await get(client, path, mine.headers, params)

    assert_error(response, 404, NOT_FOUND)


async def test_user_without_any_membership_gets_404(world: World, client: Client) -> None:
    ws = tenant(world)
    loner = world.user()

    response = await get(client, DAILY, _bearer(world.token(loner)), {"workspace_slug": ws.slug})

    assert_error(response, 404, NOT_FOUND)


async def test_a_members_token_serves_only_its_own_workspace(world: World, client: Client) -> None:
    """The same caller, two workspaces: member of one, not of the other."""
    mine = tenant(world)
    theirs = tenant(world)
    _seed_usage(world, mine.id, "mine")

    own = await fetch_rows(client, DAILY, mine)
    other = await get(client, DAILY, mine.headers, {"workspace_slug": theirs.slug})

    assert _models(own) == ["mine"]
    assert_error(other, 404, NOT_FOUND)
