"""The meeting page under a crowd: how long one real page spends on each message it receives.

    make bench-meeting-page
    uv run python bench/meeting_page.py --people 500 --rate 20 --seconds 15 --database postgresql

The room's owner logs in in a real Chromium page, opens the room's page and presses Join on
the pre-join screen (fake camera and microphone). Then `--people` protocol-level participants
(guests with the link, on websockets from this process) join in batches, `--hands` of them
raise and then lower their hands, and a few of them chat at `--rate` messages per second in
all for `--seconds`. Each phase ends when the page has had nothing to handle for a while.
The guests all come from 127.0.0.1, so the server is started with room for that many
anonymous sockets from one address.

Measured inside the page, without touching its code: an init script wraps the message
listeners of the meeting socket (`/r/<slug>/live`), so every message's handlers are timed
(performance.now() before and after), and notes when the frame after the message ends (a
task posted from the next requestAnimationFrame, so it runs once that frame is drawn), from
the message's arrival (its event's timeStamp: time spent waiting for the main thread
counts). A PerformanceObserver collects the long tasks (over 50 ms). Printed for each phase
and in all, with the messages by kind, each meeting socket the page opened and why it closed
(a page too slow to read is dropped by the server, and reconnects), and the machine's load
average at start and end (a busy machine makes every figure worse).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, async_playwright
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import services  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.people import PASSWORD, make_member  # noqa: E402
from tests.browser.server import ParleyServer  # noqa: E402

OWNER = "owner@example.org"
# A socket may send 5 messages a second after a burst of 20 (parley.meetings.connection):
# the chat is spread over enough senders that each stays well under it.
PER_SENDER_RATE = 2.5
HAND_RATE = 20.0  # hands raised (then lowered) per second
# A phase is over when the page has handled no message for this long.
QUIET_SECONDS = 1.5
PHASE_TIMEOUT_SECONDS = 600
GOAL_LONG_TASK_MS = 50.0
GOAL_P99_MS = 8.0

# Runs in the page before its own code. It must work whatever the page does with its socket:
# listeners added with addEventListener (functions or objects with handleEvent) or through
# `onmessage`, on the socket of the room's meeting (`/r/<slug>/live`).
INSTRUMENT = r"""(() => {
  const bench = (window.__bench = {
    events: [], longTasks: [], frames: [], marks: [], sockets: [], sent: {}, longTaskError: null,
  });
  // Long animation frames name the scripts that ran in them: where a long task comes from.
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.duration <= 50) continue;
        const scripts = (entry.scripts || []).map((script) => {
          const file = String(script.sourceURL || "").split("/").pop();
          const what = [script.invoker || "?", script.sourceFunctionName, file];
          return { duration: script.duration, what: what.filter(Boolean).join(" ") };
        });
        scripts.sort((a, b) => b.duration - a.duration);
        const top = scripts.slice(0, 3);
        bench.frames.push({ start: entry.startTime, duration: entry.duration, scripts: top });
      }
    }).observe({ type: "long-animation-frame", buffered: true });
  } catch {
    // Without long animation frames, the long tasks are counted but not explained.
  }
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries())
        bench.longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: "longtask", buffered: true });
  } catch (error) {
    bench.longTaskError = String(error);
  }

  const urlOf = Object.getOwnPropertyDescriptor(WebSocket.prototype, "url").get;
  // The meeting's socket, /r/<slug>/live (not the presence socket, /live).
  const isMeeting = (socket) => /\/r\/[^/?#]+\/live(?:[?#]|$)/.test(String(urlOf.call(socket)));
  const seen = new WeakSet();
  const entries = new WeakMap(); // event -> its entry (one per message, however many handlers)
  let waiting = [];
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    const now = performance.now();
    for (const entry of waiting) entry.frame = now - entry.arrival;
    waiting = [];
  };
  const afterFrame = () => channel.port2.postMessage(null);

  // Each meeting socket the page opens, and how it ended (a slow page may be dropped).
  function watch(socket) {
    if (seen.has(socket)) return;
    seen.add(socket);
    const life = { opened: performance.now(), closed: null, code: null, reason: null };
    bench.sockets.push(life);
    add.call(socket, "close", (event) => {
      Object.assign(life, { closed: performance.now(), code: event.code, reason: event.reason });
    });
  }

  function record(socket, event, started, ended) {
    let entry = entries.get(event);
    if (!entry) {
      // The start of the message tells its type and kind, for the summary.
      const head = typeof event.data === "string" ? event.data.slice(0, 100) : "(binary)";
      entry = { arrival: event.timeStamp, started, handler: 0, frame: null, head };
      entries.set(event, entry);
      bench.events.push(entry);
      if (waiting.length === 0) requestAnimationFrame(afterFrame);
      waiting.push(entry);
    }
    entry.handler += ended - started;
  }

  function timed(socket, listener) {
    return function (event) {
      const started = performance.now();
      try {
        return typeof listener === "function"
          ? listener.call(this, event)
          : listener.handleEvent(event);
      } finally {
        record(socket, event, started, performance.now());
      }
    };
  }

  const wrappers = new WeakMap(); // listener -> its timed wrapper
  const add = WebSocket.prototype.addEventListener;
  const remove = WebSocket.prototype.removeEventListener;
  WebSocket.prototype.addEventListener = function (type, listener, options) {
    if (type !== "message" || !listener || !isMeeting(this))
      return add.call(this, type, listener, options);
    watch(this);
    let wrapper = wrappers.get(listener);
    if (!wrapper) {
      wrapper = timed(this, listener);
      wrappers.set(listener, wrapper);
    }
    return add.call(this, type, wrapper, options);
  };
  WebSocket.prototype.removeEventListener = function (type, listener, options) {
    const wrapper = type === "message" && listener ? wrappers.get(listener) : undefined;
    return remove.call(this, type, wrapper || listener, options);
  };

  // What the page sends on it, counted by type (a flooding page is closed by the server).
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (isMeeting(this)) {
      const type = /"type":\s*"([^"]+)"/.exec(typeof data === "string" ? data.slice(0, 200) : "");
      const name = type ? type[1] : "?";
      bench.sent[name] = (bench.sent[name] || 0) + 1;
    }
    return send.call(this, data);
  };

  const onmessage = Object.getOwnPropertyDescriptor(WebSocket.prototype, "onmessage");
  const handlers = new WeakMap(); // socket -> the handler the page set
  Object.defineProperty(WebSocket.prototype, "onmessage", {
    configurable: true,
    enumerable: onmessage.enumerable,
    get() {
      return handlers.has(this) ? handlers.get(this) : onmessage.get.call(this);
    },
    set(handler) {
      if (typeof handler !== "function" || !isMeeting(this)) {
        handlers.delete(this);
        onmessage.set.call(this, handler);
        return;
      }
      watch(this);
      handlers.set(this, handler);
      onmessage.set.call(this, timed(this, handler));
    },
  });
})();"""


class Guest:
    """One protocol-level participant: a join token, a socket, and a reader that drains it."""

    def __init__(self, server: ParleyServer, slug: str, token: str) -> None:
        self.server = server
        self.slug = slug
        self.token = token
        self.connection: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.received = 0
        self.errors: list[str] = []

    async def open(self) -> None:
        """Open the socket, say hello, wait for the snapshot, then keep reading."""
        self.connection = await connect(
            f"ws://127.0.0.1:{self.server.port}/r/{self.slug}/live",
            additional_headers={"Cookie": f"parley_join={self.token}"},
            origin=self.server.url,  # type: ignore[arg-type]
            open_timeout=60,
            max_queue=None,
        )
        await self.connection.send(json.dumps({"type": "hello"}))
        async with asyncio.timeout(60):
            while json.loads(await self.connection.recv())["type"] != "welcome":
                pass
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.connection is not None
        try:
            async for raw in self.connection:
                self.received += 1
                # Only errors are parsed: the page is measured, not these clients.
                if isinstance(raw, str) and raw.startswith('{"type":"error"'):
                    self.errors.append(json.loads(raw).get("code", "?"))
        except Exception as problem:  # a dropped socket shows in the summary, not as a crash
            self.errors.append(f"closed: {type(problem).__name__}")

    async def send(self, message: dict[str, Any]) -> None:
        assert self.connection is not None
        await self.connection.send(json.dumps(message))

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        if self.connection is not None:
            await self.connection.close()


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile of `values` (NaN when there are none)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


@contextmanager
def parley(database: str, workdir: Path, people: int) -> Iterator[ParleyServer]:
    """A `parley serve` on the embedded SQLite, or on a PostgreSQL database of its own."""
    env = {
        "PARLEY_LOG_LEVEL": "WARNING",
        # The guests all come from 127.0.0.1, where a real crowd comes from many addresses.
        "PARLEY_ANONYMOUS_SOCKETS_PER_ADDRESS": str(people + 10),
    }
    url = None
    if database == "postgresql":
        try:
            services.require_postgres()
        except BaseException as skipped:  # pytest's Skipped: no PostgreSQL here
            raise SystemExit(f"PostgreSQL is not available: {skipped}") from None
        url = env["PARLEY_DATABASE_URL"] = services.create_postgres_database()
    try:
        with ParleyServer(workdir, extra_env=env) as server:
            yield server
    finally:
        if url is not None:
            services.drop_postgres_database(url)


async def open_room(server: ParleyServer) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as owner:
        login = await owner.post("/api/v1/auth/login", json={"email": OWNER, "password": PASSWORD})
        login.raise_for_status()
        owner.headers["x-csrf-token"] = login.json()["csrf_token"]
        created = await owner.post("/api/v1/rooms", json={"name": "Crowded meeting"})
        created.raise_for_status()
        room: dict[str, Any] = created.json()
        (await owner.post(f"/api/v1/rooms/{room['id']}/open")).raise_for_status()
    return room


async def join_tokens(
    server: ParleyServer, room: dict[str, Any], people: int, batch: int
) -> list[Guest]:
    """Each guest asks to join with the room's link (its slug), a batch at a time."""

    async def one(index: int) -> Guest:
        # A client each: a guest's join cookie must not follow the next guest.
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            response = await client.post(
                f"/api/v1/rooms/{room['id']}/join",
                json={"name": f"Guest {index:03}", "slug": room["slug"]},
            )
            if response.status_code != 200:
                raise RuntimeError(f"guest {index} could not join: {response.text}")
            return Guest(server, room["slug"], response.json()["token"])

    guests: list[Guest] = []
    for start in range(0, people, batch):
        guests += await asyncio.gather(*(one(i) for i in range(start, min(people, start + batch))))
    return guests


