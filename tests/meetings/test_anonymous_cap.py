"""Sockets nobody logged in holds are capped per client address; members are never refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from parley.sockets import CloseCode
from tests.browser.people import make_member
from tests.browser.server import ParleyServer
from tests.meetings.client import Participant

CAP = 3


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ParleyServer]:
    env = {"PARLEY_ANONYMOUS_SOCKETS_PER_ADDRESS": str(CAP)}
    with ParleyServer(tmp_path, extra_env=env) as running:
        make_member(running, "ada@example.org", "Ada", admin=True)
        yield running


def _guest(server: ParleyServer, room: dict[str, Any], name: str) -> Participant:
    """A guest in a browser of their own (a guest cookie of their own)."""
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        return Participant.join(server, browser, room, name=name)


def _refused(server: ParleyServer, slug: str, cookie: str = "") -> tuple[int, str]:
    """Open the room's socket; the close code and reason the server answers with."""
    headers = {"Cookie": cookie} if cookie else {}
    with (
        connect(
            f"ws://127.0.0.1:{server.port}/r/{slug}/live",
            additional_headers=headers,
            origin=server.url,  # type: ignore[arg-type]
            open_timeout=5,
        ) as socket,
        pytest.raises(ConnectionClosed) as closed,
    ):
        socket.recv(timeout=5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def test_more_anonymous_sockets_than_the_cap_from_one_address_are_refused(
    server: ParleyServer, owner: httpx.Client, room: dict[str, Any]
) -> None:
    guests = [_guest(server, room, f"Guest {n}").open() for n in range(CAP)]
    one_more = _guest(server, room, "One more")
    code, reason = _refused(server, room["slug"], f"parley_join={one_more.token}")
    assert code == CloseCode.TOO_MANY and "without logging in" in reason
    # Someone waiting outside, logged in as nobody, counts too.
    assert _refused(server, room["slug"])[0] == CloseCode.TOO_MANY
    # A member is never refused, and the guests already in keep their sockets.
    member = Participant.join(server, owner, room).open()
    member.send({"type": "chat.send", "text": "still here?"})
    for guest in guests:
        guest.expect("chat", text="still here?")
    # When a guest leaves, their place is free again (once the server has seen the socket go).
    guests[0].close()
    for _ in range(50):
        try:
            one_more.open()
            break
        except ConnectionClosed:
            time.sleep(0.1)
    assert one_more.welcome["you"]["name"] == "One more"
    for person in [*guests[1:], one_more, member]:
        person.close()
