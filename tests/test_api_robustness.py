"""Input a careful client would never send, and a database that is down: clear 4xx/503, never 500."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.api.app import create_app
from app.config import load_settings
from tests.api_helpers import DASHBOARD_PATHS, assert_error, get, tenant
from tests.conftest import Client
from tests.world import World

paths = pytest.mark.parametrize("path", DASHBOARD_PATHS)

NUL = "\x00"
LONG = "x" * 10_000


@paths
@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "BeArEr", "Bearer"])
async def test_the_bearer_scheme_name_is_case_insensitive(
    path: str, scheme: str, world: World, client: Client
) -> None:
    ws = tenant(world)
    secret = ws.headers["Authorization"].split(" ", 1)[1]

    response = await get(client, path, {"Authorization": f"{scheme} {secret}"}, {"workspace_slug": ws.slug})

    assert response.status_code == 200, response.text


@paths
@pytest.mark.parametrize("slug", [NUL, f"ws{NUL}x", LONG], ids=["nul", "inner-nul", "10k-chars"])
async def test_an_unstorable_slug_is_400_before_the_token_is_looked_up(
    path: str, slug: str, world: World, client: Client
) -> None:
    response = await get(
        client, path, {"Authorization": "Bearer not-a-stored-secret"}, {"workspace_slug": slug}
    )

    assert_error(response, 400, "invalid workspace_slug")


@paths
async def test_an_unstorable_slug_without_credentials_is_401(path: str, client: Client) -> None:
    response = await get(client, path, params={"workspace_slug": NUL})

    assert_error(response, 401, "missing authorization")


# Every query parameter with values PostgreSQL cannot store, or that are absurd, and what a
# member with a valid token gets back (the other parameters valid).
_FUZZ = [
    ("workspace_slug", NUL, 400, "invalid workspace_slug"),
    ("workspace_slug", LONG, 400, "invalid workspace_slug"),
    ("workspace_slug", "\ufffd", 404, "workspace not found"),
    ("workspace_slug", "a\nb", 404, "workspace not found"),
    ("workspace_id", NUL, 400, "invalid workspace_id"),
    ("workspace_id", LONG, 400, "invalid workspace_id"),
    ("days", NUL, 400, "days must be an integer between 1 and 365"),
    ("days", LONG, 400, "days must be an integer between 1 and 365"),
    ("days", "3\x000", 400, "days must be an integer between 1 and 365"),
    ("project_id", NUL, 400, "invalid project_id"),
    ("project_id", LONG, 400, "invalid project_id"),
]


@paths
@pytest.mark.parametrize(("name", "value", "status", "message"), _FUZZ)
async def test_every_parameter_refuses_unstorable_values_with_a_json_error(
    path: str, name: str, value: str, status: int, message: str, world: World, client: Client
) -> None:
    ws = tenant(world)
    # A slug wins over an id, so a fuzzed id is sent alone.
    params = {} if name == "workspace_id" else {"workspace_slug": ws.slug}
    params[name] = value

    response = await get(client, path, ws.headers, params)

    assert_error(response, status, message)


def _closed_port() -> int:
    """A local port nothing listens on: the OS gave it to us, and we let it go."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
async def client_without_database() -> AsyncIterator[Client]:
    """The app pointed at a database server that is down."""
    url = f"postgresql://nobody@127.0.0.1:{_closed_port()}/nothing?connect_timeout=1"
    settings = load_settings({"DATABASE_URL": url, "DATABASE_POOL_MIN_SIZE": "0"})
    async with AsyncTestClient[Litestar](app=create_app(settings)) as test_client:
        yield test_client


@paths
async def test_without_credentials_the_401_needs_no_database(
    path: str, client_without_database: Client
) -> None:
    response = await get(client_without_database, path, params={"workspace_slug": "any"})

    assert_error(response, 401, "missing authorization")


@paths
async def test_a_request_that_needs_the_database_gets_503_while_it_is_down(
    path: str, client_without_database: Client
) -> None:
    response = await get(
        client_without_database, path, {"Authorization": "Bearer some-secret"}, {"workspace_slug": "any"}
    )

    assert_error(response, 503, "database unavailable")


@paths
async def test_head_answers_like_get_without_a_body(path: str, world: World, client: Client) -> None:
    ws = tenant(world)
    world.usage(world.task(world.agent(ws.id)), model="m", input_tokens=1)
    params = {"workspace_slug": ws.slug}

    got = await get(client, path, ws.headers, params)
    head = await client.head(path, headers=ws.headers, params=params)

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"] != "0"


async def test_head_of_healthz_is_200(client: Client) -> None:
    response = await client.head("/healthz")

    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("path", ["/schema/swagger", "/schema/redoc", "/schema/nope"])
async def test_an_unknown_schema_page_is_a_json_404(path: str, client: Client) -> None:
    response = await client.get(path)

    assert_error(response, 404, "not found")
