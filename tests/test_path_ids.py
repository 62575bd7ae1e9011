"""Ids in URL paths beyond what the database holds: refused with 422 on every route, never a 500."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncSession

from parley.app import create_app
from parley.settings import Settings
from tests.factories import log_in, make_user

pytestmark = pytest.mark.anyio

TOO_LARGE = [2**31, 10**20]


@dataclass(frozen=True)
class IdRoute:
    method: str
    path: str
    route: APIRoute

    def url(self, value: int, slug: str) -> str:
        """The route's path with `value` for every id and something valid for the rest."""
        values: dict[str, Any] = {}
        for param in self.route.dependant.path_params:
            annotation = param.field_info.annotation
            if param.name.endswith("_id"):
                values[param.name] = value
            elif param.name == "slug":
                values[param.name] = slug
            elif typing.get_origin(annotation) is typing.Literal:
                values[param.name] = typing.get_args(annotation)[0]
            elif annotation is int:
                values[param.name] = 1
            else:
                values[param.name] = "x"
        return self.path.format(**values)


def id_routes(app: FastAPI) -> list[IdRoute]:
    """Every route of the app (API and pages) with an integer id in its path."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        ids = [p for p in route.dependant.path_params if p.name.endswith("_id")]
        if ids and all(p.field_info.annotation is int for p in ids):
            found.extend(IdRoute(method, route.path, route) for method in sorted(route.methods))
    return found


def test_the_walk_finds_the_routes_with_ids() -> None:
    app = create_app(Settings(_env_file=None, secret_key="s" * 40))  # type: ignore[call-arg]
    paths = {route.path for route in id_routes(app)}
    assert {"/api/v1/rooms/{room_id}", "/rooms/{room_id}", "/admin/users/{user_id}"} <= paths
    assert len(paths) > 40


@pytest.mark.parametrize("value", TOO_LARGE)
async def test_an_id_the_database_cannot_hold_is_refused_on_every_route(
    app: FastAPI, db_session: AsyncSession, value: int
) -> None:
    # An administrator passes every permission check the routes make before reading the id.
    admin = await make_user(db_session, admin=True)
    # A server error is an answer (500) here, as a browser would see it, so all are listed.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    answers = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        csrf = await log_in(client, admin.email)
        headers = {"x-csrf-token": csrf}
        created = await client.post("/api/v1/rooms", json={"name": "Ids"}, headers=headers)
        slug = created.json()["slug"]
        for route in id_routes(app):
            url = route.url(value, slug)
            response = await client.request(route.method, url, headers=headers)
            answers[f"{route.method} {url}"] = response.status_code
    refused = {request: status for request, status in answers.items() if status != 422}
    assert answers
    assert refused == {}


async def test_the_api_names_the_refused_id(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user = await make_user(db_session)
    await log_in(client, user.email)
    response = await client.get(f"/api/v1/rooms/{2**31}")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert [e["loc"] for e in response.json()["errors"]] == [["path", "room_id"]]


@pytest.mark.parametrize("path", ["/admin/users/{}", "/api/v1/users/{}"])
async def test_the_administrators_check_comes_before_the_id(
    app: FastAPI, client: httpx.AsyncClient, db_session: AsyncSession, path: str
) -> None:
    """Nobody but an administrator learns whether an id is in range: they get the same refusal."""
    member = await make_user(db_session)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        csrf = await log_in(other, member.email)
        for person, headers in ((client, {}), (other, {"x-csrf-token": csrf})):
            method = "PATCH" if path.startswith("/api/") else "POST"
            answers = [
                await person.request(method, path.format(n), json={}, headers=headers)
                for n in (5, 2**31)
            ]
            assert answers[0].status_code == answers[1].status_code
            assert answers[0].status_code in {303, 401, 403}
