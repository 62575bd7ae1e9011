"""What a browser may send on the meeting socket, on both databases: numbers and text the
database cannot hold are refused with an error message, and the socket goes on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.people import make_member
from tests.browser.server import ParleyServer, serving
from tests.meetings.client import Participant


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ParleyServer]:
    """One server per database for the module's tests (each test has a room of its own)."""
    workdir: Path = tmp_path_factory.mktemp(request.param)
    with serving(request.param, workdir) as running:
        make_member(running, "ada@example.org", "Ada", admin=True)
        yield running


def _still_answers(person: Participant) -> None:
    person.send({"type": "ping"})
    person.expect("pong")


@pytest.mark.parametrize(
    "raw",
    [
        '{"type": "poll.answer", "poll": 1e20, "choices": [0]}',
        '{"type": "poll.answer", "poll": 2147483648, "choices": [0]}',
        '{"type": "poll.close", "poll": 100000000000000000000}',
        '{"type": "mod.admit", "entry": 1e20}',
        '{"type": "mod.refuse", "entry": 2147483648}',
        '{"type": "mod.admit", "entry": 100000000000000000000}',
        '{"type": "hello", "last_event": 1e20}',
        '{"type": "hello", "last_event": 100000000000000000000}',
    ],
)
def test_a_number_the_database_cannot_hold_is_a_bad_message(
    people: tuple[Participant, ...], raw: str
) -> None:
    moderator, _bea, _cy = people
    assert moderator.connection is not None
    moderator.connection.send(raw)
    assert moderator.expect("error")["code"] == "bad_message"
    _still_answers(moderator)


def test_a_poll_answer_out_of_range_changes_nothing(people: tuple[Participant, ...]) -> None:
    moderator, bea, _cy = people
    moderator.send({"type": "poll.start", "question": "Lunch?", "options": ["Yes", "No"]})
    poll = bea.expect("poll.started")["data"]
    assert bea.connection is not None
    for too_large in ("1e20", "100000000000000000000", "2147483648"):
        bea.connection.send(f'{{"type": "poll.answer", "poll": {too_large}, "choices": [0]}}')
        assert bea.expect("error")["code"] == "bad_message"
    bea.send({"type": "poll.answer", "poll": poll["id"], "choices": [1]})
    assert bea.expect("poll.answered")["data"] == {"poll": poll["id"]}
    assert moderator.expect("poll.results", voters=1)["data"]["counts"] == [0, 1]


def test_control_characters_never_reach_the_chat(people: tuple[Participant, ...]) -> None:
    """NUL (which PostgreSQL refuses in text) and the other C0 characters but tab and newline
    are taken out of what people write; a message of nothing else is refused."""
    moderator, bea, cy = people
    bea.send({"type": "chat.send", "text": "a\x00b\x01c\x1b\td\r\ne"})
    for person in people:
        assert person.expect("chat")["data"]["text"] == "abc\td\ne"
    bea.send({"type": "chat.send", "text": "\x00\x07"})
    assert bea.expect("error")["code"] == "bad_message"
    bea.send({"type": "chat.send", "text": "for you\x00", "to": cy.id})
    assert cy.expect("chat")["data"]["text"] == "for you"
    bea.send({"type": "chat.send", "text": "hi", "to": cy.id + "\x00"})
    assert bea.expect("error")["code"] == "bad_message"
    # Someone arriving later reads the same history from the database.
    late = Participant(bea.server, bea.token, bea.slug).open()
    texts = [m["text"] for m in late.welcome["chat"]]
    assert texts[-2:] == ["abc\td\ne", "for you"]
    late.close()
    _still_answers(moderator)


def test_control_characters_never_reach_a_poll(people: tuple[Participant, ...]) -> None:
    moderator, bea, _cy = people
    moderator.send(
        {"type": "poll.start", "question": "Lunch\x00?", "options": ["Y\x00es", "No\x01"]}
    )
    poll = bea.expect("poll.started")["data"]
    assert poll["question"] == "Lunch?" and poll["options"] == ["Yes", "No"]
    moderator.send({"type": "poll.close", "poll": poll["id"]})
    bea.expect("poll.closed")
    moderator.send({"type": "poll.start", "question": "Why?", "kind": "text"})
    poll = bea.expect("poll.started")["data"]
    bea.send({"type": "poll.answer", "poll": poll["id"], "text": "be\x00cause\x02"})
    bea.expect("poll.answered")
    assert moderator.expect("poll.results", voters=1)["data"]["texts"] == ["because"]
