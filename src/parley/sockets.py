"""What every long-lived WebSocket of Parley does the same way: one writer task per socket
sending its bounded outbox in order, and a last moment for it when the server closes."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

# How long a socket being closed by the server may take to send what is queued for it.
DRAIN_SECONDS = 2.0


async def write_outbox(
    websocket: WebSocket, outbox: asyncio.Queue[Any], close_code: Callable[[], int | None]
) -> None:
    """Send the outbox in order (text or bytes); a None in it closes the socket."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await outbox.get()
            if message is None:
                await websocket.close(code=close_code() or 1000)
                return
            if isinstance(message, bytes):
                await websocket.send_bytes(message)
            else:
                await websocket.send_text(message)


async def let_writer_finish(writer: asyncio.Task[None]) -> None:
    """The server is closing the socket: let its writer send what is queued (the reason)."""
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(asyncio.shield(writer), timeout=DRAIN_SECONDS)


class AddressSlots:
    """Sockets held per client address in this process, up to `limit` each.

    For sockets nobody logged in holds (guests, people waiting for a room to open): one
    machine opening thousands would otherwise hold the server's memory and tasks.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held: Counter[str] = Counter()

    @contextlib.contextmanager
    def hold(self, address: str) -> Iterator[bool]:
        """A slot for the socket's lifetime: True if granted, False when the address is full."""
        if self.held[address] >= self.limit:
            yield False
            return
        self.held[address] += 1
        try:
            yield True
        finally:
            self.held[address] -= 1
            if not self.held[address]:
                del self.held[address]
