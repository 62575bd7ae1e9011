"""A protocol-level meeting participant: joins through the API, talks on the room's socket."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from parley.meetings import events
from tests.browser.people import PASSWORD
from tests.browser.server import ParleyServer


def log_in(client: httpx.Client, email: str = "ada@example.org") -> None:
    """Log `client` in through the API as a member made with `make_member`."""
    response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.headers["x-csrf-token"] = response.json()["csrf_token"]


def open_room(client: httpx.Client, name: str) -> dict[str, Any]:
    """A new room of the logged-in `client`, with its meeting open."""
    room: dict[str, Any] = client.post("/api/v1/rooms", json={"name": name}).json()
    assert client.post(f"/api/v1/rooms/{room['id']}/open").status_code == 200
    return room


def check_message(message: dict[str, Any]) -> None:
    """Fail on a message the server does not declare: an event of an unknown kind, or data
    its kind's model refuses (a field missing, extra or of another type)."""
    if message["type"] == "event":
        assert message["kind"] in events.EVENTS, f"undeclared event kind: {message}"
        events.EVENTS[message["kind"]].model_validate(message["data"])
    elif message["type"] == "signal":
        assert "to" not in message, message
        events.Signalled.model_validate(message)
    elif message["type"] == "reaction":
        events.Reaction.model_validate(message)
    else:
        assert message["type"] in events.OTHER_MESSAGES, f"undeclared message: {message}"


class Participant:
    def __init__(self, server: ParleyServer, token: str, slug: str) -> None:
        self.server = server
        self.token = token
        self.slug = slug
        self.connection: ClientConnection | None = None
        self.welcome: dict[str, Any] = {}
        self.last_event = 0
        self.seen: list[dict[str, Any]] = []

    @classmethod
    def join(
        cls, server: ParleyServer, client: httpx.Client, room: dict[str, Any], **body: Any
    ) -> Participant:
        # The room's slug shows the API that this person has the link, as a guest would.
        body = {"slug": room["slug"], **body}
        response = client.post(f"/api/v1/rooms/{room['id']}/join", json=body)
        assert response.status_code == 200, response.text
        return cls(server, response.json()["token"], room["slug"])

    @property
    def id(self) -> str:
        return str(self.welcome["you"]["id"])

    def open(self, last_event: int | None = None, language: str | None = None) -> Participant:
        """Connect to the meeting, in `language` (as the browser's Accept-Language) if given."""
        headers = {"Cookie": f"parley_join={self.token}"}
        if language is not None:
            headers["Accept-Language"] = language
        self._stack = contextlib.ExitStack()
        self.connection = self._stack.enter_context(
            connect(
                f"ws://127.0.0.1:{self.server.port}/r/{self.slug}/live",
                additional_headers=headers,
                origin=self.server.url,  # type: ignore[arg-type]
                open_timeout=5,
            )
        )
        # A server that refuses this token says why and closes at once, maybe before the
        # hello is out: what it said is still there to be read.
        with contextlib.suppress(ConnectionClosed):
            self.send({"type": "hello", "last_event": last_event})
        if last_event is None:
            self.welcome = self.expect("welcome")
            self.last_event = self.welcome["last_event"]
        return self

    def close(self) -> None:
        if self.connection is not None:
            self._stack.close()
            self.connection = None

    def send(self, message: dict[str, Any]) -> None:
        assert self.connection is not None
        self.connection.send(json.dumps(message))

    def receive(self, timeout: float = 5) -> dict[str, Any]:
        assert self.connection is not None
        message: dict[str, Any] = json.loads(self.connection.recv(timeout=timeout))
        check_message(message)
        if message["type"] == "event":
            assert message["id"] == self.last_event + 1, (message, self.last_event)
            self.last_event = message["id"]
        elif message["type"] == "welcome":
            # A fresh snapshot (whom this person sees changed): it starts the numbering over.
            assert message["last_event"] >= self.last_event, (message, self.last_event)
            self.welcome = message
            self.last_event = message["last_event"]
        self.seen.append(message)
        return message

    def expect(self, kind: str, timeout: float = 5, **fields: Any) -> dict[str, Any]:
        """The next message of `kind` (an event kind or a message type) with these fields."""
        while True:
            message = self.receive(timeout)
            if message["type"] in {"ping", "pong"} and kind not in {"ping", "pong"}:
                continue
            matches = message["type"] == kind or (
                message["type"] == "event" and message["kind"] == kind
            )
            data = message.get("data", message)
            if matches and all(data.get(k) == v for k, v in fields.items()):
                return message
