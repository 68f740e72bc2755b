"""The OpenAPI document, /healthz, and errors of routes and methods that do not exist."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_helpers import DASHBOARD_PATHS, WIRE_KEYS
from tests.conftest import Client

OPENAPI = "/schema/openapi.json"

Document = dict[str, Any]


async def _document(client: Client) -> Document:
    response = await client.get(OPENAPI)
    assert response.status_code == 200
    document = response.json()
    assert isinstance(document, dict)
    return document


def _resolve(document: Document, schema: dict[str, Any]) -> dict[str, Any]:
    """Follows local `$ref`s (#/components/schemas/X) until a concrete schema."""
    while "$ref" in schema:
        target: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def _operation(document: Document, path: str) -> dict[str, Any]:
    operation = document["paths"][path]["get"]
    assert isinstance(operation, dict)
    return operation


def _parameters(operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["in"], p["name"]): p for p in operation.get("parameters", [])}


async def test_openapi_document_is_served_as_json(client: Client) -> None:
    response = await client.get(OPENAPI)

    assert response.status_code == 200
    assert "json" in response.headers["content-type"]
    document = response.json()
    assert str(document["openapi"]).startswith("3.")


async def test_openapi_lists_every_route_of_the_contract(client: Client) -> None:
    document = await _document(client)

    assert {*DASHBOARD_PATHS, "/healthz"} <= set(document["paths"])
    for path in (*DASHBOARD_PATHS, "/healthz"):
        assert "get" in document["paths"][path]


@pytest.mark.parametrize("path", DASHBOARD_PATHS)
async def test_openapi_describes_the_dashboard_query_and_header_parameters(path: str, client: Client) -> None:
    parameters = _parameters(_operation(await _document(client), path))

    assert {
        ("query", "days"),
        ("query", "from"),
        ("query", "to"),
        ("query", "tz"),
        ("query", "format"),
        ("query", "project_id"),
        ("query", "workspace_slug"),
        ("query", "workspace_id"),
        ("header", "X-Workspace-Slug"),
        ("header", "X-Workspace-ID"),
    } <= set(parameters)
    for parameter in parameters.values():
        assert parameter.get("required", False) is False


@pytest.mark.parametrize("path", DASHBOARD_PATHS)
async def test_openapi_days_is_an_integer_from_1_to_365_defaulting_to_30(path: str, client: Client) -> None:
    schema = _parameters(_operation(await _document(client), path))[("query", "days")]["schema"]

    assert schema["type"] == "integer"
    assert (schema["minimum"], schema["maximum"], schema["default"]) == (1, 365, 30)


@pytest.mark.parametrize("path", DASHBOARD_PATHS)
async def test_openapi_uuid_parameters_are_documented_as_uuids(path: str, client: Client) -> None:
    parameters = _parameters(_operation(await _document(client), path))

    for key in [("query", "project_id"), ("query", "workspace_id"), ("header", "X-Workspace-ID")]:
        assert parameters[key]["schema"].get("format") == "uuid", key


@pytest.mark.parametrize("path", DASHBOARD_PATHS)
async def test_openapi_200_response_is_an_array_of_the_wire_rows(path: str, client: Client) -> None:
    document = await _document(client)
    schema = _resolve(
        document, _operation(document, path)["responses"]["200"]["content"]["application/json"]["schema"]
    )

    assert schema["type"] == "array"
    item = _resolve(document, schema["items"])
    assert set(item["properties"]) == WIRE_KEYS[path]
    assert set(item["required"]) == WIRE_KEYS[path]
    for name, prop in item["properties"].items():
        if name == "agent_id":
            # A UUID, or the sentinel of folded private agents.
            assert prop["type"] == "string"
            assert "__restricted_agents__" in prop["description"]
        elif name == "date":
            assert (prop["type"], prop.get("format")) == ("string", "date")
        elif name == "id":
            assert (prop["type"], prop.get("format")) == ("string", "uuid")
        elif name in {"model", "provider", "failure_reason", "name", "title", "status"}:
            assert prop["type"] == "string"
        elif name == "archived":
            assert prop["type"] == "boolean"
        elif name == "cost_usd":
            assert prop["type"] == "number"
        else:
            assert prop["type"] == "integer", name


@pytest.mark.parametrize("path", DASHBOARD_PATHS)
@pytest.mark.parametrize("status", ["400", "401", "404", "503"])
async def test_openapi_documents_error_responses_as_error_bodies(
    path: str, status: str, client: Client
) -> None:
    document = await _document(client)
    schema = _resolve(
        document, _operation(document, path)["responses"][status]["content"]["application/json"]["schema"]
    )

    assert schema["properties"]["error"]["type"] == "string"
    assert schema["required"] == ["error"]


@pytest.mark.parametrize("path", DASHBOARD_PATHS)
async def test_openapi_dashboard_routes_require_a_bearer_token(path: str, client: Client) -> None:
    document = await _document(client)
    security = _operation(document, path).get("security") or document.get("security")

    assert security
    [scheme_name] = security[0]
    scheme = document["components"]["securitySchemes"][scheme_name]
    assert (scheme["type"], scheme["scheme"].lower()) == ("http", "bearer")


async def test_healthz_answers_ok_when_the_database_answers(client: Client) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict)
    assert body["status"] == "ok"


async def test_healthz_needs_no_token_or_workspace(client: Client) -> None:
    response = await client.get("/healthz", headers={"Authorization": "Bearer not-a-token"})

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize(
    "path", ["/nope", "/api/dashboard", "/api/dashboard/usage", "/api/dashboard/usage/weekly", "/api"]
)
async def test_unknown_path_answers_a_json_error_body(path: str, client: Client) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"], str)
    assert body["error"]


@pytest.mark.parametrize("path", [*DASHBOARD_PATHS, "/healthz"])
async def test_unsupported_method_answers_a_json_error_body(path: str, client: Client) -> None:
    response = await client.post(path)

    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"], str)
