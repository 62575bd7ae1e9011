"""What every long-lived WebSocket of Parley does the same way.

Parley has three: `/live` (a member's presence, calls and invitations), the meeting socket
`/r/<slug>/live` and a shared document's Yjs socket. All of them refuse other sites (the
Origin check), close with the same codes (the browser reads them from a module generated from
`CloseCode`, see `parley.codegen`), limit what a client sends with a token bucket, and write
through one task per socket that sends a bounded outbox in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterator
from enum import IntEnum
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from parley.runtime import runtime_of

# How long a socket being closed by the server may take to send what is queued for it.
DRAIN_SECONDS = 2.0


class CloseCode(IntEnum):
    """Why the server closed a socket: 1000-1015 are WebSocket's, 4000-4999 Parley's own.

    The browser reconnects after any code but REMOVED, ENDED and SUPERSEDED (see `FINAL`).
    """

    NORMAL = 1000
    # A connection from another site, or with nothing to watch.
    POLICY_VIOLATION = 1008
    TOO_LARGE = 1009
    # A moderator took this person out of the meeting.
    REMOVED = 4001
    # The client did not read its messages fast enough; it reconnects and catches up.
    TOO_SLOW = 4002
    # The client kept sending more than its share.
    FLOODING = 4003
    # The meeting is over.
    ENDED = 4004
    # The same person opened the meeting elsewhere (another tab): the newest socket wins.
    SUPERSEDED = 4005
    # The person is not (or no longer) in the meeting this document belongs to.
    NOT_IN_MEETING = 4006
    # Too many sockets from one address without a login.
    TOO_MANY = 4007


# After these, the browser does not reconnect: it tells the person why.
FINAL = frozenset({CloseCode.REMOVED, CloseCode.ENDED, CloseCode.SUPERSEDED})


def origin_ok(websocket: WebSocket) -> bool:
    """Refuse cross-site WebSocket hijacking: browsers always send Origin on WebSockets."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    host = websocket.headers.get("host", "")
    public = runtime_of(websocket).settings.effective_public_url.split("://", 1)[-1]
    return origin.split("://", 1)[-1] in {host, public}


class Bucket:
    """A token bucket: `burst` messages at once, then `rate` per second."""

    __slots__ = ("burst", "rate", "refilled", "tokens")

    def __init__(self, burst: float, rate: float) -> None:
        self.burst = burst
        self.rate = rate
        self.tokens = float(burst)
        self.refilled = time.monotonic()

    def take(self, cost: float = 1.0) -> bool:
        """Take `cost` tokens if there are that many (refilled for the time since the last)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.refilled) * self.rate)
        self.refilled = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True


# What a socket that pings sends when it has had nothing to say for a while.
PING = '{"type":"ping"}'


async def write_outbox(
    websocket: WebSocket,
    outbox: asyncio.Queue[Any],
    close_code: Callable[[], int | None] = lambda: None,
    *,
    ping_seconds: float | None = None,
) -> None:
    """Send the outbox in order (text or bytes); a None in it closes the socket.

    With `ping_seconds`, a `ping` goes out after that long without a message, so proxies
    that drop quiet connections keep this one and the page notices a dead link.
    """
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            try:
                message = await asyncio.wait_for(outbox.get(), timeout=ping_seconds)
            except TimeoutError:
                message = PING
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
