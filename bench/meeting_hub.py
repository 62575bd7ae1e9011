"""Benchmark the meeting hub: N participants in one room, chat sent at a steady rate.

Run:  uv run python bench/meeting_hub.py            (or `make bench-hub`)
      uv run python bench/meeting_hub.py --participants 100,500 --mode embedded

For each N it starts real `parley serve` processes (embedded: SQLite and the in-memory bus;
redis: two processes on PostgreSQL and Redis, clients split between them), connects N
protocol-level clients on loopback, lets them sit idle to measure memory per connection,
then has a few of them send chat at `--rate` messages per second in all for `--seconds`.
Every client times every message from send to receipt (one clock: all clients live in this
process). Printed: delivery latency p50/p99, deliveries per second, lost deliveries, server
CPU and resident memory per idle connection. Load stays on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import services  # noqa: E402
from tests.browser.people import PASSWORD, make_member  # noqa: E402
from tests.browser.server import ParleyServer  # noqa: E402

SENDERS = 8  # enough senders that none hits the per-socket rate limit


def _proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _proc_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Client:
    def __init__(self, url: str, slug: str, token: str) -> None:
        self.url = url
        self.slug = slug
        self.token = token
        self.latencies: list[float] = []
        self.connection: ClientConnection | None = None
        self.received = 0

    async def open(self) -> None:
        self.connection = await connect(
            f"ws://{self.url.split('://', 1)[1]}/r/{self.slug}/live",
            additional_headers={"Cookie": f"parley_join={self.token}"},
            origin=self.url,  # type: ignore[arg-type]
            open_timeout=30,
            max_queue=None,
        )
        await self.connection.send(json.dumps({"type": "hello"}))
        while json.loads(await self.connection.recv())["type"] != "welcome":
            pass

    async def listen(self) -> None:
        assert self.connection is not None
        async for raw in self.connection:
            message = json.loads(raw)
            if message.get("kind") == "chat":
                sent = float(message["data"]["text"].split(" ", 1)[0])
                self.latencies.append(time.perf_counter() - sent)
                self.received += 1


async def _run(
    servers: list[ParleyServer], participants: int, rate: float, seconds: float, join_batch: int
) -> dict[str, Any]:
    first = servers[0]
    async with httpx.AsyncClient(base_url=first.url, timeout=30) as owner:
        login = await owner.post(
            "/api/v1/auth/login", json={"email": "bench@example.org", "password": PASSWORD}
        )
        owner.headers["x-csrf-token"] = login.json()["csrf_token"]
        room = (await owner.post("/api/v1/rooms", json={"name": f"Bench {participants}"})).json()
        await owner.post(f"/api/v1/rooms/{room['id']}/open")

    clients: list[Client] = []
    for index in range(participants):
        server = servers[index % len(servers)]
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as guest:
            response = await guest.post(
                f"/api/v1/rooms/{room['id']}/join",
                json={"name": f"Guest {index}", "slug": room["slug"]},
            )
            clients.append(Client(server.url, room["slug"], response.json()["token"]))

    pids = [s.process.pid for s in servers if s.process is not None]
    rss_before = sum(_proc_rss_kib(pid) for pid in pids)
    for start in range(0, participants, join_batch):
        await asyncio.gather(*(c.open() for c in clients[start : start + join_batch]))
    listeners = [asyncio.create_task(c.listen()) for c in clients]
    await asyncio.sleep(3)  # let joins settle
    rss_idle = sum(_proc_rss_kib(pid) for pid in pids)

    cpu_before = sum(_proc_cpu_seconds(pid) for pid in pids)
    senders = clients[:SENDERS]
    interval = len(senders) / rate
    sent = 0

    async def send_loop(client: Client, offset: float) -> None:
        nonlocal sent
        assert client.connection is not None
        await asyncio.sleep(offset)
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            await client.connection.send(
                json.dumps({"type": "chat.send", "text": f"{time.perf_counter():.6f} hello"})
            )
            sent += 1
            await asyncio.sleep(interval)

    started = time.perf_counter()
    await asyncio.gather(
        *(send_loop(c, i * interval / len(senders)) for i, c in enumerate(senders))
    )
    await asyncio.sleep(3)  # drain
    elapsed = time.perf_counter() - started
    cpu = sum(_proc_cpu_seconds(pid) for pid in pids) - cpu_before
    for task in listeners:
        task.cancel()
    for client in clients:
        if client.connection is not None:
            await client.connection.close()

    latencies = sorted(x for c in clients for x in c.latencies)
    delivered = len(latencies)
    expected = sent * participants

    def percentile(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
            if latencies
            else float("nan")
        )

    return {
        "participants": participants,
        "sent": sent,
        "delivered": delivered,
        "lost": expected - delivered,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "deliveries_per_s": delivered / (elapsed - 3 + 1e-9),
        "server_cpu_pct": 100 * cpu / elapsed,
        "kib_per_idle_connection": (rss_idle - rss_before) / participants,
    }


def _servers(mode: str, workdir: Path) -> tuple[list[ParleyServer], str | None]:
    if mode == "embedded":
        return [ParleyServer(workdir / "a")], None
    services.require_postgres()
    services.require_redis()
    database = services.create_postgres_database()
    env = services.scale_out_env(database)
    return [
        ParleyServer(workdir / "a", extra_env=env),
        ParleyServer(workdir / "b", extra_env=env),
    ], database


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", default="100,500,1000")
    parser.add_argument("--rate", type=float, default=20.0, help="chat messages per second, in all")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--mode", choices=["embedded", "redis", "both"], default="both")
    parser.add_argument(
        "--join-batch", type=int, default=50, help="clients that join at the same moment"
    )
    args = parser.parse_args()
    modes = ["embedded", "redis"] if args.mode == "both" else [args.mode]
    print(
        f"{'mode':9} {'N':>5} {'sent':>5} {'delivered':>9} {'lost':>5} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'deliv/s':>8} {'srv CPU%':>8} {'KiB/conn':>8}"
    )
    for mode in modes:
        for participants in [int(n) for n in args.participants.split(",")]:
            with tempfile.TemporaryDirectory() as tmp:
                workdir = Path(tmp)
                (workdir / "a").mkdir()
                (workdir / "b").mkdir()
                servers, database = _servers(mode, workdir)
                for server in servers:
                    server.env["PARLEY_LOG_LEVEL"] = "WARNING"
                    server.start()
                try:
                    make_member(servers[0], "bench@example.org", "Bench", admin=True)
                    result = asyncio.run(
                        _run(servers, participants, args.rate, args.seconds, args.join_batch)
                    )
                finally:
                    for server in servers:
                        server.stop()
                    if database:
                        services.drop_postgres_database(database)
            print(
                f"{mode:9} {result['participants']:>5} {result['sent']:>5} "
                f"{result['delivered']:>9} "
                f"{result['lost']:>5} {result['p50_ms']:>7.1f} {result['p99_ms']:>7.1f} "
                f"{result['deliveries_per_s']:>8.0f} {result['server_cpu_pct']:>8.0f} "
                f"{result['kib_per_idle_connection']:>8.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