async def page_joins(page: Page, server: ParleyServer, room: dict[str, Any]) -> None:
    """Log in as the owner, open the room's page, press Join, wait for the meeting's snapshot."""
    await page.goto("/login")
    await page.get_by_label("Email address").fill(OWNER)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(lambda url: "/login" not in url)
    await page.goto(room["url"])
    await mark(page, "page join")
    # The old page's button has an id; a rewritten one may not: its name starts with "Join".
    join = page.locator("#join-button").or_(
        page.get_by_role("button", name=re.compile(r"^Join", re.IGNORECASE))
    )
    await join.first.click()
    await page.wait_for_function("() => window.__bench.events.length > 0", timeout=30_000)


async def mark(page: Page, phase: str) -> None:
    await page.evaluate(
        "(phase) => window.__bench.marks.push({ phase, at: performance.now() })", phase
    )


async def until_quiet(page: Page) -> float:
    """Wait until the page has handled no message for QUIET_SECONDS; return the wait."""
    started = time.monotonic()
    count, changed = -1, started
    while time.monotonic() - changed < QUIET_SECONDS:
        if time.monotonic() - started > PHASE_TIMEOUT_SECONDS:
            raise RuntimeError(f"the page was still busy after {PHASE_TIMEOUT_SECONDS} s")
        now = await page.evaluate("() => window.__bench.events.length")
        if now != count:
            count, changed = now, time.monotonic()
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def paced(guests: list[Guest], message: dict[str, Any], rate: float) -> None:
    """Each guest sends `message` once, `rate` of them a second."""
    started = time.monotonic()
    for index, guest in enumerate(guests):
        await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
        await guest.send(message)


