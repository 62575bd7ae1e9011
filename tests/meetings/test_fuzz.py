"""Arbitrary messages thrown at the hub: it stays up, answers, and its state stays consistent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.browser.people import PASSWORD, make_member
from tests.browser.server import ParleyServer
from tests.meetings.client import Participant

TYPES = [
    "hello",
    "ping",
    "chat.send",
    "hand.raise",
    "hand.lower",
    "state.update",
    "mod.mute",
    "mod.mute_all",
    "mod.remove",
    "mod.promote",
    "mod.demote",
    "mod.admit",
    "mod.refuse",
    "mod.lock",
    "mod.lower_hands",
    "mod.end",
    "chat.clear",
    "nonsense",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
typed_messages = st.builds(
    lambda kind, fields: {**fields, "type": kind},
    st.sampled_from(TYPES),
    st.dictionaries(
        st.sampled_from(["text", "to", "target", "ban", "entry", "muted", "chat", "last_event"]),
        json_values,
        max_size=3,
    ),
)
raw_messages = st.one_of(
    typed_messages.map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=200),
)


@pytest.fixture(scope="module")
def meeting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir: Path = tmp_path_factory.mktemp("fuzz")
    with ParleyServer(workdir) as server, httpx.Client(base_url=server.url, timeout=10) as owner:
        make_member(server, "ada@example.org", "Ada", admin=True)
        login = owner.post(
            "/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD}
        )
        owner.headers["x-csrf-token"] = login.json()["csrf_token"]
        room = owner.post("/api/v1/rooms", json={"name": "Fuzz"}).json()
        owner.post(f"/api/v1/rooms/{room['id']}/open")
        with httpx.Client(base_url=server.url, timeout=10) as visitor:
            guest = Participant.join(server, visitor, room, name="Fuzzer")
            moderator = Participant.join(server, owner, room).open()
            yield {"server": server, "guest": guest, "moderator": moderator, "room": room}
            moderator.close()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(messages=st.lists(raw_messages, min_size=1, max_size=12))
def test_the_hub_survives_anything_a_participant_sends(
    meeting: dict[str, Any], messages: list[str]
) -> None:
    guest: Participant = meeting["guest"]
    guest.open()
    try:
        assert guest.connection is not None
        for raw in messages:
            guest.connection.send(raw)
        guest.send({"type": "ping"})
        guest.expect("pong", timeout=10)
    finally:
        guest.close()

    # A fresh snapshot: the room is open, roles are as the server set them, nobody doubled.
    check = Participant(meeting["server"], meeting["moderator"].token, meeting["room"]["slug"])
    check.open()
    try:
        people = check.welcome["participants"]
        names = [p["name"] for p in people]
        assert names.count("Ada") == 1 and names.count("Fuzzer") <= 1
        roles = {p["name"]: p["role"] for p in people}
        assert roles["Ada"] == "moderator"
        assert roles.get("Fuzzer", "participant") == "participant"
        assert check.welcome["locks"] == {}
    finally:
        check.close()
