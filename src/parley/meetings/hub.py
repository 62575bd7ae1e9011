"""The meeting hub: one per room and process, fanning the room's events out to its sockets.

The hub holds one bus subscription for the room, whatever the number of its sockets, parses
each message once (`parley.meetings.events.ChannelMessage`) and serialises it once. Every
socket (`parley.meetings.connection`) has a bounded outbox: a client that cannot keep up is
disconnected (it reconnects and catches up from the database) rather than let the process's
memory grow.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.bus import Bus, SubscriptionOverflow
from parley.media.sfu import Sfu
from parley.meetings import events, service
from parley.people.presence import Presence
from parley.rooms import channel
from parley.rooms import service as rooms
from parley.sockets import CloseCode

if TYPE_CHECKING:
    from parley.meetings.connection import Connection

log = logging.getLogger(__name__)

# How often each process tells the database its participants are still connected.
TOUCH_SECONDS = 20
# A participant not touched for this long belongs to a process that died.
STALE_AFTER = timedelta(seconds=75)
SWEEP_SECONDS = 5


class RoomHub:
    def __init__(self, hubs: Hubs, room_id: int) -> None:
        self.hubs = hubs
        self.room_id = room_id
        self.connections: set[Connection] = set()
        self.subscribed = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        try:
            async with self.hubs.bus.subscribe(channel.name(self.room_id)) as subscription:
                self.subscribed.set()
                async with anyio.create_task_group() as group:
                    group.start_soon(self._touch)
                    async for raw in subscription:
                        await self.dispatch(raw)
                    group.cancel_scope.cancel()
        except SubscriptionOverflow:
            # This process fell behind the room: its clients catch up from the database.
            log.warning("room hub overflowed", extra={"room_id": self.room_id})
            for connection in list(self.connections):
                connection.close(CloseCode.TOO_SLOW)
        finally:
            self.subscribed.set()

    async def _touch(self) -> None:
        while True:
            await anyio.sleep(TOUCH_SECONDS)
            ids = sorted({c.participant_id for c in self.connections})
            try:
                async with self.hubs.database() as db:
                    await service.touch(db=db, room_id=self.room_id, participant_ids=ids)
            except Exception:
                log.exception("could not refresh presence", extra={"room_id": self.room_id})

    async def dispatch(self, raw: bytes) -> None:
        try:
            message = events.channel_message.validate_json(raw)
        except ValidationError:
            log.error("not a room channel message", extra={"room_id": self.room_id})
            return
        if isinstance(message, events.Published):
            self._event(message)
        elif isinstance(message, events.Signal):
            # Signalling between two participants: only the recipient's sockets get it.
            text = message.model_dump_json(by_alias=True, exclude={"to"})
            for connection in self.connections:
                if connection.participant_id == message.to:
                    connection.offer_now(text)
        elif isinstance(message, events.Reaction):
            text = message.model_dump_json(by_alias=True)
            for connection in self.connections:
                connection.offer_now(text)
        elif isinstance(message, events.Superseded):
            for connection in list(self.connections):
                if (
                    connection.participant_id == message.participant
                    and connection.key != message.key
                ):
                    connection.offer(json.dumps({"type": "superseded"}))
                    connection.close(CloseCode.SUPERSEDED)
        elif isinstance(message, channel.Waiting):
            moderators = [c for c in self.connections if c.role == "moderator"]
            if moderators:
                text = json.dumps(await self.hubs.waiting_list(self.room_id))
                for connection in moderators:
                    connection.offer(text)
        elif isinstance(message, channel.Closed):
            text = json.dumps({"type": "closed"})
            for connection in list(self.connections):
                connection.offer(text)
                connection.close(CloseCode.ENDED)

    def _event(self, event: events.Published) -> None:
        """Offer a numbered event to every socket (a gap filler to those not in its audience),
        and follow what it changes about a socket: a role, a removal."""
        text = event.model_dump_json(exclude={"audience"})
        gap = json.dumps(events.gap_message(event.id)) if event.audience is not None else ""
        for connection in list(self.connections):
            if event.audience is None or connection.participant_id in event.audience:
                connection.offer(text, event.id)
            else:
                connection.offer(gap, event.id)
        subject = event.data.get("id")
        if event.kind == events.Updated.KIND:
            for connection in list(self.connections):
                if connection.participant_id == subject:
                    connection.role = event.data.get("role", connection.role)
                    stage = bool(event.data.get("stage", connection.stage))
                    if stage != connection.stage:
                        connection.stage = stage
                        connection.resync()
        elif event.kind in {events.Left.KIND, events.Removed.KIND}:
            for connection in list(self.connections):
                # Whether one may signal to them is checked again (they may come back off
                # stage, where two people of the audience exchange nothing).
                connection.peers.pop(str(subject), None)
                if event.kind == events.Removed.KIND and connection.participant_id == subject:
                    connection.close(CloseCode.REMOVED)


class Hubs:
    """The hubs of this process, made when a room's first socket arrives, dropped with its last."""

    def __init__(
        self,
        *,
        bus: Bus,
        database: async_sessionmaker[AsyncSession],
        peertube_hosts: list[str] | None = None,
        presence: Presence | None = None,
        sfu: Sfu | None = None,
    ) -> None:
        self.bus = bus
        self.database = database
        self.peertube_hosts = peertube_hosts or []
        # Members in a meeting show as such to the people who look for them.
        self.presence = presence
        # Large meetings' media through Janus (None: peer to peer only).
        self.sfu = sfu if sfu is not None and sfu.enabled else None
        self.hubs: dict[int, RoomHub] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep(), name="parley-meeting-sweeper")

    async def stop(self) -> None:
        tasks = [h.task for h in self.hubs.values() if h.task] + [self._sweeper]
        for task in tasks:
            if task is not None:
                task.cancel()
        for task in tasks:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                async with self.database() as db:
                    await service.sweep(db=db, bus=self.bus, stale_after=STALE_AFTER)
            except Exception:
                log.exception("could not sweep departed participants")

    def in_background(self, work: Coroutine[Any, Any, object]) -> None:
        """Run `work` without holding up the caller (a failure is logged)."""

        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("meeting background work failed")

        task = asyncio.create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def cut_from_sfu(self, room_id: int, participant_id: str) -> None:
        """Cut a removed participant's media on Janus too, without holding up the moderator."""
        assert self.sfu is not None
        sfu = self.sfu

        async def cut() -> None:
            try:
                await sfu.cut(room_id=room_id, participant_id=participant_id)
            except Exception:
                log.exception("could not cut a removed participant from the SFU")

        task = asyncio.create_task(cut())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def waiting_list(self, room_id: int) -> dict[str, Any]:
        async with self.database() as db:
            room = await rooms.get(db=db, room_id=room_id)
            entries = await rooms.pending(db=db, room=room) if room else []
            return {
                "type": "waiting",
                "items": [
                    {"id": e.id, "name": e.display_name, "guest": e.user_id is None}
                    for e in entries
                ],
            }

    async def attach(self, connection: Connection) -> RoomHub:
        room_id = connection.claims.room_id
        hub = self.hubs.get(room_id)
        if hub is None or hub.task is None or hub.task.done():
            hub = RoomHub(self, room_id)
            self.hubs[room_id] = hub
            hub.task = asyncio.create_task(hub.run(), name=f"parley-room-hub-{room_id}")
        hub.connections.add(connection)
        connection.hub = hub
        # Subscribed before the snapshot is read, so no change between the two is missed.
        await hub.subscribed.wait()
        return hub

    def detach(self, connection: Connection) -> None:
        hub = connection.hub
        if hub is None:
            return
        hub.connections.discard(connection)
        if not hub.connections:
            # A hub that ended (its subscription overflowed) may have been replaced already.
            if self.hubs.get(hub.room_id) is hub:
                del self.hubs[hub.room_id]
            if hub.task is not None:
                hub.task.cancel()
