"""Webinar mode: only the people on stage are seen and heard; the audience watches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser.server import ParleyServer
from tests.meetings.client import Participant, open_room

Webinar = tuple[Participant, Participant, Participant, Participant]


def ids(participants: list[dict[str, Any]]) -> set[str]:
    return {p["id"] for p in participants}


def next_event(person: Participant) -> dict[str, Any]:
    """The next numbered event (gap fillers included), skipping other messages."""
    while True:
        message = person.receive()
        if message["type"] == "event":
            return message


@pytest.fixture
def webinar(server: ParleyServer, owner: httpx.Client) -> Iterator[Webinar]:
    """A webinar with its owner (a moderator) and three guests in the audience, who joined
    one after the other (each seen by the moderator before the next)."""
    room = open_room(owner, "Webinar")
    assert owner.patch(f"/api/v1/rooms/{room['id']}", json={"webinar": True}).json()["webinar"]
    with (
        httpx.Client(base_url=server.url) as first,
        httpx.Client(base_url=server.url) as second,
        httpx.Client(base_url=server.url) as third,
    ):
        moderator = Participant.join(server, owner, room).open()
        people = [moderator]
        for client, name in ((first, "Bea"), (second, "Cy"), (third, "Dee")):
            people.append(Participant.join(server, client, room, name=name).open())
            moderator.expect("joined", name=name)
            moderator.expect("audience", count=len(people))
        yield moderator, people[1], people[2], people[3]
        for person in people:
            person.close()


def test_the_audience_sees_the_stage_and_itself(webinar: Webinar) -> None:
    moderator, bea, cy, dee = webinar
    assert moderator.welcome["webinar"] is True
    assert moderator.welcome["you"]["stage"] is True
    # The last one in sees the moderator and themself, and how many are in the meeting.
    assert ids(dee.welcome["participants"]) == {moderator.id, dee.id}
    assert dee.welcome["count"] == 4
    assert dee.welcome["you"]["stage"] is False
    seen = {p["id"]: p for p in dee.welcome["participants"]}
    assert seen[moderator.id]["stage"] is True
    # The others did not see Cy and Dee arrive: a gap filler stood for each, and the count.
    bea.expect("audience", count=4)
    assert not any(m.get("kind") == "joined" for m in bea.seen)
    assert [m["kind"] for m in bea.seen if m["type"] == "event"].count("none") == 2
    # Moderators see everyone, with the audience's state.
    moderator.close()
    moderator.open()
    assert ids(moderator.welcome["participants"]) == {moderator.id, bea.id, cy.id, dee.id}
    assert moderator.welcome["count"] == 4
    # A raised hand reaches the moderators, not the rest of the audience.
    bea.send({"type": "hand.raise"})
    assert moderator.expect("updated", id=bea.id)["data"]["hand"] is not None
    assert bea.expect("updated", id=bea.id)["data"]["hand"] is not None
    assert next_event(cy)["kind"] == "none"


def test_the_audience_turns_nothing_on(webinar: Webinar) -> None:
    moderator, bea, _cy, _dee = webinar
    for change in ({"camera": True}, {"muted": False}, {"screen": True}):
        bea.send({"type": "state.update", **change})
        error = bea.expect("error")
        assert error["code"] == "not_on_stage"
        assert "on stage" in error["message"]
    # Turning things off is always allowed.
    bea.send({"type": "state.update", "muted": True, "camera": False})
    moderator.expect("updated", id=bea.id, muted=True)


def test_signalling_goes_between_the_stage_and_the_audience_only(webinar: Webinar) -> None:
    moderator, bea, cy, _dee = webinar
    offer = {"type": "offer", "sdp": "v=0"}
    bea.send({"type": "signal", "to": cy.id, "description": offer})
    assert bea.expect("error")["code"] == "not_on_stage"
    bea.send({"type": "signal", "to": moderator.id, "description": offer})
    relayed = moderator.expect("signal")
    assert relayed["from"] == bea.id and relayed["description"] == offer
    moderator.send({"type": "signal", "to": cy.id, "description": offer})
    assert cy.expect("signal")["from"] == moderator.id


def test_on_stage_and_off_again(webinar: Webinar) -> None:
    moderator, bea, cy, dee = webinar
    moderator.send({"type": "mod.stage", "target": bea.id, "on": True})
    assert moderator.expect("updated", id=bea.id)["data"]["stage"] is True
    # The rest of the audience sees Bea arrive.
    for viewer in (cy, dee):
        joined = viewer.expect("joined", id=bea.id)
        assert joined["data"]["stage"] is True
    # Bea's own page gets the update, then a fresh snapshot: she now sees everyone.
    assert bea.expect("updated", id=bea.id)["data"]["stage"] is True
    welcome = bea.expect("welcome")
    assert ids(welcome["participants"]) == {moderator.id, bea.id, cy.id, dee.id}
    assert welcome["you"]["stage"] is True

    # On stage, she may speak and show her camera; everyone sees it.
    bea.send({"type": "state.update", "muted": False, "camera": True})
    for person in (moderator, cy, dee):
        data = person.expect("updated", id=bea.id)["data"]
        assert data["muted"] is False and data["camera"] is True
    # The audience may now signal to her, and she to them.
    bea.send({"type": "signal", "to": cy.id, "description": {"type": "offer", "sdp": "v=0"}})
    assert cy.expect("signal")["from"] == bea.id
    # A late joiner's snapshot agrees with the live view.
    cy.close()
    cy.open()
    assert ids(cy.welcome["participants"]) == {moderator.id, bea.id, cy.id}

    # Taken off stage: her devices go off, with who did it, and the audience sees her go.
    moderator.send({"type": "mod.stage", "target": bea.id, "on": False})
    off = bea.expect("updated", id=bea.id, stage=False)["data"]
    assert (off["muted"], off["camera"], off["screen"], off["by"]) == (
        True,
        False,
        False,
        moderator.id,
    )
    assert bea.expect("welcome")["participants"] == [
        p for p in bea.welcome["participants"] if p["id"] in {moderator.id, bea.id}
    ]
    assert ids(bea.welcome["participants"]) == {moderator.id, bea.id}
    moderator.expect("updated", id=bea.id, stage=False)
    for viewer in (cy, dee):
        viewer.expect("left", id=bea.id)
    # Off stage again, she may not unmute, nor signal to the audience.
    bea.send({"type": "state.update", "muted": False})
    assert bea.expect("error")["code"] == "not_on_stage"
    bea.send({"type": "signal", "to": dee.id, "candidate": {"candidate": "candidate:1"}})
    assert bea.expect("error")["code"] == "not_on_stage"
    # And a reconnection with replay shows the audience what the live view showed.
    last = dee.last_event
    dee.close()
    moderator.send({"type": "mod.stage", "target": cy.id, "on": True})
    moderator.expect("updated", id=cy.id)
    dee.open(last_event=last)
    assert dee.expect("joined", id=cy.id)["data"]["stage"] is True


def test_a_demoted_moderator_leaves_the_stage(webinar: Webinar) -> None:
    moderator, bea, cy, dee = webinar
    moderator.send({"type": "mod.promote", "target": bea.id})
    assert cy.expect("joined", id=bea.id)["data"]["role"] == "moderator"
    everyone = {moderator.id, bea.id, cy.id, dee.id}
    assert ids(bea.expect("welcome")["participants"]) == everyone
    moderator.send({"type": "mod.demote", "target": bea.id})
    cy.expect("left", id=bea.id)
    assert bea.expect("updated", id=bea.id)["data"]["stage"] is False


def test_stage_is_for_moderators_and_webinars(
    webinar: Webinar, server: ParleyServer, owner: httpx.Client
) -> None:
    _moderator, bea, cy, _dee = webinar
    bea.send({"type": "mod.stage", "target": cy.id, "on": True})
    assert bea.expect("error")["code"] == "not_moderator"
    room = open_room(owner, "Plain")
    with httpx.Client(base_url=server.url) as client:
        ada = Participant.join(server, owner, room).open()
        eve = Participant.join(server, client, room, name="Eve").open()
        assert ada.expect("joined", name="Eve")["data"]["stage"] is True
        assert eve.welcome["count"] == 2 and eve.welcome["webinar"] is False
        ada.send({"type": "mod.stage", "target": eve.id, "on": True})
        assert ada.expect("error")["code"] == "no_stage"
        ada.close()
        eve.close()


def test_the_audience_count_follows_departures(webinar: Webinar) -> None:
    moderator, bea, _cy, dee = webinar
    moderator.send({"type": "mod.remove", "target": dee.id})
    moderator.expect("removed", id=dee.id)
    dee.expect("removed", id=dee.id)
    moderator.expect("audience", count=3)
    bea.expect("audience", count=3)
    assert not any(m.get("kind") == "removed" for m in bea.seen)


def test_the_way_in_to_the_media_says_who_publishes(webinar: Webinar) -> None:
    moderator, bea, _cy, _dee = webinar

    def publish(person: Participant) -> bool:
        response = httpx.get(
            f"{person.server.url}/r/{person.slug}/media",
            headers={"cookie": f"parley_join={person.token}", "accept": "application/json"},
        )
        assert response.status_code == 200, response.text
        return bool(response.json()["publish"])

    assert publish(moderator) is True
    assert publish(bea) is False
    moderator.send({"type": "mod.stage", "target": bea.id, "on": True})
    bea.expect("welcome")
    assert publish(bea) is True
