"""Benchmark documents: presentations to their first and last page, and 50 people on the notes.

Run:  uv run python bench/documents.py             (or `make bench-documents`)
      uv run python bench/documents.py --repeat 5 --clients 50 --rates 1,4 --seconds 10

Starts a real `parley serve` (the embedded default: SQLite, in-memory bus, jobs in process)
on loopback, then:
1. uploads a 50-page PDF and a 30-slide .pptx (made here), `--repeat` times each, and times
   from the start of the upload to the first page being served (the moment a participant's
   browser can show it) and to every page being ready, as a participant's board hears it;
2. connects `--clients` participants to the room's shared notes (each with its own Yjs
   document, speaking the same protocol as the browser) and has each insert a few characters
   `--rates` times a second (each rate in turn) for `--seconds`. Every client times every edit
   from send to receipt (one clock: all clients live in this process). Receivers only read
   what arrives (a browser applies it on a CPU of its own; `--apply` makes these clients apply
   it too, on this one process's CPU). Printed: edits and deliveries per second, delivery
   latency p50/p99, lost deliveries.
Load stays on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from pycrdt import Doc, Text, TransactionEvent, create_sync_message, create_update_message
from pycrdt import handle_sync_message as handle_sync
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.people import PASSWORD, make_member  # noqa: E402
from tests.browser.server import ParleyServer  # noqa: E402
from tests.documents import samples  # noqa: E402
from tests.documents.client import DocClient  # noqa: E402

MARK = re.compile(rb"\[(\d+):(\d+)\]")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _room(server: ParleyServer, owner: httpx.Client, name: str) -> dict[str, Any]:
    room: dict[str, Any] = owner.post("/api/v1/rooms", json={"name": name}).json()
    owner.post(f"/api/v1/rooms/{room['id']}/open")
    return room


def _join_live(
    server: ParleyServer, client: httpx.Client, room: dict[str, Any], **body: Any
) -> str:
    """Join through the API and enter the meeting on its socket (as the page does)."""
    from tests.meetings.client import Participant

    participant = Participant.join(server, client, room, **body).open()
    client.cookies.set("parley_join", participant.token)
    _keep.append(participant)
    return participant.token


_keep: list[Any] = []


# 1. Presentations


def bench_upload(
    server: ParleyServer,
    owner: httpx.Client,
    room: dict[str, Any],
    token: str,
    name: str,
    body: bytes,
) -> tuple[float, float]:
    board = DocClient(server.port, room["slug"], token, "board", server.url).open()
    board.pump(lambda: bool(board.state))
    started = time.perf_counter()
    response = owner.post(
        f"/r/{room['slug']}/documents",
        content=body,
        headers={"x-filename": name, "content-type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    presentation = response.json()["id"]
    board.pump(
        lambda: any(
            c["type"] == "progress" and c["presentation"] == presentation and c["done"] >= 1
            for c in board.controls
        ),
        timeout=60,
    )
    page = owner.get(f"/r/{room['slug']}/documents/{presentation}/pages/1")
    assert page.status_code == 200
    first = time.perf_counter() - started

    def ready() -> bool:
        items = board.state.get("presentations", [])
        return any(p["id"] == presentation and p["status"] == "ready" for p in items)

    board.pump(ready, timeout=120)
    every = time.perf_counter() - started
    board.close()
    return first, every


# 2. Notes under load


class NotesClient:
    def __init__(self, number: int, url: str, token: str, origin: str, apply: bool) -> None:
        self.number = number
        self.apply = apply
        self.url = url
        self.token = token
        self.origin = origin
        self.doc: Doc[Any] = Doc()
        self.text = self.doc.get("text", type=Text)
        self.connection: ClientConnection | None = None
        self.outgoing: list[bytes] = []
        self.applying = False
        self.synced = asyncio.Event()
        self.received = 0
        self.doc.observe(self._changed)

    def _changed(self, event: TransactionEvent) -> None:
        if not self.applying:
            self.outgoing.append(event.update)

    async def open(self) -> None:
        self.connection = await connect(
            self.url,
            additional_headers={"Cookie": f"parley_join={self.token}"},
            origin=self.origin,  # type: ignore[arg-type]
            open_timeout=20,
            max_size=None,
        )
        await self.connection.send(create_sync_message(self.doc))

    async def read(self, sent: dict[tuple[int, int], float], latencies: list[float]) -> None:
        assert self.connection is not None
        async for message in self.connection:
            assert isinstance(message, bytes)
            now = time.perf_counter()
            if message[0] != 0:
                continue
            if message[1] == 2:
                for match in MARK.finditer(message):
                    key = (int(match.group(1)), int(match.group(2)))
                    if key[0] != self.number and key in sent:
                        latencies.append(now - sent[key])
                        self.received += 1
                if not self.apply:
                    continue
            self.applying = True
            try:
                reply = handle_sync(message[1:], self.doc)
            finally:
                self.applying = False
            if message[1] == 1:
                self.synced.set()
            if reply is not None:
                await self.connection.send(reply)

    async def edit(self, counter: int, sent: dict[tuple[int, int], float]) -> None:
        assert self.connection is not None
        position = random.randint(0, len(self.text))
        self.text.insert(position, f"[{self.number}:{counter}]")
        updates, self.outgoing = self.outgoing, []
        sent[(self.number, counter)] = time.perf_counter()
        for update in updates:
            await self.connection.send(create_update_message(update))


async def _enter(server: ParleyServer, slug: str, token: str) -> ClientConnection:
    socket = await connect(
        f"ws://127.0.0.1:{server.port}/r/{slug}/live",
        additional_headers={"Cookie": f"parley_join={token}"},
        origin=server.url,  # type: ignore[arg-type]
        open_timeout=20,
        max_size=None,
    )
    await socket.send(json.dumps({"type": "hello", "last_event": None}))
    return socket


async def _drain(socket: ClientConnection) -> None:
    async for _ in socket:
        pass


async def bench_notes(
    server: ParleyServer, slug: str, tokens: list[str], rate: float, seconds: float, apply: bool
) -> dict[str, float]:
    url = f"ws://127.0.0.1:{server.port}/r/{slug}/yjs/notes"
    # Each typist is in the meeting: its meeting socket is open (and read, as a page does).
    meeting = await asyncio.gather(*(_enter(server, slug, token) for token in tokens))
    drains = [asyncio.create_task(_drain(socket)) for socket in meeting]
    clients = [NotesClient(n, url, token, server.url, apply) for n, token in enumerate(tokens)]
    await asyncio.gather(*(client.open() for client in clients))
    sent: dict[tuple[int, int], float] = {}
    latencies: list[float] = []
    readers = [asyncio.create_task(client.read(sent, latencies)) for client in clients]
    await asyncio.wait_for(asyncio.gather(*(c.synced.wait() for c in clients)), timeout=30)

    async def typist(client: NotesClient) -> None:
        await asyncio.sleep(random.random() / rate)
        counter = 0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            counter += 1
            await client.edit(counter, sent)
            await asyncio.sleep(1 / rate)

    started = time.perf_counter()
    await asyncio.gather(*(typist(client) for client in clients))
    typed = time.perf_counter() - started
    await asyncio.sleep(2.0)  # let the last deliveries arrive
    for task in readers:
        task.cancel()
    for client in clients:
        if client.connection is not None:
            await client.connection.close()
    for task in drains:
        task.cancel()
    for socket in meeting:
        await socket.close()
    expected = len(sent) * (len(clients) - 1)
    return {
        "clients": len(clients),
        "rate_per_client": rate,
        "edits_per_second": len(sent) / typed,
        "deliveries_per_second": len(latencies) / typed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * _percentile(latencies, 0.99),
        "max_ms": 1000 * max(latencies),
        "lost": expected - len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rates", default="1,4", help="edits per second per client, in turn")
    parser.add_argument("--apply", action="store_true", help="clients apply what they receive")
    parser.add_argument("--seconds", type=float, default=10.0)
    arguments = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as work:
        env = {"PARLEY_LOG_LEVEL": "WARNING"}
        with ParleyServer(Path(work), extra_env=env) as server:
            make_member(server, "ada@example.org", "Ada", admin=True)
            with httpx.Client(base_url=server.url, timeout=60) as owner:
                login = owner.post(
                    "/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD}
                )
                owner.headers["x-csrf-token"] = login.json()["csrf_token"]
                room = _room(server, owner, "Benchmark")
                token = _join_live(server, owner, room)
                documents = {
                    "pdf-50-pages": ("deck.pdf", samples.pdf(50)),
                    "pptx-30-slides": ("slides.pptx", samples.pptx(30)),
                }
                for label, (name, body) in documents.items():
                    firsts, alls = [], []
                    for _ in range(arguments.repeat):
                        first, every = bench_upload(server, owner, room, token, name, body)
                        firsts.append(first)
                        alls.append(every)
                    results[label] = {
                        "first_page_s": statistics.median(firsts),
                        "all_pages_s": statistics.median(alls),
                        "runs_first": [round(x, 3) for x in firsts],
                        "runs_all": [round(x, 3) for x in alls],
                    }
                    print(label, json.dumps(results[label]), flush=True)

                notes_room = _room(server, owner, "Notes benchmark")
                tokens = []
                for number in range(arguments.clients):
                    with httpx.Client(base_url=server.url, timeout=30) as guest:
                        joined = guest.post(
                            f"/api/v1/rooms/{notes_room['id']}/join",
                            json={"name": f"T{number}", "slug": notes_room["slug"]},
                        )
                        tokens.append(joined.json()["token"])
                for rate in [float(r) for r in arguments.rates.split(",")]:
                    label = f"notes-{rate:g}-per-second"
                    results[label] = asyncio.run(
                        bench_notes(
                            server,
                            notes_room["slug"],
                            tokens,
                            rate,
                            arguments.seconds,
                            arguments.apply,
                        )
                    )
                    print(label, json.dumps(results[label]), flush=True)
                for participant in _keep:
                    participant.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
