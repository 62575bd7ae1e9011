"""The meeting API of a room's managers: moderation seen by the people in the meeting, the
chat as text, poll results; and nothing for a member who does not manage the room."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.live import guests, member, owner, room, server
from tests.meetings.client import Participant

__all__ = ["guests", "member", "owner", "room", "server"]


def test_mute_all_and_remove_reach_the_participants(
    owner: httpx.Client, room: dict[str, Any], guests: tuple[Participant, Participant]
) -> None:
    bea, cy = guests
    url = f"/api/v1/rooms/{room['id']}/meeting"
    listed = owner.get(f"{url}/participants")
    assert listed.status_code == 200
    assert [p["name"] for p in listed.json()] == ["Bea", "Cy"]

    muted = owner.post(f"{url}/mute", json={})
    assert muted.status_code == 200, muted.text
    assert muted.json() == {"muted": 2}
    for person in guests:
        for name in ("Bea", "Cy"):
            event = person.expect("updated", name=name)
            assert event["data"]["muted"] is True

    removed = owner.delete(f"{url}/participants/{cy.id}", params={"ban": "true"})
    assert removed.status_code == 204, removed.text
    assert bea.expect("removed")["data"] == {"id": cy.id, "ban": True}
    assert cy.expect("removed")["data"]["id"] == cy.id
    assert [p["name"] for p in owner.get(f"{url}/participants").json()] == ["Bea"]

    again = owner.delete(f"{url}/participants/{cy.id}")
    assert again.status_code == 404
    assert again.json()["code"] == "no_such_participant"


def test_ending_the_meeting_closes_everyone_out(
    owner: httpx.Client, room: dict[str, Any], guests: tuple[Participant, Participant]
) -> None:
    ended = owner.post(f"/api/v1/rooms/{room['id']}/meeting/end")
    assert ended.status_code == 204, ended.text
    for person in guests:
        person.expect("closed")
    assert owner.get(f"/api/v1/rooms/{room['id']}").json()["state"] == "closed"
    late = owner.post(f"/api/v1/rooms/{room['id']}/meeting/mute", json={})
    assert late.status_code == 409
    assert late.json()["code"] == "no_meeting"


def test_chat_export_and_poll_results(
    owner: httpx.Client, room: dict[str, Any], guests: tuple[Participant, Participant]
) -> None:
    bea, cy = guests
    moderator = Participant.join(bea.server, owner, room).open()
    try:
        bea.send({"type": "chat.send", "text": "Hello from Bea"})
        cy.send({"type": "chat.send", "text": "Psst", "to": bea.id})
        moderator.expect("chat", text="Hello from Bea")

        moderator.send(
            {
                "type": "poll.start",
                "question": "Which day?",
                "options": ["Monday", "Friday"],
                "anonymous": False,
            }
        )
        started = bea.expect("poll.started")
        poll_id = started["data"]["id"]
        bea.send({"type": "poll.answer", "poll": poll_id, "choices": [1]})
        cy.send({"type": "poll.answer", "poll": poll_id, "choices": [1]})
        moderator.expect("poll.results", voters=2)
    finally:
        moderator.close()

    chat = owner.get(f"/api/v1/rooms/{room['id']}/chat.txt")
    assert chat.status_code == 200
    assert chat.headers["content-type"].startswith("text/plain")
    assert "Bea: Hello from Bea" in chat.text
    # A private message between two others is theirs alone.
    assert "Psst" not in chat.text

    listed = owner.get(f"/api/v1/rooms/{room['id']}/polls")
    assert listed.status_code == 200
    [poll] = listed.json()
    assert poll["question"] == "Which day?"
    assert poll["results"]["voters"] == 2
    assert poll["results"]["counts"] == [0, 2]
    assert sorted(a["name"] for a in poll["results"]["answers"]) == ["Bea", "Cy"]
    one = owner.get(f"/api/v1/rooms/{room['id']}/polls/{poll_id}")
    assert one.json() == poll


def test_a_member_who_does_not_manage_the_room_gets_nothing(
    owner: httpx.Client,
    member: httpx.Client,
    room: dict[str, Any],
    guests: tuple[Participant, Participant],
) -> None:
    bea, _ = guests
    base = f"/api/v1/rooms/{room['id']}"
    # The owner is answered, so the refusals below are the member's, not missing routes.
    assert owner.get(f"{base}/meeting/participants").status_code == 200
    assert owner.get(f"{base}/polls").status_code == 200
    calls = [
        ("GET", f"{base}/meeting/participants", None),
        ("POST", f"{base}/meeting/mute", {}),
        ("POST", f"{base}/meeting/end", None),
        ("DELETE", f"{base}/meeting/participants/{bea.id}", None),
        ("GET", f"{base}/chat.txt", None),
        ("GET", f"{base}/polls", None),
    ]
    for method, url, body in calls:
        response = member.request(method, url, json=body)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["code"] == "not_found"
    # Nothing happened to the meeting.
    bea.send({"type": "ping"})
    assert bea.expect("pong")["type"] == "pong"
