"""A real server with a room open, a moderator and a guest in its meeting."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.browser.people import make_member
from tests.browser.server import ParleyServer
from tests.documents.client import DocClient
from tests.meetings.client import Participant, log_in


@dataclass
class Person:
    """Someone in the meeting: their meeting socket, and an HTTP client holding their token."""

    server: ParleyServer
    room: dict[str, Any]
    participant: Participant
    http: httpx.Client

    def doc(self, name: str) -> DocClient:
        client = DocClient(
            self.server.port, self.room["slug"], self.participant.token, name, self.server.url
        ).open()
        client.pump(lambda: bool(client.state))
        return client


def login(server: ParleyServer, client: httpx.Client) -> None:
    log_in(client)


def enter(server: ParleyServer, client: httpx.Client, room: dict[str, Any], **body: Any) -> Person:
    participant = Participant.join(server, client, room, **body).open()
    client.cookies.set("parley_join", participant.token)
    return Person(server, room, participant, client)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParleyServer]:
    """One server for a module's tests (each has a room of its own): starting one is slow."""
    workdir = tmp_path_factory.mktemp("documents")
    with ParleyServer(
        workdir, extra_env={"PARLEY_DOCUMENT_MAX_BYTES": "200000", "PARLEY_DOCUMENT_MAX_PAGES": "5"}
    ) as running:
        make_member(running, "ada@example.org", "Ada", admin=True)
        yield running


@pytest.fixture
def meeting(server: ParleyServer) -> Iterator[tuple[Person, Person]]:
    """Ada, the room's owner (a moderator), and Bea, a guest."""
    with (
        httpx.Client(base_url=server.url, timeout=10) as owner,
        httpx.Client(base_url=server.url, timeout=10) as guest,
    ):
        login(server, owner)
        room = owner.post("/api/v1/rooms", json={"name": "Documents"}).json()
        owner.post(f"/api/v1/rooms/{room['id']}/open")
        ada = enter(server, owner, room)
        bea = enter(server, guest, room, name="Bea")
        guest.get("/")
        guest.headers["x-csrf-token"] = guest.cookies["parley_csrf"]
        yield ada, bea
        for person in (ada, bea):
            person.participant.close()