async def chat(guests: list[Guest], rate: float, seconds: float) -> int:
    """Chat at `rate` messages a second in all for `seconds`; return how many were sent."""
    senders = guests[: max(1, math.ceil(rate / PER_SENDER_RATE))]
    total = int(rate * seconds)
    started = time.monotonic()
    for number in range(total):
        await asyncio.sleep(max(0.0, started + number / rate - time.monotonic()))
        await senders[number % len(senders)].send(
            {"type": "chat.send", "text": f"Message {number} of the benchmark, about nothing."}
        )
    return total


async def run(args: argparse.Namespace, server: ParleyServer) -> dict[str, Any]:
    # Stopped from outside (SIGTERM): unwind like an interrupt, closing sockets and browser.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    room = await open_room(server)
    print(f"{args.people} guests ask to join (batches of {args.batch})...", flush=True)
    started = time.monotonic()
    guests = await join_tokens(server, room, args.people, args.batch)
    print(f"  join tokens in {time.monotonic() - started:.1f} s", flush=True)
    timings: dict[str, float] = {}
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                base_url=server.url, viewport={"width": 1280, "height": 800}
            )
            context.set_default_timeout(30_000)
            await context.add_init_script(INSTRUMENT)
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page_joins(page, server, room)
            await until_quiet(page)

            await mark(page, "joins")
            started = time.monotonic()
            try:
                for start in range(0, len(guests), args.batch):
                    await asyncio.gather(*(g.open() for g in guests[start : start + args.batch]))
                sent = time.monotonic() - started
                print(f"  {len(guests)} sockets joined in {sent:.1f} s", flush=True)
                timings["joins"] = sent + await until_quiet(page)

                hands = guests[: args.hands]
                await mark(page, "hands")
                started = time.monotonic()
                await paced(hands, {"type": "hand.raise"}, HAND_RATE)
                await asyncio.sleep(1)
                await paced(hands, {"type": "hand.lower"}, HAND_RATE)
                timings["hands"] = time.monotonic() - started + await until_quiet(page)
                print(f"  {len(hands)} hands raised and lowered", flush=True)

                await mark(page, "chat")
                started = time.monotonic()
                messages = await chat(guests, args.rate, args.seconds)
                sent = time.monotonic() - started
                print(f"  {messages} chat messages sent in {sent:.1f} s", flush=True)
                timings["chat"] = sent + await until_quiet(page)
                await mark(page, "end")
                measured = await page.evaluate("() => window.__bench")
            finally:
                await asyncio.gather(*(g.close() for g in guests), return_exceptions=True)
        finally:
            await browser.close()
    problems = [e for g in guests for e in g.errors]
    return {
        **measured,
        "timings": timings,
        "page_errors": errors,
        "guest_problems": problems,
        "guest_received": sum(g.received for g in guests),
    }


