"""A real server on each backend, with a room open and people in its meeting on the socket."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.browser.people import PASSWORD, make_member
from tests.browser.server import ParleyServer, serving
from tests.meetings.client import Participant


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ParleyServer]:
    """One server per backend for the module (each test makes a room of its own)."""
    tmp_path = tmp_path_factory.mktemp("server")
    with serving(request.param, tmp_path) as running:
        make_member(running, "ada@example.org", "Ada")
        make_member(running, "bob@example.org", "Bob")
        yield running


@contextmanager
def logged_in(server: ParleyServer, email: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        client.headers["x-csrf-token"] = response.json()["csrf_token"]
        yield client


@pytest.fixture
def owner(server: ParleyServer) -> Iterator[httpx.Client]:
    with logged_in(server, "ada@example.org") as client:
        yield client


@pytest.fixture
def member(server: ParleyServer) -> Iterator[httpx.Client]:
    """A member the room is not shared with."""
    with logged_in(server, "bob@example.org") as client:
        yield client


@pytest.fixture
def room(owner: httpx.Client) -> dict[str, Any]:
    created: dict[str, Any] = owner.post("/api/v1/rooms", json={"name": "Class"}).json()
    assert owner.post(f"/api/v1/rooms/{created['id']}/open").status_code == 200
    return created


@pytest.fixture
def guests(server: ParleyServer, room: dict[str, Any]) -> Iterator[tuple[Participant, Participant]]:
    """Two guests in the meeting, on the room's socket."""
    with httpx.Client(base_url=server.url) as first, httpx.Client(base_url=server.url) as second:
        bea = Participant.join(server, first, room, name="Bea").open()
        cy = Participant.join(server, second, room, name="Cy").open()
        bea.expect("joined", name="Cy")
        yield bea, cy
        bea.close()
        cy.close()
