"""Reactions: from a fixed set, to everyone, a few at a time."""

from __future__ import annotations

from tests.meetings.client import Participant


def _reactions(person: Participant, seconds: float = 1.0) -> list[dict[str, object]]:
    got = []
    while True:
        try:
            message = person.receive(seconds)
        except TimeoutError:
            return got
        if message["type"] == "reaction":
            got.append(message)


def test_reactions_reach_everyone_and_are_rate_limited(people: tuple[Participant, ...]) -> None:
    moderator, bea, cy = people
    bea.send({"type": "reaction", "emoji": "👏"})
    for person in (moderator, bea, cy):
        assert _reactions(person)[0] == {"type": "reaction", "from": bea.id, "emoji": "👏"}

    for bad in ("<img src=x onerror=alert(1)>", "💩", ""):
        bea.send({"type": "reaction", "emoji": bad})
        assert bea.expect("error")["code"] == "bad_message"

    for _ in range(10):
        bea.send({"type": "reaction", "emoji": "🎉"})
    errors = []
    while len(errors) < 5:
        message = bea.receive()
        if message["type"] == "error":
            errors.append(message["code"])
    assert set(errors) == {"rate_limited"}
    assert len(_reactions(cy)) <= 5  # a burst of four, perhaps one more refilled
