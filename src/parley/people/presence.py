"""Who is online, in a meeting or not to be disturbed, right across every process.

Each process counts its own people's connections (pages and meeting sockets) and publishes a
change on the bus at once; every `beat` seconds it also publishes its whole list, and a
process not heard from for three beats is taken for dead: its people go offline by
themselves. A new process says hello and the others answer with their lists.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from parley.bus import Bus

log = logging.getLogger(__name__)

CHANNEL = "presence"
OFFLINE = "offline"
ONLINE = "online"
IN_MEETING = "meeting"
BUSY = "busy"
# When a person is seen on several processes, the liveliest state wins.
RANK = {OFFLINE: 0, ONLINE: 1, BUSY: 2, IN_MEETING: 3}

Listener = Callable[[int, str], None]


@dataclass
class _Local:
    pages: int = 0
    meetings: int = 0
    busy: bool = False

    @property
    def state(self) -> str:
        if self.meetings:
            return IN_MEETING
        if self.pages:
            return BUSY if self.busy else ONLINE
        return OFFLINE


class Presence:
    def __init__(self, bus: Bus, *, beat_seconds: float = 10.0) -> None:
        self.bus = bus
        self.beat_seconds = beat_seconds
        self.process = secrets.token_hex(8)
        self.local: dict[int, _Local] = {}
        # Other processes: when last heard from, and their people's states.
        self.remote: dict[str, tuple[float, dict[int, str]]] = {}
        self.watchers: dict[int, set[Listener]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()

    # Reading

    def state(self, user_id: int) -> str:
        states = [self.local[user_id].state] if user_id in self.local else []
        states += [people.get(user_id, OFFLINE) for _, people in self.remote.values()]
        return max(states, key=RANK.__getitem__, default=OFFLINE)

    def states(self, user_ids: Iterable[int]) -> dict[int, str]:
        return {user_id: self.state(user_id) for user_id in user_ids}

    def watch(self, user_ids: Iterable[int], listener: Listener) -> None:
        for user_id in user_ids:
            self.watchers.setdefault(user_id, set()).add(listener)

    def unwatch(self, listener: Listener) -> None:
        for user_id in [u for u, listeners in self.watchers.items() if listener in listeners]:
            self.watchers[user_id].discard(listener)
            if not self.watchers[user_id]:
                del self.watchers[user_id]

    # This process's people

    async def page_opened(self, user_id: int, *, busy: bool) -> None:
        def change(entry: _Local) -> None:
            entry.pages += 1
            entry.busy = busy

        await self._change_local(user_id, change)

    async def page_closed(self, user_id: int) -> None:
        await self._change_local(user_id, lambda entry: setattr(entry, "pages", entry.pages - 1))

    async def meeting_joined(self, user_id: int) -> None:
        await self._change_local(
            user_id, lambda entry: setattr(entry, "meetings", entry.meetings + 1)
        )

    async def meeting_left(self, user_id: int) -> None:
        await self._change_local(
            user_id, lambda entry: setattr(entry, "meetings", entry.meetings - 1)
        )

    async def set_busy(self, user_id: int, busy: bool) -> None:
        if user_id in self.local:
            await self._change_local(user_id, lambda entry: setattr(entry, "busy", busy))

    async def _change_local(self, user_id: int, change: Callable[[_Local], None]) -> None:
        before = self.state(user_id)
        entry = self.local.setdefault(user_id, _Local())
        old = entry.state
        change(entry)
        new = entry.state
        if entry.pages <= 0 and entry.meetings <= 0:
            del self.local[user_id]
        if new != old:
            await self._publish({"kind": "change", "users": {str(user_id): new}})
        self._notify(user_id, before)

    # The bus

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="parley-presence"),
            asyncio.create_task(self._beat(), name="parley-presence-beat"),
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout=5)
        await self._publish({"kind": "hello", "users": self._local_states()})

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self._publish({"kind": "bye", "users": {}})
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _local_states(self) -> dict[str, str]:
        return {str(user_id): entry.state for user_id, entry in self.local.items()}

    async def _publish(self, message: dict[str, object]) -> None:
        message["process"] = self.process
        try:
            await self.bus.publish(CHANNEL, json.dumps(message).encode())
        except Exception:
            # The next beat repeats everything.
            log.warning("could not publish presence", exc_info=True)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.beat_seconds)
            await self._publish({"kind": "beat", "users": self._local_states()})
            self._expire()

    def _expire(self) -> None:
        limit = time.monotonic() - 3 * self.beat_seconds
        for process, (seen, people) in list(self.remote.items()):
            if seen < limit:
                before = {user_id: self.state(user_id) for user_id in people}
                del self.remote[process]
                for user_id, old in before.items():
                    self._notify(user_id, old)

    async def _listen(self) -> None:
        while True:
            try:
                async with self.bus.subscribe(CHANNEL) as subscription:
                    self._subscribed.set()
                    async for raw in subscription:
                        await self._receive(raw)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("presence subscription lost; subscribing again", exc_info=True)
                await asyncio.sleep(1)

    async def _receive(self, raw: bytes) -> None:
        try:
            message = json.loads(raw)
            process = str(message["process"])
            kind = message["kind"]
            users = {int(k): str(v) for k, v in dict(message.get("users", {})).items()}
        except (ValueError, KeyError, TypeError):
            return
        if process == self.process:
            return
        _, known = self.remote.get(process, (0.0, {}))
        before = {user_id: self.state(user_id) for user_id in set(known) | set(users)}
        if kind == "bye":
            self.remote.pop(process, None)
        elif kind == "change":
            people = dict(known)
            for user_id, state in users.items():
                if state == OFFLINE:
                    people.pop(user_id, None)
                else:
                    people[user_id] = state
            self.remote[process] = (time.monotonic(), people)
        else:
            self.remote[process] = (time.monotonic(), users)
            if kind == "hello":
                await self._publish({"kind": "beat", "users": self._local_states()})
        for user_id, old in before.items():
            self._notify(user_id, old)

    def _notify(self, user_id: int, before: str) -> None:
        now = self.state(user_id)
        if now == before:
            return
        for listener in list(self.watchers.get(user_id, ())):
            try:
                listener(user_id, now)
            except Exception:
                log.exception("a presence listener failed")
