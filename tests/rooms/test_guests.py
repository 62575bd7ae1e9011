"""Guest identities: server-issued and signed, never taken over with another's visible id."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.browser.people import make_member
from tests.browser.server import ParleyServer, serving
from tests.meetings.client import Participant, log_in, open_room
from tests.rooms.guests import assert_no_takeover, enter_as_guest


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ParleyServer]:
    with serving(request.param, tmp_path) as running:
        make_member(running, "ada@example.org", "Ada", admin=True)
        yield running


@pytest.fixture
def owner(server: ParleyServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        log_in(client)
        yield client


@pytest.fixture
def room(owner: httpx.Client) -> dict[str, Any]:
    return open_room(owner, "Guests")


def test_another_guests_id_in_the_cookie_gives_a_fresh_identity(
    server: ParleyServer, owner: httpx.Client, room: dict[str, Any]
) -> None:
    with (
        httpx.Client(base_url=server.url, timeout=10) as first,
        httpx.Client(base_url=server.url, timeout=10) as second,
    ):
        moderator = Participant.join(server, owner, room).open()
        bea = enter_as_guest(server, first, room, "Bea").open()
        cookie = first.cookies["parley_guest"]
        # What others see of Bea tells nothing of her cookie.
        assert bea.id.startswith("g") and bea.id[1:] not in cookie
        moderator.send({"type": "chat.send", "text": "for Bea only", "to": bea.id})
        bea.expect("chat", text="for Bea only")

        # A forged cookie: Bea's visible id, the old way, or with a made-up signature.
        for forged in (bea.id[1:], f"{bea.id[1:]}.{'0' * 64}", cookie[:-1] + "x"):
            second.cookies.clear()
            intruder = enter_as_guest(server, second, room, "Mallory", forged).open()
            try:
                assert second.cookies["parley_guest"] != forged  # a fresh one was issued
                assert_no_takeover(bea, intruder, second)
            finally:
                intruder.close()
        # Bea herself comes back as herself.
        again = enter_as_guest(server, first, room, "Bea")
        bea.close()
        back = again.open()
        assert back.id == bea.id
        assert "for Bea only" in str(back.welcome["chat"])
        moderator.close()
        back.close()


def test_an_over_long_guest_cookie_is_dropped_and_the_guest_joins(
    server: ParleyServer, room: dict[str, Any]
) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        guest = enter_as_guest(server, client, room, "Long cookie", "x" * 3000).open()
        try:
            assert guest.welcome["you"]["name"] == "Long cookie"
            assert len(guest.id) <= 40
            assert len(client.cookies["parley_guest"]) < 200
            guest.send({"type": "chat.send", "text": "still here"})
            guest.expect("chat", text="still here")
        except ConnectionClosed:
            pytest.fail("the socket broke")
        finally:
            guest.close()
