"""The meeting protocol with several participants on a real server."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed

from tests.browser.server import ParleyServer
from tests.meetings.client import Participant


def test_snapshot_then_numbered_events(people: tuple[Participant, ...]) -> None:
    moderator, bea, cy = people
    assert [p["name"] for p in cy.welcome["participants"]] == ["Ada", "Bea", "Cy"]
    assert cy.welcome["you"]["role"] == "participant" and cy.welcome["version"] == 1
    assert moderator.welcome["you"]["role"] == "moderator"

    bea.send({"type": "chat.send", "text": "Hello https://example.org/a?b=1 <b>hi</b>"})
    for person in people:
        event = person.expect("chat")
        assert event["data"]["text"] == "Hello https://example.org/a?b=1 <b>hi</b>"
        assert event["data"]["from_name"] == "Bea" and event["data"]["to"] is None

    cy.send({"type": "hand.raise"})
    raised = moderator.expect("updated", name="Cy")
    assert raised["data"]["hand"] is not None


def test_private_messages_reach_only_the_two(people: tuple[Participant, ...]) -> None:
    moderator, bea, cy = people
    bea.send({"type": "chat.send", "text": "just for you", "to": cy.id})
    assert cy.expect("chat")["data"]["text"] == "just for you"
    assert bea.expect("chat")["data"]["to"] == cy.id
    # The third sees only that an event number went by, never the message.
    moderator.send({"type": "chat.send", "text": "public"})
    moderator.expect("chat", text="public")
    assert not any("just for you" in json.dumps(m) for m in moderator.seen)


def test_participants_cannot_moderate(people: tuple[Participant, ...]) -> None:
    moderator, bea, cy = people
    for message in [
        {"type": "mod.mute", "target": cy.id},
        {"type": "mod.remove", "target": moderator.id, "ban": True},
        {"type": "mod.promote", "target": bea.id},
        {"type": "mod.lock", "chat": True},
        {"type": "mod.end"},
        {"type": "chat.clear"},
    ]:
        bea.send(message)
        assert bea.expect("error")["code"] == "not_moderator"
    # The server takes no sender or role from the message.
    bea.send({"type": "chat.send", "text": "as Ada?", "from": moderator.id, "role": "moderator"})
    assert bea.expect("error")["code"] == "bad_message"
    bea.send({"type": "chat.send", "text": "still Bea"})
    assert cy.expect("chat")["data"]["from_name"] == "Bea"
    assert all(p["role"] == "participant" for p in cy.welcome["participants"][1:])


def test_bad_messages_get_an_error_and_change_nothing(people: tuple[Participant, ...]) -> None:
    _moderator, bea, _cy = people
    for raw in [
        "not json",
        json.dumps({"type": "warp.drive"}),
        json.dumps({"type": "chat.send", "text": ""}),
        json.dumps({"type": "chat.send", "text": "x" * 2001}),
        json.dumps({"type": "chat.send", "text": "hi", "to": "nobody"}),
        json.dumps([1, 2, 3]),
        "x" * 20_000,
    ]:
        assert bea.connection is not None
        bea.connection.send(raw)
        assert bea.expect("error")["code"] in {"bad_message", "too_large", "no_recipient"}
    bea.send({"type": "ping"})
    bea.expect("pong")


def test_moderation(people: tuple[Participant, ...], server: ParleyServer) -> None:
    moderator, bea, cy = people
    moderator.send({"type": "mod.mute", "target": bea.id})
    assert bea.expect("updated", name="Bea")["data"]["muted"] is True

    moderator.send({"type": "mod.lock", "chat": True})
    assert cy.expect("locks")["data"]["chat"] is True
    cy.send({"type": "chat.send", "text": "locked out?"})
    assert cy.expect("error")["code"] == "locked"

    moderator.send({"type": "mod.promote", "target": cy.id})
    cy.expect("updated", name="Cy", role="moderator")
    cy.send({"type": "chat.send", "text": "moderators may write"})
    bea.expect("chat", text="moderators may write")

    moderator.send({"type": "mod.remove", "target": bea.id, "ban": True})
    assert bea.expect("removed")["data"] == {"id": bea.id, "ban": True}
    with pytest.raises(ConnectionClosed):
        bea.receive()
    # Banned: the same person cannot come back into this meeting.
    bea.open(last_event=0)
    assert bea.expect("error")["code"] == "banned"


def test_a_reconnecting_client_gets_what_it_missed(people: tuple[Participant, ...]) -> None:
    moderator, bea, cy = people
    last = cy.last_event
    cy.close()
    bea.send({"type": "chat.send", "text": "while you were away"})
    moderator.expect("chat", text="while you were away")
    cy.open(last_event=last)
    assert cy.expect("chat")["data"]["text"] == "while you were away"
    # Still in the list: the grace period covered the reconnection.
    moderator.send({"type": "chat.send", "text": "welcome back"})
    cy.expect("chat", text="welcome back")


def test_flooding_is_refused_then_disconnected(people: tuple[Participant, ...]) -> None:
    _moderator, bea, _cy = people
    for _ in range(120):
        bea.send({"type": "ping"})
    codes = []
    with pytest.raises(ConnectionClosed):
        while True:
            message = bea.receive()
            if message["type"] == "error":
                codes.append(message["code"])
    assert codes and set(codes) == {"rate_limited"}


def test_ending_the_meeting_closes_every_socket(people: tuple[Participant, ...]) -> None:
    moderator, bea, cy = people
    moderator.send({"type": "mod.end"})
    for person in (bea, cy):
        person.expect("closed")
