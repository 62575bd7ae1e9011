"""`parley serve` against clients that send request heads too large or too slowly, on raw
sockets, and against ordinary clients, which must not notice the limits."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.browser.people import PASSWORD, make_member
from tests.browser.server import ParleyServer

HEADER_TIMEOUT = 2.0
MAX_HEADER_BYTES = 64 * 1024
# How late after the timeout a slow client may still be connected (a loaded machine).
MARGIN = 2.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParleyServer]:
    env = {
        "PARLEY_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "PARLEY_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
    }
    with ParleyServer(tmp_path_factory.mktemp("serving"), extra_env=env) as running:
        yield running


def _connect(server: ParleyServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _resident_kib(server: ParleyServer) -> int:
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _until_closed(sock: socket.socket, seconds: float) -> tuple[bytes, float]:
    """What the server sends until it closes the connection, and when it closed it."""
    started, received = time.monotonic(), b""
    sock.settimeout(seconds)
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return received, time.monotonic() - started


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def _push_endless_header(sock: socket.socket, most_bytes: int) -> int:
    """Send a header line that never ends, until the server answers; the bytes sent."""
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: ")
    sent, chunk = 0, b"a" * 65536
    while sent < most_bytes:
        if select.select([sock], [], [], 0)[0]:
            break
        try:
            sock.sendall(chunk)
        except OSError:
            break
        sent += len(chunk)
    return sent


def test_an_endless_header_line_is_refused_and_not_kept(server: ParleyServer) -> None:
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    before = _resident_kib(server)
    for _ in range(3):
        with _connect(server) as sock:
            _push_endless_header(sock, most_bytes=20 * 1024 * 1024)
            answer, _ = _until_closed(sock, seconds=10)
            assert _status(answer) == 431, answer[:200]
            assert b"connection: close" in answer.lower()
    grown_kib = _resident_kib(server) - before
    # Without the limit the process held each 20 MB line (60 MB here).
    assert grown_kib < 10 * 1024, f"the server grew by {grown_kib} KiB"
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_a_head_just_under_the_limit_is_answered(server: ParleyServer) -> None:
    padding = "p" * (MAX_HEADER_BYTES - 4096)
    answer = httpx.get(f"{server.url}/healthz", headers={"X-Padding": padding})
    assert answer.status_code == 200


def test_slow_or_silent_clients_are_disconnected_while_others_are_answered(
    server: ParleyServer,
) -> None:
    silent = _connect(server)
    partial = _connect(server)
    partial.sendall(b"GET /healthz HT")
    trickling = _connect(server)
    trickling.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    started = time.monotonic()
    try:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            while time.monotonic() - started < HEADER_TIMEOUT + 1:
                asked = time.monotonic()
                assert client.get("/healthz").status_code == 200
                assert time.monotonic() - asked < 1
                trickling.sendall(b"X")
                time.sleep(0.3)
        for sock in (silent, partial, trickling):
            answer, _ = _until_closed(sock, seconds=HEADER_TIMEOUT + MARGIN)
            elapsed = time.monotonic() - started
            assert _status(answer) == 408, answer[:200]
            assert HEADER_TIMEOUT - 0.2 < elapsed < HEADER_TIMEOUT + 1 + MARGIN
    finally:
        for sock in (silent, partial, trickling):
            sock.close()


def test_ordinary_requests_keep_working(server: ParleyServer) -> None:
    headers = {f"X-Field-{n}": " ".join(["value"] * 10) for n in range(40)}
    headers["Cookie"] = "; ".join(f"c{n}={'v' * 80}" for n in range(40))
    with httpx.Client(base_url=server.url, timeout=5) as client:
        assert client.get("/healthz", headers=headers).status_code == 200
        # An idle kept-alive connection is not a slow head: the next request is answered.
        time.sleep(HEADER_TIMEOUT + 0.5)
        assert client.get("/healthz", headers=headers).status_code == 200


def test_a_slow_body_is_not_a_slow_head(server: ParleyServer) -> None:
    body = json.dumps({"email": "nobody@example.org", "password": "wrong password"}).encode()
    with _connect(server) as sock:
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        for start in range(0, len(body), len(body) // 4 + 1):
            time.sleep(HEADER_TIMEOUT / 3)
            sock.sendall(body[start : start + len(body) // 4 + 1])
        answer, _ = _until_closed(sock, seconds=10)
    assert _status(answer) == 401, answer[:300]


def test_a_large_body_is_not_a_large_head(server: ParleyServer) -> None:
    # Sent at once, the head arrives with the start of the body in one chunk.
    login = {"email": "nobody@example.org", "password": "wrong password"}
    body = json.dumps(login).encode() + b" " * (4 * MAX_HEADER_BYTES)
    with _connect(server) as sock:
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        answer, _ = _until_closed(sock, seconds=10)
    assert _status(answer) == 401, answer[:300]


def test_a_websocket_outlives_the_header_timeout(server: ParleyServer) -> None:
    make_member(server, "ada@example.org", "Ada")
    with httpx.Client(base_url=server.url, timeout=10) as client:
        login = {"email": "ada@example.org", "password": PASSWORD}
        assert client.post("/api/v1/auth/login", json=login).status_code == 200
        session = client.cookies["parley_session"]
    with connect(
        f"ws://127.0.0.1:{server.port}/live",
        additional_headers={"Cookie": f"parley_session={session}"},
        origin=server.url,  # type: ignore[arg-type]
        open_timeout=5,
    ) as live:
        assert json.loads(live.recv(timeout=5))["type"] == "hello"
        time.sleep(HEADER_TIMEOUT + 1)
        live.send(json.dumps({"type": "watch", "users": [1]}))
        assert json.loads(live.recv(timeout=5))["type"] == "presence"
