"""How `parley serve` reads HTTP: uvicorn's httptools protocol, with bounds on request heads.

uvicorn keeps the head of a request (request line and header fields) until it is complete,
however large it grows and however long it takes: a client sending an endless header line
makes the process hold every byte, and a client sending a few bytes now and then keeps its
connection forever (slowloris). Here every head must be complete within `head_timeout_seconds`
of its first byte (of the connection, for the first one) and within `max_head_bytes`; past
either the client gets 408 or 431 and the connection ends. What follows a complete head (a
body, a WebSocket) is untouched. Proxies have the same rules (README, "Behind a proxy").
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

# After a refusal, bytes the client already sent are read and dropped for this long, so that
# closing does not reset the connection before the client has read the refusal.
LINGER_SECONDS = 2.0


class BoundedHeadProtocol(HttpToolsProtocol):
    """HTTP/1.1 that refuses request heads larger or slower than its limits."""

    max_head_bytes = 64 * 1024
    head_timeout_seconds = 10.0

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        # The timer runs while a head is being read; `_head_bytes` counts what arrived since
        # it started (by received chunk: at most one chunk is read beyond the limit).
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._message_open = False
        self._refused = False
        self._linger: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head()
        if self._linger is not None:
            self._linger.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._head_timer is None and not self._message_open:
            # Bytes between two requests begin the next head.
            self._start_head()
        if self._head_timer is not None:
            self._head_bytes += len(data)
        super().data_received(data)
        too_large = self._head_timer is not None and self._head_bytes > self.max_head_bytes
        if too_large and not self.transport.is_closing():
            self._refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)

    def on_message_begin(self) -> None:
        self._message_open = True
        if self._head_timer is None:
            self._start_head()
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._stop_head()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._message_open = False
        super().on_message_complete()

    def _start_head(self) -> None:
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(self.head_timeout_seconds, self._head_too_slow)

    def _stop_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._head_bytes = 0

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self._refuse(HTTPStatus.REQUEST_TIMEOUT)

    def _refuse(self, status: HTTPStatus) -> None:
        """Answer `status` and end the connection; while an earlier response is being written
        (a pipelined head), end it without a word, as nothing can be said in between."""
        self._stop_head()
        self._refused = True
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()
            return
        self.transport.write(self._refusal(status))
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()

    def _refusal(self, status: HTTPStatus) -> bytes:
        body = f"{status.phrase}.".encode()
        lines = [f"HTTP/1.1 {status.value} {status.phrase}".encode()]
        lines += [name + b": " + value for name, value in self.server_state.default_headers]
        lines += [
            b"content-type: text/plain; charset=utf-8",
            b"content-length: " + str(len(body)).encode(),
            b"connection: close",
        ]
        return b"\r\n".join(lines) + b"\r\n\r\n" + body


def bounded_head_protocol(
    *, max_head_bytes: int, head_timeout_seconds: float
) -> type[BoundedHeadProtocol]:
    """The protocol class uvicorn serves with (its `http=`), with these limits."""

    class Configured(BoundedHeadProtocol):
        pass

    Configured.max_head_bytes = max_head_bytes
    Configured.head_timeout_seconds = head_timeout_seconds
    return Configured
