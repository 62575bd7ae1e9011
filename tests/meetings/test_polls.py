"""Polls on the meeting socket: who may start them, one answer each, what results show."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx

from tests.browser.people import PASSWORD
from tests.browser.server import ParleyServer
from tests.meetings.client import Participant

YES_NO = {"type": "poll.start", "question": "Lunch at noon?", "options": ["Yes", "No"]}


def test_a_poll_with_two_voters_published_to_all(people: tuple[Participant, ...]) -> None:
    moderator, bea, cy = people
    bea.send(YES_NO)
    assert bea.expect("error")["code"] == "not_moderator"

    moderator.send(YES_NO)
    poll = cy.expect("poll.started")["data"]
    assert poll["question"] == "Lunch at noon?" and poll["options"] == ["Yes", "No"]
    bea.send({"type": "poll.answer", "poll": poll["id"], "choices": [0]})
    assert bea.expect("poll.answered")["data"] == {"poll": poll["id"]}
    live = moderator.expect("poll.results", voters=1)["data"]
    assert live["counts"] == [1, 0] and live["answers"] == [
        {"name": "Bea", "choices": [0], "text": None}
    ]
    cy.send({"type": "poll.answer", "poll": poll["id"], "choices": [1]})
    cy.expect("poll.answered")
    # A second answer, however sent, is refused and changes nothing.
    bea.send({"type": "poll.answer", "poll": poll["id"], "choices": [1]})
    assert bea.expect("error")["code"] == "already_answered"
    bea.send({"type": "poll.answer", "poll": poll["id"], "choices": [0, 1]})
    assert bea.expect("error")["code"] == "already_answered"

    moderator.send({"type": "poll.close", "poll": poll["id"], "publish": True})
    closed = cy.expect("poll.closed")["data"]
    assert closed["poll"]["state"] == "published"
    assert closed["results"] == {"poll": poll["id"], "voters": 2, "counts": [1, 1], "texts": []}
    cy.send({"type": "poll.answer", "poll": poll["id"], "choices": [0]})
    assert cy.expect("error")["code"] == "poll_closed"


def test_an_anonymous_poll_never_shows_who_answered(
    people: tuple[Participant, ...], server: ParleyServer, owner: httpx.Client
) -> None:
    moderator, bea, cy = people
    moderator.send({**YES_NO, "question": "Secret?", "anonymous": True, "multiple": True})
    poll = bea.expect("poll.started")["data"]
    bea.send({"type": "poll.answer", "poll": poll["id"], "choices": [0, 1]})
    bea.expect("poll.answered")
    live = moderator.expect("poll.results", voters=1)["data"]
    assert live == {"poll": poll["id"], "voters": 1, "counts": [1, 1], "texts": []}
    moderator.send({"type": "poll.close", "poll": poll["id"], "publish": True})
    cy.expect("poll.closed")

    # Nothing any participant received names Bea with an answer, nor carries her id.
    for person in (moderator, bea, cy):
        for message in person.seen:
            if message.get("kind", "").startswith("poll"):
                text = json.dumps(message)
                assert "Bea" not in text and bea.id not in text, message
    # A late joiner's snapshot and the export are no different.
    with httpx.Client(base_url=server.url) as client:
        room = {"id": 0, "slug": bea.slug}
        response = owner.get("/api/v1/rooms").json()
        room = next(r for r in response if r["slug"] == bea.slug)
        dee = Participant.join(server, client, room, name="Dee").open()
        assert "Bea" not in json.dumps(dee.welcome.get("poll"))
        dee.close()
    export = owner.get(
        f"/r/{bea.slug}/polls.csv", headers={"cookie": f"parley_join={moderator.token}"}
    )
    assert export.status_code == 200 and "text/csv" in export.headers["content-type"]
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[1][2:7] == ["Secret?", "True", "Yes", "1", "100"] and rows[1][7] == ""
    assert "Bea" not in export.text
    denied = owner.get(f"/r/{bea.slug}/polls.csv", headers={"cookie": f"parley_join={bea.token}"})
    assert denied.status_code == 403


def test_free_text_and_bad_polls(people: tuple[Participant, ...]) -> None:
    moderator, bea, _cy = people
    for bad in (
        {"type": "poll.start", "question": "One?", "options": ["Only"]},
        {"type": "poll.start", "question": "Twice?", "options": ["A", "a"]},
        {"type": "poll.start", "question": "", "options": ["A", "B"]},
        {"type": "poll.start", "question": "Many?", "options": [str(i) for i in range(11)]},
        {"type": "poll.start", "question": "Text?", "kind": "text", "options": ["A", "B"]},
    ):
        moderator.send(bad)
        assert moderator.expect("error")["code"] == "bad_message", bad
    moderator.send({"type": "poll.start", "question": "=1+1 one word?", "kind": "text"})
    poll = bea.expect("poll.started")["data"]
    moderator.send(YES_NO)
    assert moderator.expect("error")["code"] == "poll_open"
    bea.send({"type": "poll.answer", "poll": poll["id"], "choices": [0]})
    assert bea.expect("error")["code"] == "bad_answer"
    bea.send({"type": "poll.answer", "poll": poll["id"], "text": "<b>curious</b>"})
    bea.expect("poll.answered")
    results = moderator.expect("poll.results", voters=1)["data"]
    assert results["texts"] == ["<b>curious</b>"]
    bea.send({"type": "poll.answer", "poll": 999, "text": "lost"})
    assert bea.expect("error")["code"] == "no_such_poll"
    moderator.send({"type": "poll.close", "poll": poll["id"], "publish": False})
    closed = bea.expect("poll.closed")["data"]
    assert closed["poll"]["state"] == "closed" and "results" not in closed


def test_a_member_answers_once_from_any_number_of_browsers(
    people: tuple[Participant, ...], server: ParleyServer, room: dict[str, Any]
) -> None:
    moderator, bea, _cy = people
    moderator.send({**YES_NO, "question": "Friday?"})
    poll = bea.expect("poll.started")["data"]
    bea.send({"type": "poll.answer", "poll": poll["id"], "choices": [1]})
    bea.expect("poll.answered")
    moderator.send({"type": "poll.answer", "poll": poll["id"], "choices": [0]})
    moderator.expect("poll.answered")
    moderator.expect("poll.results", voters=2)
    # The same member logs in from a fresh browser: the same person, who answered already.
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        response = browser.post(
            "/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD}
        )
        browser.headers["x-csrf-token"] = response.json()["csrf_token"]
        again = Participant.join(server, browser, room).open()
        assert again.welcome["poll"]["answered"] is True
        again.send({"type": "poll.answer", "poll": poll["id"], "choices": [1]})
        assert again.expect("error")["code"] == "already_answered"
        again.send({"type": "poll.close", "poll": poll["id"], "publish": True})
        closed = again.expect("poll.closed")["data"]
        assert closed["results"]["voters"] == 2 and closed["results"]["counts"] == [1, 1]
        again.close()


def test_a_members_only_poll_refuses_guests(people: tuple[Participant, ...]) -> None:
    moderator, bea, cy = people
    moderator.send({**YES_NO, "question": "Members vote?", "members_only": True})
    poll = bea.expect("poll.started")["data"]
    assert poll["members_only"] is True
    bea.send({"type": "poll.answer", "poll": poll["id"], "choices": [0]})
    assert bea.expect("error")["code"] == "members_only"
    moderator.send({"type": "poll.answer", "poll": poll["id"], "choices": [1]})
    moderator.expect("poll.answered")
    assert moderator.expect("poll.results", voters=1)["data"]["counts"] == [0, 1]
    # An ordinary poll takes the guests' answers.
    moderator.send({"type": "poll.close", "poll": poll["id"]})
    cy.expect("poll.closed")
    moderator.send({**YES_NO, "question": "Everyone?"})
    poll = cy.expect("poll.started")["data"]
    assert poll["members_only"] is False
    cy.send({"type": "poll.answer", "poll": poll["id"], "choices": [0]})
    cy.expect("poll.answered")
