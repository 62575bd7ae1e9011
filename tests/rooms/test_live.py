"""The room's live connection against a real server: presence, closing, stale tokens, origins."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.browser.people import PASSWORD, make_member
from tests.browser.server import ParleyServer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ParleyServer]:
    with ParleyServer(tmp_path) as running:
        make_member(running, "ada@example.org", "Ada", admin=True)
        yield running


@pytest.fixture
def clients(server: ParleyServer) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """The owner, logged in, and a guest, who is not."""
    with (
        httpx.Client(base_url=server.url, timeout=10) as owner,
        httpx.Client(base_url=server.url, timeout=10) as guest,
    ):
        response = owner.post(
            "/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD}
        )
        assert response.status_code == 200
        owner.headers["x-csrf-token"] = response.json()["csrf_token"]
        yield owner, guest


def _receive(connection: ClientConnection, kind: str | None = None) -> dict[str, Any]:
    """The next event (of `kind`, when given), passing over heartbeats and other updates."""
    while True:
        event: dict[str, Any] = json.loads(connection.recv(timeout=5))
        if event["type"] != "ping" and kind in (None, event["type"]):
            return event


def _live(
    server: ParleyServer, slug: str, cookie: str, origin: str | None = None
) -> ClientConnection:
    headers = {"Cookie": cookie}
    return connect(
        f"ws://127.0.0.1:{server.port}/r/{slug}/live",
        additional_headers=headers,
        origin=origin or server.url,  # type: ignore[arg-type]
        open_timeout=5,
    )


def test_presence_closing_and_stale_tokens(
    server: ParleyServer, clients: tuple[httpx.Client, httpx.Client]
) -> None:
    owner, guest = clients
    room = owner.post("/api/v1/rooms", json={"name": "Live"}).json()
    owner.post(f"/api/v1/rooms/{room['id']}/open")
    joined = guest.post(
        f"/api/v1/rooms/{room['id']}/join", json={"name": "Guest", "slug": room["slug"]}
    )
    token = joined.json()["token"]
    with _live(server, room["slug"], f"parley_join={token}") as connection:
        connection.send(json.dumps({"type": "hello"}))
        snapshot = _receive(connection, "welcome")
        assert [(p["name"], p["role"], p["guest"]) for p in snapshot["participants"]] == [
            ("Guest", "participant", True)
        ]
        assert owner.get(f"/api/v1/rooms/{room['id']}").json()["participant_count"] == 1

        owner.post(f"/api/v1/rooms/{room['id']}/close")
        assert _receive(connection, "closed") == {"type": "closed"}

    owner.post(f"/api/v1/rooms/{room['id']}/open")
    # The token of the previous meeting does not make its holder a participant again.
    with _live(server, room["slug"], f"parley_join={token}") as connection:
        assert _receive(connection) == {"type": "opened"}
    assert owner.get(f"/api/v1/rooms/{room['id']}").json()["participant_count"] == 0

    forged = re.sub(r"\.[^.]+$", ".forged", token)
    with _live(server, room["slug"], f"parley_join={forged}") as connection:
        assert _receive(connection) == {"type": "opened"}


def test_connections_from_another_site_are_refused(
    server: ParleyServer, clients: tuple[httpx.Client, httpx.Client]
) -> None:
    owner, _guest = clients
    room = owner.post("/api/v1/rooms", json={"name": "Live"}).json()
    with pytest.raises(InvalidStatus):
        _live(server, room["slug"], "", origin="https://evil.example")
