"""A protocol-level client of a shared document: a pycrdt Doc synced over the room's socket."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from pycrdt import (
    Decoder,
    Doc,
    Encoder,
    Text,
    TransactionEvent,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

CONTROL = 100


class DocClient:
    """Someone's copy of the room's notes or board, kept in sync the way a browser does."""

    def __init__(self, port: int, slug: str, token: str, name: str, origin: str) -> None:
        self.url = f"ws://127.0.0.1:{port}/r/{slug}/yjs/{name}"
        self.token = token
        self.origin = origin
        self.doc: Doc[Any] = Doc()
        self.controls: list[dict[str, Any]] = []
        self.awareness: dict[int, Any] = {}
        self.connection: ClientConnection | None = None
        self.close_code: int | None = None
        self._local: list[bytes] = []
        self._applying = False
        self.synced = False
        self.doc.observe(self._changed)

    def _changed(self, event: TransactionEvent) -> None:
        if not self._applying:
            self._local.append(event.update)

    def open(self) -> DocClient:
        self._stack = contextlib.ExitStack()
        self.connection = self._stack.enter_context(
            connect(
                self.url,
                additional_headers={"Cookie": f"parley_join={self.token}"},
                origin=self.origin,  # type: ignore[arg-type]
                open_timeout=5,
            )
        )
        self.connection.send(create_sync_message(self.doc))
        return self

    def close(self) -> None:
        if self.connection is not None:
            self._stack.close()
            self.connection = None

    @property
    def state(self) -> dict[str, Any]:
        states = [c for c in self.controls if c["type"] == "state"]
        return states[-1] if states else {}

    def synced_once(self) -> bool:
        """Tell whether the server has answered this client's sync step 1."""
        return self.synced

    def text(self, name: str = "text") -> str:
        return str(self.doc.get(name, type=Text))

    def edit(self, change: Callable[[Doc[Any]], None]) -> None:
        """Change the document here and send the change, as an editor would."""
        change(self.doc)
        self.flush()

    def flush(self) -> None:
        assert self.connection is not None
        updates, self._local = self._local, []
        for update in updates:
            self.connection.send(create_update_message(update))

    def set_awareness(self, client: int, clock: int, state: dict[str, Any] | None) -> None:
        encoder = Encoder()
        encoder.write_var_uint(1)
        encoder.write_var_uint(client)
        encoder.write_var_uint(clock)
        encoder.write_var_string(json.dumps(state))
        assert self.connection is not None
        self.connection.send(create_awareness_message(encoder.to_bytes()))

    def send_control(self, message: dict[str, Any]) -> None:
        assert self.connection is not None
        self.connection.send(bytes([CONTROL]) + json.dumps(message).encode())

    def pump(self, until: Callable[[], bool], timeout: float = 5.0) -> None:
        """Handle what arrives until `until()` holds; fail after `timeout` seconds."""
        assert self.connection is not None
        deadline = time.monotonic() + timeout
        while not until():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"still waiting after {timeout} s; controls: {self.controls}")
            try:
                message = self.connection.recv(timeout=left)
                assert isinstance(message, bytes)
                self.handle(message)
            except TimeoutError:
                continue
            except ConnectionClosed as closed:
                self.close_code = closed.rcvd.code if closed.rcvd else None
                if until():
                    return
                raise

    def handle(self, message: bytes) -> None:
        kind = message[0]
        if kind == 0:
            self._applying = True
            try:
                reply = handle_sync_message(message[1:], self.doc)
            finally:
                self._applying = False
            if message[1] == 1:
                self.synced = True
            if reply is not None and self.connection is not None:
                self.connection.send(reply)
        elif kind == 1:
            decoder = Decoder(message[1:])
            update = decoder.read_message()
            assert update is not None
            inner = Decoder(update)
            for _ in range(inner.read_var_uint()):
                client, _clock = inner.read_var_uint(), inner.read_var_uint()
                self.awareness[client] = json.loads(inner.read_var_string())
        elif kind == CONTROL:
            self.controls.append(json.loads(message[1:]))

    def wait_closed(self, timeout: float = 5.0) -> int | None:
        with contextlib.suppress(ConnectionClosed):
            self.pump(lambda: False, timeout)
        return self.close_code
