"""The page's sign-in session: cookie, storage, origin check, throttling, sign-out, token rules."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from typing import Any

import pytest

from app.page.throttle import FIRST_DELAY_SECONDS, FORGET_AFTER_SECONDS, FREE_FAILURES, SignInThrottle
from app.sessions import SESSION_COOKIE
from tests.api_helpers import DAILY
from tests.conftest import Client
from tests.world import World

ORIGIN = {"Origin": "http://testserver.local"}
SIGN_IN = "/auth/sign-in"
SIGN_OUT = "/auth/sign-out"
ME = "/api/me"


def _member_token(
    world: World, *, revoked: bool = False, expires_at: datetime.datetime | None = None
) -> tuple[uuid.UUID, str]:
    workspace_id = world.workspace("acme")
    user_id = world.user("ada@example.com")
    world.member(workspace_id, user_id, "owner")
    return user_id, world.token(user_id, revoked=revoked, expires_at=expires_at)


async def _sign_in(client: Client, secret: str) -> str:
    response = await client.post(SIGN_IN, json={"token": secret}, headers=ORIGIN)
    assert response.status_code == 204, response.text
    session_id = response.cookies.get(SESSION_COOKIE)
    assert session_id
    client.cookies.clear()
    return session_id


def _with_session(session_id: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={session_id}"}


async def test_sign_in_sets_an_http_only_strict_cookie_that_the_api_accepts(
    client: Client, world: World
) -> None:
    _, secret = _member_token(world)
    response = await client.post(SIGN_IN, json={"token": secret}, headers=ORIGIN)
    assert response.status_code == 204
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert "Path=/" in cookie
    assert "Secure" not in cookie
    session_id = response.cookies[SESSION_COOKIE]
    assert secret not in cookie
    client.cookies.clear()

    me = await client.get(ME, headers=_with_session(session_id))
    assert me.status_code == 200
    assert me.json()["user"]["email"] == "ada@example.com"
    daily = await client.get(DAILY, params={"workspace_slug": "acme"}, headers=_with_session(session_id))
    assert daily.status_code == 200
    assert daily.json() == []


async def test_the_cookie_is_secure_behind_an_https_proxy(client: Client, world: World) -> None:
    _, secret = _member_token(world)
    response = await client.post(
        SIGN_IN, json={"token": secret}, headers={**ORIGIN, "X-Forwarded-Proto": "https"}
    )
    assert response.status_code == 204
    assert "Secure" in response.headers["set-cookie"]


async def test_only_the_session_ids_digest_is_stored(client: Client, world: World) -> None:
    _, secret = _member_token(world)
    session_id = await _sign_in(client, secret)
    rows = world.conn.execute("SELECT session_hash FROM usage_dashboard_session").fetchall()
    assert rows == [(hashlib.sha256(session_id.encode()).hexdigest(),)]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"{}", id="no token"),
        pytest.param(b'{"token": ""}', id="empty token"),
        pytest.param(b'{"token": "   "}', id="blank token"),
        pytest.param(b'{"token": 5}', id="not a string"),
        pytest.param(b"token=abc", id="not json"),
    ],
)
async def test_a_sign_in_without_a_token_is_400(client: Client, body: bytes) -> None:
    response = await client.post(
        SIGN_IN, content=body, headers={**ORIGIN, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "token is required"}


@pytest.mark.parametrize(
    "token",
    [
        pytest.param({}, id="unknown"),
        pytest.param({"revoked": True}, id="revoked"),
        pytest.param({"expires_at": datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)}, id="expired"),
    ],
)
async def test_a_wrong_token_is_401_and_opens_no_session(
    client: Client, world: World, token: dict[str, Any]
) -> None:
    _, secret = _member_token(world, **token)
    attempt = secret + "x" if not token else secret
    response = await client.post(SIGN_IN, json={"token": attempt}, headers=ORIGIN)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid token"}
    assert "set-cookie" not in response.headers
    assert world.conn.execute("SELECT count(*) FROM usage_dashboard_session").fetchone() == (0,)


@pytest.mark.parametrize("path", [SIGN_IN, SIGN_OUT])
@pytest.mark.parametrize(
    "origin",
    [
        pytest.param(None, id="no origin"),
        pytest.param("https://evil.example", id="another site"),
        pytest.param("http://testserver.local.evil.example", id="a lookalike host"),
        pytest.param("null", id="opaque origin"),
    ],
)
async def test_sign_in_and_out_refuse_other_origins(
    client: Client, world: World, path: str, origin: str | None
) -> None:
    _, secret = _member_token(world)
    headers = {} if origin is None else {"Origin": origin}
    response = await client.post(path, json={"token": secret}, headers=headers)
    assert response.status_code == 403
    assert response.json() == {"error": "cross-origin request refused"}
    assert world.conn.execute("SELECT count(*) FROM usage_dashboard_session").fetchone() == (0,)


async def test_repeated_wrong_tokens_are_slowed_down(client: Client, world: World) -> None:
    _, secret = _member_token(world)
    for _ in range(FREE_FAILURES):
        wrong = await client.post(SIGN_IN, json={"token": "udt_wrong"}, headers=ORIGIN)
        assert wrong.status_code == 401
    refused = await client.post(SIGN_IN, json={"token": secret}, headers=ORIGIN)
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert 0 < wait <= FIRST_DELAY_SECONDS
    assert refused.json() == {"error": f"too many sign-in attempts; try again in {wait} s"}


def test_the_throttle_doubles_its_delay_and_forgets_after_a_while() -> None:
    now = [1000.0]
    throttle = SignInThrottle(clock=lambda: now[0])
    for _ in range(FREE_FAILURES):
        assert throttle.retry_after("a") == 0
        throttle.failed("a")
    assert throttle.retry_after("a") == FIRST_DELAY_SECONDS
    assert throttle.retry_after("b") == 0
    now[0] += FIRST_DELAY_SECONDS
    assert throttle.retry_after("a") == 0
    throttle.failed("a")
    assert throttle.retry_after("a") == 2 * FIRST_DELAY_SECONDS
    now[0] += FORGET_AFTER_SECONDS + 1
    assert throttle.retry_after("a") == 0
    throttle.failed("a")
    assert throttle.retry_after("a") == 0


def test_a_right_token_clears_the_clients_failures() -> None:
    throttle = SignInThrottle(clock=lambda: 0.0)
    for _ in range(FREE_FAILURES - 1):
        throttle.failed("a")
    throttle.succeeded("a")
    throttle.failed("a")
    assert throttle.retry_after("a") == 0


async def test_sign_out_ends_the_session_and_clears_the_cookie(client: Client, world: World) -> None:
    _, secret = _member_token(world)
    session_id = await _sign_in(client, secret)
    response = await client.post(SIGN_OUT, headers={**ORIGIN, **_with_session(session_id)})
    assert response.status_code == 204
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert world.conn.execute("SELECT count(*) FROM usage_dashboard_session").fetchone() == (0,)
    me = await client.get(ME, headers=_with_session(session_id))
    assert me.status_code == 401
    assert me.json() == {"error": "invalid token"}
    again = await client.post(SIGN_OUT, headers={**ORIGIN, **_with_session(session_id)})
    assert again.status_code == 204


@pytest.mark.parametrize(
    "ending",
    [
        pytest.param("UPDATE personal_access_token SET revoked = true", id="token revoked"),
        pytest.param(
            "UPDATE personal_access_token SET expires_at = now() - INTERVAL '1 second'", id="token expired"
        ),
        pytest.param("DELETE FROM personal_access_token", id="token deleted"),
        pytest.param(
            "UPDATE usage_dashboard_session SET expires_at = now() - INTERVAL '1 second'",
            id="session expired",
        ),
    ],
)
async def test_a_session_ends_with_its_token_or_its_lifetime(
    client: Client, world: World, ending: str
) -> None:
    _, secret = _member_token(world)
    session_id = await _sign_in(client, secret)
    assert (await client.get(ME, headers=_with_session(session_id))).status_code == 200
    world.conn.execute(ending)
    for path, params in ((ME, {}), (DAILY, {"workspace_slug": "acme"})):
        response = await client.get(path, params=params, headers=_with_session(session_id))
        assert response.status_code == 401
        assert response.json() == {"error": "invalid token"}


async def test_a_session_never_outlives_its_token(client: Client, world: World) -> None:
    expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    _, secret = _member_token(world, expires_at=expires)
    await _sign_in(client, secret)
    row = world.conn.execute("SELECT expires_at FROM usage_dashboard_session").fetchone()
    assert row == (expires,)


async def test_an_explicit_bearer_header_wins_over_the_cookie(client: Client, world: World) -> None:
    _, secret = _member_token(world)
    session_id = await _sign_in(client, secret)
    response = await client.get(
        ME, headers={**_with_session(session_id), "Authorization": "Bearer udt_wrong"}
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid token"}


async def test_an_unknown_session_cookie_is_401_invalid_token(client: Client) -> None:
    response = await client.get(ME, headers=_with_session("not-a-session"))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid token"}


async def test_the_openapi_document_lists_the_session_routes_and_their_errors(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    statuses = set(document["paths"][SIGN_IN]["post"]["responses"])
    assert statuses == {"204", "400", "401", "403", "429", "503"}
    assert "PageSession" in document["components"]["securitySchemes"]
    assert "/" not in document["paths"]
