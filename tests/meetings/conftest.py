"""A real server with a room open and three people in its meeting, talking on the socket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.people import make_member
from tests.browser.server import ParleyServer
from tests.meetings.client import Participant, log_in, open_room


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ParleyServer]:
    with ParleyServer(tmp_path) as running:
        make_member(running, "ada@example.org", "Ada", admin=True)
        yield running


@pytest.fixture
def owner(server: ParleyServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        log_in(client)
        yield client


@pytest.fixture
def room(owner: httpx.Client) -> dict[str, Any]:
    return open_room(owner, "Protocol")


@pytest.fixture
def people(
    server: ParleyServer, owner: httpx.Client, room: dict[str, Any]
) -> Iterator[tuple[Participant, Participant, Participant]]:
    """The owner (a moderator) and two guests, all in the meeting."""
    with (
        httpx.Client(base_url=server.url) as first,
        httpx.Client(base_url=server.url) as second,
    ):
        moderator = Participant.join(server, owner, room).open()
        bea = Participant.join(server, first, room, name="Bea").open()
        cy = Participant.join(server, second, room, name="Cy").open()
        moderator.expect("joined", name="Cy")
        bea.expect("joined", name="Cy")
        yield moderator, bea, cy
        for person in (moderator, bea, cy):
            person.close()