def summarise(measured: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per phase (events and long tasks by their start time), then one for all."""
    marks = measured["marks"]
    rows = []
    for here, after in itertools.pairwise(marks):
        rows.append(
            {
                "phase": here["phase"],
                "events": [
                    e for e in measured["events"] if here["at"] <= e["arrival"] < after["at"]
                ],
                "tasks": [
                    t for t in measured["longTasks"] if here["at"] <= t["start"] < after["at"]
                ],
            }
        )
    rows.append({"phase": "all", "events": measured["events"], "tasks": measured["longTasks"]})
    return rows


def kinds(events: list[dict[str, Any]]) -> str:
    """How many messages of each type (and event kind) the page handled."""
    counted: dict[str, int] = {}
    for event in events:
        head = event["head"]
        kind = re.search(r'"type":\s*"([^"]+)"', head)
        name = kind.group(1) if kind else "?"
        if name == "event" and (found := re.search(r'"kind":\s*"([^"]+)"', head)):
            name = found.group(1)
        counted[name] = counted.get(name, 0) + 1
    return ", ".join(f"{name} {n}" for name, n in sorted(counted.items(), key=lambda x: -x[1]))


def phase_at(measured: dict[str, Any], at: float) -> str:
    """The phase under way at page time `at`."""
    name = "before"
    for here in measured["marks"]:
        if here["at"] <= at:
            name = here["phase"]
    return name


def report(
    args: argparse.Namespace, measured: dict[str, Any], loads: list[tuple[float, ...]]
) -> None:
    print()
    print(
        f"meeting page, {args.people} people, {args.hands} hands, chat {args.rate:g}/s for "
        f"{args.seconds:g} s, {args.database}"
    )
    header = (
        f"{'phase':10} {'events':>6} | {'handler ms: p50':>15} {'p90':>6} {'p99':>6} {'max':>6} "
        f"| {'frame ms: p50':>13} {'p99':>6} | {'long tasks':>10} {'total ms':>8} {'max ms':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in summarise(measured):
        handler = [e["handler"] for e in row["events"]]
        frame = [e["frame"] for e in row["events"] if e["frame"] is not None]
        tasks = [t["duration"] for t in row["tasks"]]
        print(
            f"{row['phase']:10} {len(handler):>6} | {percentile(handler, 50):>15.2f} "
            f"{percentile(handler, 90):>6.2f} {percentile(handler, 99):>6.2f} "
            f"{max(handler, default=math.nan):>6.1f} | {percentile(frame, 50):>13.1f} "
            f"{percentile(frame, 99):>6.1f} | {len(tasks):>10} {sum(tasks):>8.0f} "
            f"{max(tasks, default=0):>7.0f}"
        )
    every = [e["handler"] for e in measured["events"]]
    longest = max((t["duration"] for t in measured["longTasks"]), default=0.0)
    p99 = percentile(every, 99)
    print(
        f"goal: no long task over {GOAL_LONG_TASK_MS:.0f} ms: "
        f"{'met' if longest <= GOAL_LONG_TASK_MS else 'missed'} (longest {longest:.0f} ms); "
        f"p99 event handling under {GOAL_P99_MS:.0f} ms: "
        f"{'met' if p99 < GOAL_P99_MS else 'missed'} ({p99:.2f} ms)"
    )
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in measured["timings"].items())
    print(f"phase durations (until the page is quiet): {phases}")
    print(f"messages the page handled, by kind: {kinds(measured['events'])}")
    refusals: dict[str, int] = {}
    for event in measured["events"]:
        if re.match(r'\{\s*"type":\s*"error"', event["head"]):
            refusals[event["head"]] = refusals.get(event["head"], 0) + 1
    for head, count in refusals.items():
        print(f"  the server refused the page {count} times: {head}")
    sent = sorted(measured["sent"].items(), key=lambda item: -item[1])
    print(f"messages the page sent, by type: {', '.join(f'{k} {n}' for k, n in sent)}")
    print(f"messages the guests received: {measured['guest_received']}")
    for number, life in enumerate(measured["sockets"], 1):
        ended = (
            f"closed at {life['closed'] / 1000:.1f} s ({phase_at(measured, life['closed'])}), "
            f"code {life['code']} {life['reason']!r}"
            if life["closed"] is not None
            else "open to the end"
        )
        print(
            f"the page's meeting socket {number}: opened at {life['opened'] / 1000:.1f} s "
            f"({phase_at(measured, life['opened'])}), {ended}"
        )
    for frame in measured.get("frames", []):
        scripts = "; ".join(f"{s['what']} {s['duration']:.0f} ms" for s in frame["scripts"])
        print(
            f"long frame at {frame['start'] / 1000:.1f} s ({phase_at(measured, frame['start'])}), "
            f"{frame['duration']:.0f} ms: {scripts or 'no script of the page (layout, style, GC)'}"
        )
    if measured["longTaskError"]:
        print(f"long tasks NOT observed: {measured['longTaskError']}")
    if measured["page_errors"]:
        print(f"page errors ({len(measured['page_errors'])}): {measured['page_errors'][:3]}")
    if measured["guest_problems"]:
        counted: dict[str, int] = {}
        for problem in measured["guest_problems"]:
            counted[problem] = counted.get(problem, 0) + 1
        print(f"guests' errors: {counted}")
    start, end = loads
    print(
        "machine load (1, 5, 15 min; "
        f"{os.cpu_count()} CPUs): start {start[0]:.2f} {start[1]:.2f} {start[2]:.2f}, "
        f"end {end[0]:.2f} {end[1]:.2f} {end[2]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=500, help="guests besides the page")
    parser.add_argument("--hands", type=int, default=50, help="guests who raise, then lower")
    parser.add_argument("--rate", type=float, default=20.0, help="chat messages a second")
    parser.add_argument("--seconds", type=float, default=15.0, help="how long the chat lasts")
    parser.add_argument("--batch", type=int, default=25, help="guests joining at once")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    if args.people < 1 or args.batch < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("--people and --batch are at least 1; --rate and --seconds positive")
    args.hands = min(args.hands, args.people)
    if not Path(CHROMIUM).exists():
        raise SystemExit("Chromium is missing: install Debian's 'chromium' (make browser).")
    loads = [os.getloadavg()]
    print(f"machine load at start: {' '.join(f'{x:.2f}' for x in loads[0])}", flush=True)
    with (
        tempfile.TemporaryDirectory() as workdir,
        parley(args.database, Path(workdir), args.people) as server,
    ):
        make_member(server, OWNER, "Olive Owner", admin=True)  # the first account: no set-up page
        try:
            measured = asyncio.run(run(args, server))
        except (KeyboardInterrupt, asyncio.CancelledError):
            raise SystemExit(
                "Interrupted: the guests, the browser and the server are stopped."
            ) from None
        except Exception:
            print(f"--- server log ---\n{server.log()[-4000:]}", file=sys.stderr)
            raise
    loads.append(os.getloadavg())
    report(args, measured, loads)


if __name__ == "__main__":
    main()
