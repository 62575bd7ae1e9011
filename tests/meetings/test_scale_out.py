"""Two `parley serve` processes on PostgreSQL and Redis hold one meeting together."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser.people import make_member
from tests.browser.server import ParleyServer, two_processes
from tests.meetings.client import Participant, log_in, open_room
from tests.rooms.guests import assert_no_takeover, enter_as_guest


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[ParleyServer, ParleyServer]]:
    with two_processes(tmp_path) as servers:
        yield servers


def test_participants_on_two_processes_see_chat_and_moderation(
    two_servers: tuple[ParleyServer, ParleyServer],
) -> None:
    first, second = two_servers
    make_member(first, "ada@example.org", "Ada", admin=True)
    with (
        httpx.Client(base_url=first.url, timeout=10) as owner,
        httpx.Client(base_url=second.url, timeout=10) as visitor,
    ):
        log_in(owner)
        room = open_room(owner, "Two processes")

        moderator = Participant.join(first, owner, room).open()
        guest = Participant.join(second, visitor, room, name="Guest on B").open()
        try:
            moderator.expect("joined", name="Guest on B")
            assert [p["name"] for p in guest.welcome["participants"]] == ["Ada", "Guest on B"]

            guest.send({"type": "chat.send", "text": "from B"})
            assert moderator.expect("chat")["data"]["text"] == "from B"
            moderator.send({"type": "chat.send", "text": "from A"})
            guest.expect("chat", text="from A")

            guest.send({"type": "hand.raise"})
            assert moderator.expect("updated", name="Guest on B")["data"]["hand"]

            # The room's state is one, whichever process is asked.
            seen_from_b = visitor.get(f"/api/v1/rooms/{room['id']}")
            assert seen_from_b.status_code == 401  # the visitor is no member: nothing leaks
            counted = owner.get(f"/api/v1/rooms/{room['id']}").json()["participant_count"]
            assert counted == 2

            moderator.send({"type": "mod.remove", "target": guest.id, "ban": False})
            guest.expect("removed")
            moderator.expect("removed")
        finally:
            moderator.close()
            guest.close()


def test_a_guest_cookie_forged_on_the_other_process_takes_over_no_one(
    two_servers: tuple[ParleyServer, ParleyServer],
) -> None:
    first, second = two_servers
    make_member(first, "ada@example.org", "Ada", admin=True)
    with (
        httpx.Client(base_url=first.url, timeout=10) as owner,
        httpx.Client(base_url=first.url, timeout=10) as bea_browser,
        httpx.Client(base_url=second.url, timeout=10) as intruder_browser,
    ):
        log_in(owner)
        room = open_room(owner, "Two processes")
        moderator = Participant.join(first, owner, room).open()
        bea = enter_as_guest(first, bea_browser, room, "Bea").open()
        try:
            moderator.send({"type": "chat.send", "text": "for Bea only", "to": bea.id})
            bea.expect("chat", text="for Bea only")
            # The cookie holds what everyone sees of Bea: her id without its `g`.
            intruder = enter_as_guest(second, intruder_browser, room, "Mallory", bea.id[1:])
            intruder.open()
            try:
                assert_no_takeover(bea, intruder, intruder_browser)
            finally:
                intruder.close()
        finally:
            moderator.close()
            bea.close()
