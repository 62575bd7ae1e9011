"""A guest who enters through the invitation page, as a browser does: cookies and all."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.browser.server import ParleyServer
from tests.meetings.client import Participant


def enter_as_guest(
    server: ParleyServer,
    client: httpx.Client,
    room: dict[str, Any],
    name: str,
    guest_cookie: str | None = None,
) -> Participant:
    """Open the room's link, give a name, and be in the meeting with the join cookie.

    `guest_cookie`: what the browser sends as its guest cookie with the name (made up).
    """
    page = client.get(f"/r/{room['slug']}")
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    if guest_cookie is not None:
        client.cookies.set("parley_guest", guest_cookie, domain="127.0.0.1")
    response = client.post(f"/r/{room['slug']}", data={"name": name, "csrf_token": match.group(1)})
    assert response.status_code == 303, response.text
    return Participant(server, client.cookies["parley_join"], room["slug"])


def assert_no_takeover(
    bea: Participant,
    intruder: Participant,
    intruder_client: httpx.Client,
) -> None:
    """The intruder is someone new: Bea keeps her name, socket and private messages."""
    assert intruder.id != bea.id
    assert intruder.welcome["you"]["name"] == "Mallory"
    names = {p["id"]: p["name"] for p in intruder.welcome["participants"]}
    assert names[bea.id] == "Bea" and names[intruder.id] == "Mallory"
    assert "for Bea only" not in str(intruder.welcome["chat"])
    export = intruder_client.get(f"/r/{bea.slug}/chat.txt")
    assert export.status_code == 200 and "for Bea only" not in export.text
    # Bea was not superseded: her socket still answers and sees the newcomer.
    bea.expect("joined", name="Mallory")
    bea.send({"type": "ping"})
    bea.expect("pong")
