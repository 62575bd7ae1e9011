"""A join token is good for its meeting and its holder's seat: removed, banned or from an
earlier meeting, it reads neither the chat nor the media settings (on both databases)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.browser.people import PASSWORD, make_member
from tests.browser.server import ParleyServer, serving
from tests.meetings.client import Participant


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ParleyServer]:
    with serving(request.param, tmp_path) as running:
        make_member(running, "ada@example.org", "Ada", admin=True)
        make_member(running, "bea@example.org", "Bea")
        yield running


def _logged_in(server: ParleyServer, email: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        client.headers["x-csrf-token"] = response.json()["csrf_token"]
        yield client


@pytest.fixture
def owner(server: ParleyServer) -> Iterator[httpx.Client]:
    yield from _logged_in(server, "ada@example.org")


@pytest.fixture
def member(server: ParleyServer) -> Iterator[httpx.Client]:
    """Bea, a member who does not manage the room: she keeps her id from join to join."""
    yield from _logged_in(server, "bea@example.org")


@pytest.fixture
def room(owner: httpx.Client) -> dict[str, Any]:
    created: dict[str, Any] = owner.post("/api/v1/rooms", json={"name": "Removals"}).json()
    assert owner.post(f"/api/v1/rooms/{created['id']}/open").status_code == 200
    return created


@pytest.fixture
def guest(server: ParleyServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def _read(server: ParleyServer, room: dict[str, Any], what: str, token: str) -> httpx.Response:
    """GET /r/<slug>/chat.txt or /media with this join token and nothing else."""
    url = f"{server.url}/r/{room['slug']}/{what}"
    return httpx.get(url, cookies={"parley_join": token}, timeout=10)


def _readable(server: ParleyServer, room: dict[str, Any], token: str) -> tuple[int, int]:
    return (
        _read(server, room, "chat.txt", token).status_code,
        _read(server, room, "media", token).status_code,
    )


def _remove(moderator: Participant, target: Participant, *, ban: bool) -> None:
    moderator.send({"type": "mod.remove", "target": target.id, "ban": ban})
    moderator.expect("removed", id=target.id)
    with pytest.raises(ConnectionClosed):
        while True:
            target.receive()


def test_a_removed_participant_reads_nothing_until_they_come_in_again(
    server: ParleyServer, owner: httpx.Client, room: dict[str, Any], member: httpx.Client
) -> None:
    moderator = Participant.join(server, owner, room).open()
    bea = Participant.join(server, member, room).open()
    try:
        moderator.send({"type": "chat.send", "text": "said before the removal"})
        bea.expect("chat", text="said before the removal")
        assert _readable(server, room, bea.token) == (200, 200)

        _remove(moderator, bea, ban=False)
        assert _readable(server, room, bea.token) == (403, 403)
        # The old token does not take her back into the meeting either.
        bea.open(last_event=0)
        assert bea.expect("error")["code"] == "not_in_meeting"
        bea.close()

        # Through the door again (no ban), she is back, with a token that works.
        again = Participant.join(server, member, room).open()
        try:
            assert _readable(server, room, again.token) == (200, 200)
            assert "said before the removal" in _read(server, room, "chat.txt", again.token).text
        finally:
            again.close()
    finally:
        moderator.close()
        bea.close()


def test_a_banned_participant_reads_nothing_and_cannot_come_back_until_the_next_meeting(
    server: ParleyServer, owner: httpx.Client, room: dict[str, Any], member: httpx.Client
) -> None:
    moderator = Participant.join(server, owner, room).open()
    bea = Participant.join(server, member, room).open()
    try:
        assert _readable(server, room, bea.token) == (200, 200)
        _remove(moderator, bea, ban=True)
        assert _readable(server, room, bea.token) == (403, 403)
        refused = member.post(f"/api/v1/rooms/{room['id']}/join", json={"slug": room["slug"]})
        assert refused.status_code == 403 and refused.json()["code"] == "banned"
    finally:
        moderator.close()
        bea.close()

    # A ban is for the meeting: the room's next meeting lets her in.
    assert owner.post(f"/api/v1/rooms/{room['id']}/close").status_code == 200
    assert owner.post(f"/api/v1/rooms/{room['id']}/open").status_code == 200
    back = Participant.join(server, member, room).open()
    try:
        assert back.id == bea.id
        assert _readable(server, room, back.token) == (200, 200)
    finally:
        back.close()


def test_a_later_meeting_has_its_own_chat_and_refuses_earlier_tokens(
    server: ParleyServer, owner: httpx.Client, room: dict[str, Any], guest: httpx.Client
) -> None:
    moderator = Participant.join(server, owner, room).open()
    bea = Participant.join(server, guest, room, name="Bea").open()
    moderator.send({"type": "chat.send", "text": "first meeting, public"})
    moderator.send({"type": "chat.send", "text": "first meeting, for Bea", "to": bea.id})
    bea.expect("chat", text="first meeting, for Bea")
    assert "first meeting, for Bea" in _read(server, room, "chat.txt", bea.token).text
    moderator.close()
    bea.close()
    assert owner.post(f"/api/v1/rooms/{room['id']}/close").status_code == 200
    assert owner.post(f"/api/v1/rooms/{room['id']}/open").status_code == 200

    # Bea's token of the first meeting opens nothing in the second.
    assert _readable(server, room, bea.token) == (403, 403)

    with httpx.Client(base_url=server.url, timeout=10) as other:
        second = Participant.join(server, owner, room).open()
        newcomer = Participant.join(server, other, room, name="Cy").open()
        try:
            assert newcomer.welcome["chat"] == [] and second.welcome["chat"] == []
            second.send({"type": "chat.send", "text": "second meeting"})
            newcomer.expect("chat", text="second meeting")
            for person in (newcomer, second):
                export = _read(server, room, "chat.txt", person.token)
                assert export.status_code == 200 and "second meeting" in export.text
                assert "first meeting" not in export.text
        finally:
            second.close()
            newcomer.close()
