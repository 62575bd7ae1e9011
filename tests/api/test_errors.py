"""What the API answers when it refuses, as the published schema says it does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import client_for, make_user

pytestmark = pytest.mark.anyio


def _declared(schema: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    """The body schema the OpenAPI declares for one answer, references followed."""
    content = schema["paths"][path][method]["responses"][status]["content"]
    body: dict[str, Any] = content["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[-1]
    declared: dict[str, Any] = schema["components"]["schemas"][name]
    return declared


async def test_an_invalid_body_gets_the_422_the_schema_declares(
    app: FastAPI, db_session: AsyncSession
) -> None:
    user = await make_user(db_session)
    client, csrf = await client_for(app, user.email)
    try:
        schema = (await client.get("/openapi.json")).json()
        response = await client.post("/api/v1/rooms", json={"name": 5}, headers=csrf)
    finally:
        await client.aclose()
    assert response.status_code == 422
    body = response.json()
    declared = _declared(schema, "/api/v1/rooms", "post", "422")
    assert set(declared["required"]) <= set(body)
    assert declared["properties"]["detail"]["type"] == "string"
    assert isinstance(body["detail"], str)
    assert body["code"] == "invalid"
    assert body["errors"][0]["loc"] == ["body", "name"]


async def test_refusals_are_declared_with_their_body(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    schema = (await client.get("/openapi.json")).json()
    response = await client.get("/api/v1/rooms/1")
    assert response.status_code == 401
    declared = _declared(schema, "/api/v1/rooms/{room_id}", "get", "401")
    assert set(declared["required"]) <= set(response.json())
    for status in ("403", "404"):
        assert status in schema["paths"]["/api/v1/rooms/{room_id}"]["get"]["responses"]


async def test_an_unknown_feed_answers_json_as_declared(client: httpx.AsyncClient) -> None:
    response = await client.get("/calendar/feed/nothing.ics")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/people?q=",
        "/api/v1/people?q",
        "/api/v1/events?start=2026-01-01&end=2026-01-31&timezone=",
    ],
)
async def test_empty_optional_query_parameters_are_accepted(
    app: FastAPI, db_session: AsyncSession, url: str
) -> None:
    user = await make_user(db_session)
    client, _ = await client_for(app, user.email)
    try:
        response = await client.get(url)
    finally:
        await client.aclose()
    assert response.status_code == 200, response.text
