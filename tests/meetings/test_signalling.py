"""WebRTC signalling through the hub, and the ICE servers a participant is given."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.browser.people import make_member
from tests.browser.server import ParleyServer
from tests.meetings.client import Participant

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}
CANDIDATE = {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", "sdpMid": "0"}


def _next_signal(person: Participant, timeout: float = 5) -> dict[str, Any]:
    while True:
        message = person.receive(timeout)
        if message["type"] == "signal":
            return message


def _nothing_but_pings(person: Participant, seconds: float = 0.7) -> list[dict[str, Any]]:
    """What reached `person` in a short while, pings and pongs left out."""
    got = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = person.receive(left)
        except TimeoutError:
            break
        if message["type"] not in {"ping", "pong"}:
            got.append(message)
    return got


def test_signals_reach_only_their_recipient_and_name_the_real_sender(
    people: tuple[Participant, ...],
) -> None:
    moderator, bea, cy = people
    streams = {"{3f1c-camera}": "camera"}
    bea.send({"type": "signal", "to": cy.id, "description": OFFER, "streams": streams})
    bea.send({"type": "signal", "to": cy.id, "candidate": CANDIDATE})
    offer = _next_signal(cy)
    assert offer == {
        "type": "signal",
        "from": bea.id,
        "description": OFFER,
        "streams": streams,
    }
    assert _next_signal(cy)["candidate"] == CANDIDATE
    assert _nothing_but_pings(moderator) == []


def test_nobody_signals_as_someone_else_or_to_themselves(people: tuple[Participant, ...]) -> None:
    moderator, bea, cy = people
    bea.send({"type": "signal", "to": cy.id, "from": moderator.id, "description": OFFER})
    assert bea.expect("error")["code"] == "bad_message"
    bea.send({"type": "signal", "to": bea.id, "description": OFFER})
    assert bea.expect("error")["code"] == "bad_message"
    bea.send({"type": "signal", "to": cy.id})  # neither a description nor a candidate
    assert bea.expect("error")["code"] == "bad_message"
    bea.send({"type": "signal", "to": cy.id, "description": {"type": "pranswer", "sdp": ""}})
    assert bea.expect("error")["code"] == "bad_message"
    assert _nothing_but_pings(cy) == []


def test_signals_stay_inside_the_meeting(
    people: tuple[Participant, ...], server: ParleyServer, owner: httpx.Client
) -> None:
    _moderator, bea, _cy = people
    other = owner.post("/api/v1/rooms", json={"name": "Next door"}).json()
    owner.post(f"/api/v1/rooms/{other['id']}/open")
    with httpx.Client(base_url=server.url) as client:
        dan = Participant.join(server, client, other, name="Dan").open()
        try:
            bea.send({"type": "signal", "to": dan.id, "description": OFFER})
            assert bea.expect("error")["code"] == "no_such_participant"
            bea.send({"type": "signal", "to": "u999999", "candidate": CANDIDATE})
            assert bea.expect("error")["code"] == "no_such_participant"
            assert _nothing_but_pings(dan) == []
        finally:
            dan.close()


def test_a_burst_of_candidates_is_not_flooding(people: tuple[Participant, ...]) -> None:
    _moderator, bea, cy = people
    for _ in range(60):
        bea.send({"type": "signal", "to": cy.id, "candidate": CANDIDATE})
    for _ in range(60):
        assert _next_signal(cy)["from"] == bea.id
    errors = [m for m in bea.seen if m["type"] == "error"]
    assert errors == []


def test_the_same_person_in_a_second_tab_takes_over(
    people: tuple[Participant, ...], server: ParleyServer
) -> None:
    moderator, bea, _cy = people
    second_tab = Participant(server, bea.token, bea.slug).open()
    try:
        assert second_tab.id == bea.id
        assert bea.expect("superseded")
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                bea.receive()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4005
        # Still one person in the meeting, and signals reach the new tab.
        moderator.send({"type": "signal", "to": bea.id, "description": OFFER})
        assert _next_signal(second_tab)["from"] == moderator.id
        assert [p["name"] for p in second_tab.welcome["participants"]] == ["Ada", "Bea", "Cy"]
    finally:
        second_tab.close()


# ICE servers and TURN credentials

SECRET = "shared-with-coturn"


@pytest.fixture
def turn_server(tmp_path: Path) -> Iterator[ParleyServer]:
    env = {
        "PARLEY_STUN_URLS": "stun:stun.example.org:3478",
        "PARLEY_TURN_URLS": "turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349",
        "PARLEY_TURN_SECRET": SECRET,
        "PARLEY_TURN_TTL_SECONDS": "600",
    }
    with ParleyServer(tmp_path, extra_env=env) as running:
        make_member(running, "ada@example.org", "Ada", admin=True)
        yield running


def test_turn_credentials_are_the_participants_own_and_expire(turn_server: ParleyServer) -> None:
    with httpx.Client(base_url=turn_server.url, timeout=10) as owner:
        response = owner.post(
            "/api/v1/auth/login",
            json={"email": "ada@example.org", "password": "a good long password"},
        )
        owner.headers["x-csrf-token"] = response.json()["csrf_token"]
        room = owner.post("/api/v1/rooms", json={"name": "Media"}).json()
        owner.post(f"/api/v1/rooms/{room['id']}/open")
        assert owner.get(f"/r/{room['slug']}/media").status_code == 403  # not joined yet
        token = owner.post(f"/api/v1/rooms/{room['id']}/join", json={}).json()["token"]

        before = time.time()
        response = owner.get(f"/r/{room['slug']}/media", headers={"cookie": f"parley_join={token}"})
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        stun, turn = body["ice_servers"]
        assert stun == {"urls": ["stun:stun.example.org:3478"]}
        assert turn["urls"] == [
            "turn:turn.example.org:3478?transport=udp",
            "turns:turn.example.org:5349",
        ]
        expiry, _, who = turn["username"].partition(":")
        assert who.startswith("u") and before + 590 < int(expiry) < time.time() + 610
        # What coturn computes with its static-auth-secret.
        digest = hmac.new(SECRET.encode(), turn["username"].encode(), hashlib.sha1).digest()
        assert turn["credential"] == base64.b64encode(digest).decode()
        assert SECRET not in response.text
        assert body["mesh_limit"] == 6 and body["transport"] == "mesh"

        other = owner.get(f"/r/{room['slug']}/media", headers={"cookie": "parley_join=forged"})
        assert other.status_code == 403


def test_turn_credential_check_refuses_forgeries_and_expired_names() -> None:
    from parley.media.ice import turn_credential, turn_credential_valid

    username, password = turn_credential(SECRET, "u7", expires_at=2_000)
    assert turn_credential_valid(SECRET, username, password, now=1_999)
    assert not turn_credential_valid(SECRET, username, password, now=2_000)
    assert not turn_credential_valid("another secret", username, password, now=1_000)
    assert not turn_credential_valid(SECRET, "3000:u7", password, now=1_000)
