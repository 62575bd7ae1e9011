"""The meeting hub: one per room and process, fanning the room's events out to its sockets.

The hub holds one bus subscription for the room, whatever the number of its sockets, parses
each event once and serialises it once. Every socket has a bounded outbox: a client that
cannot keep up is disconnected (it reconnects and catches up from the database) rather than
let the process's memory grow.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import anyio
from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley import i18n
from parley.bus import Bus, SubscriptionOverflow
from parley.errors import N_, ParleyError
from parley.media.sfu import Sfu
from parley.meetings import polls, protocol, service, video
from parley.meetings.protocol import PROTOCOL_VERSION
from parley.people.presence import Presence
from parley.rooms import service as rooms
from parley.rooms.service import JoinClaims
from parley.sockets import let_writer_finish, write_outbox

log = logging.getLogger(__name__)

# Messages waiting to be written to one socket before the client counts as too slow.
OUTBOX_LIMIT = 500
# How often each process tells the database its participants are still connected.
TOUCH_SECONDS = 20
# A participant not touched for this long belongs to a process that died.
STALE_AFTER = timedelta(seconds=75)
SWEEP_SECONDS = 5
# Flood control per socket: a burst, then a steady rate; past the limit messages are refused,
# and a client that keeps flooding is disconnected.
BURST = 20
RATE_PER_SECOND = 5.0
FLOOD_STRIKES = 50
# WebRTC signalling comes in bursts (an offer, then a candidate per network path): it has a
# budget of its own, larger than the one for everything else.
SIGNAL_BURST = 300
SIGNAL_RATE_PER_SECOND = 60.0
# Reactions: a few at once, then one a second; more are refused.
REACTION_BURST = 4
REACTION_RATE_PER_SECOND = 1.0
# How long a check that a signal's recipient is in the meeting holds for the next signals.
PEER_CHECK_SECONDS = 10.0
HELLO_TIMEOUT_SECONDS = 10
# WebSocket close codes: 4000-4999 are the application's own.
CLOSE_REMOVED = 4001
CLOSE_TOO_SLOW = 4002
CLOSE_FLOODING = 4003
CLOSE_ENDED = 4004
CLOSE_SUPERSEDED = 4005


class Connection:
    """One socket of one participant."""

    def __init__(self, websocket: WebSocket, claims: JoinClaims, role: str) -> None:
        self.websocket = websocket
        self.claims = claims
        self.participant_id = claims.participant_id
        self.role = role
        # Tells this socket from the same person's others (another tab: the newest one wins).
        self.key = secrets.token_hex(8)
        self.outbox: asyncio.Queue[str | None] = asyncio.Queue(maxsize=OUTBOX_LIMIT)
        # Events that arrive before the client's snapshot is sent wait here.
        self.pending: list[tuple[int, str]] | None = []
        self.last_event = 0
        self.close_code: int | None = None
        self.hub: RoomHub | None = None
        self._buckets = {False: _Bucket(BURST, RATE_PER_SECOND)}
        self.strikes = 0
        # Participants this one may signal to, and until when that check holds.
        self.peers: dict[str, float] = {}
        self.reactions: _Bucket | None = None

    def offer(self, text: str, event_id: int | None = None) -> None:
        if self.close_code is not None:
            return
        if self.pending is not None:
            if event_id is not None:
                if len(self.pending) >= OUTBOX_LIMIT:
                    self.close(CLOSE_TOO_SLOW)
                else:
                    self.pending.append((event_id, text))
            return
        if event_id is not None:
            if event_id <= self.last_event:
                return
            self.last_event = event_id
        self.offer_now(text)

    def offer_now(self, text: str) -> None:
        """Queue a message that is no event (signalling, reactions), even before the snapshot."""
        if self.close_code is not None:
            return
        try:
            self.outbox.put_nowait(text)
        except asyncio.QueueFull:
            self.close(CLOSE_TOO_SLOW)

    def ready(self, last_event: int) -> None:
        """The snapshot (or replay) up to `last_event` is sent: pass on what came after."""
        self.last_event = last_event
        pending, self.pending = self.pending or [], None
        for event_id, text in pending:
            self.offer(text, event_id)

    def close(self, code: int) -> None:
        if self.close_code is None:
            self.close_code = code
            with contextlib.suppress(asyncio.QueueFull):
                self.outbox.put_nowait(None)

    def allow(self, signal: bool = False) -> bool:
        """Take a token for one incoming message, if there is one."""
        bucket = self._buckets.get(signal)
        if bucket is None:
            # Made on first use: most sockets (large meetings, no mesh) never signal.
            bucket = self._buckets[signal] = _Bucket(SIGNAL_BURST, SIGNAL_RATE_PER_SECOND)
        return bucket.take()


class _Bucket:
    """A token bucket: `burst` messages at once, then `rate` per second."""

    __slots__ = ("burst", "rate", "refilled", "tokens")

    def __init__(self, burst: int, rate: float) -> None:
        self.burst = burst
        self.rate = rate
        self.tokens = float(burst)
        self.refilled = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.refilled) * self.rate)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class RoomHub:
    def __init__(self, hubs: Hubs, room_id: int) -> None:
        self.hubs = hubs
        self.room_id = room_id
        self.connections: set[Connection] = set()
        self.subscribed = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        try:
            async with self.hubs.bus.subscribe(rooms.channel(self.room_id)) as subscription:
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
                connection.close(CLOSE_TOO_SLOW)
        finally:
            self.subscribed.set()

    async def _touch(self) -> None:
        while True:
            await anyio.sleep(TOUCH_SECONDS)
            ids = sorted({c.participant_id for c in self.connections})
            try:
                async with self.hubs.sessions() as db:
                    await service.touch(db=db, room_id=self.room_id, participant_ids=ids)
            except Exception:
                log.exception("could not refresh presence", extra={"room_id": self.room_id})

    async def dispatch(self, raw: bytes) -> None:
        message: dict[str, Any] = json.loads(raw)
        kind = message.get("type")
        if kind == "event":
            audience = message.pop("audience", None)
            text = json.dumps(message)
            event_id = int(message["id"])
            data = message.get("data") or {}
            for connection in list(self.connections):
                if audience is None or connection.participant_id in audience:
                    connection.offer(text, event_id)
                else:
                    connection.offer(
                        json.dumps({"type": "event", "id": event_id, "kind": "none", "data": {}}),
                        event_id,
                    )
            if message["kind"] == "updated":
                for connection in self.connections:
                    if connection.participant_id == data.get("id"):
                        connection.role = data.get("role", connection.role)
            if message["kind"] == "removed":
                for connection in list(self.connections):
                    if connection.participant_id == data.get("id"):
                        connection.close(CLOSE_REMOVED)
        elif kind == "signal":
            # Signalling between two participants: only the recipient's sockets get it.
            recipient = message.pop("to", None)
            text = json.dumps(message)
            for connection in self.connections:
                if connection.participant_id == recipient:
                    connection.offer_now(text)
        elif kind == "reaction":
            text = json.dumps(message)
            for connection in self.connections:
                connection.offer_now(text)
        elif kind == "superseded":
            for connection in list(self.connections):
                if connection.participant_id == message.get(
                    "participant"
                ) and connection.key != message.get("key"):
                    connection.offer(json.dumps({"type": "superseded"}))
                    connection.close(CLOSE_SUPERSEDED)
        elif kind == "waiting":
            moderators = [c for c in self.connections if c.role == "moderator"]
            if moderators:
                text = json.dumps(await self.hubs.waiting_list(self.room_id))
                for connection in moderators:
                    connection.offer(text)
        elif kind == "closed":
            text = json.dumps({"type": "closed"})
            for connection in list(self.connections):
                connection.offer(text)
                connection.close(CLOSE_ENDED)


class Hubs:
    """The hubs of this process, made when a room's first socket arrives, dropped with its last."""

    def __init__(
        self,
        *,
        bus: Bus,
        sessions: async_sessionmaker[AsyncSession],
        peertube_hosts: list[str] | None = None,
        presence: Presence | None = None,
        sfu: Sfu | None = None,
    ) -> None:
        self.bus = bus
        self.sessions = sessions
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
                async with self.sessions() as db:
                    await service.sweep(db=db, bus=self.bus, stale_after=STALE_AFTER)
            except Exception:
                log.exception("could not sweep departed participants")

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
        async with self.sessions() as db:
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


def _error(code: str, message: str) -> str:
    return json.dumps({"type": "error", "code": code, "message": i18n.gettext(message)})


Handler = Callable[[AsyncSession, Bus, JoinClaims, Any], Any]

HANDLERS: dict[type[Any], Handler] = {
    protocol.ChatSend: lambda db, bus, c, m: service.send_chat(
        db=db, bus=bus, claims=c, text=m.text, to=m.to
    ),
    protocol.HandRaise: lambda db, bus, c, m: service.set_hand(
        db=db, bus=bus, claims=c, raised=True
    ),
    protocol.HandLower: lambda db, bus, c, m: service.set_hand(
        db=db, bus=bus, claims=c, raised=False
    ),
    protocol.StateUpdate: lambda db, bus, c, m: service.update_state(
        db=db, bus=bus, claims=c, muted=m.muted, camera=m.camera, screen=m.screen
    ),
    protocol.ModMute: lambda db, bus, c, m: service.mute(db=db, bus=bus, claims=c, target=m.target),
    protocol.ModMuteAll: lambda db, bus, c, m: service.mute(db=db, bus=bus, claims=c, target=None),
    protocol.ModRemove: lambda db, bus, c, m: service.remove(
        db=db, bus=bus, claims=c, target=m.target, ban=m.ban
    ),
    protocol.ModPromote: lambda db, bus, c, m: service.set_role(
        db=db, bus=bus, claims=c, target=m.target, role="moderator"
    ),
    protocol.ModDemote: lambda db, bus, c, m: service.set_role(
        db=db, bus=bus, claims=c, target=m.target, role="participant"
    ),
    protocol.ModAdmit: lambda db, bus, c, m: service.decide(
        db=db, bus=bus, claims=c, entry=m.entry, admit=True
    ),
    protocol.ModRefuse: lambda db, bus, c, m: service.decide(
        db=db, bus=bus, claims=c, entry=m.entry, admit=False
    ),
    protocol.ModLock: lambda db, bus, c, m: service.lock(
        db=db,
        bus=bus,
        claims=c,
        locks=m.model_dump(exclude_none=True, exclude={"type"}),
    ),
    protocol.ModLowerHands: lambda db, bus, c, m: service.lower_hands(db=db, bus=bus, claims=c),
    protocol.ModEnd: lambda db, bus, c, m: service.end(db=db, bus=bus, claims=c),
    protocol.ChatClear: lambda db, bus, c, m: service.clear_chat(db=db, bus=bus, claims=c),
    protocol.VideoControl: lambda db, bus, c, m: video.control(
        db=db, bus=bus, claims=c, playing=m.playing, position=m.position, rate=m.rate
    ),
    protocol.VideoStop: lambda db, bus, c, m: video.stop(db=db, bus=bus, claims=c),
    protocol.PollStart: lambda db, bus, c, m: polls.start(db=db, bus=bus, claims=c, poll=m),
    protocol.PollAnswer: lambda db, bus, c, m: polls.answer(
        db=db, bus=bus, claims=c, poll_id=m.poll, choices=m.choices, text=m.text
    ),
    protocol.PollClose: lambda db, bus, c, m: polls.close(
        db=db, bus=bus, claims=c, poll_id=m.poll, publish=m.publish
    ),
}


async def serve(websocket: WebSocket, hubs: Hubs, claims: JoinClaims) -> None:
    """Hold one participant's socket for as long as they are in the meeting."""
    try:
        async with hubs.sessions() as db:
            row = await service.connect(db=db, bus=hubs.bus, claims=claims)
            role = row.role
            if hubs.sfu is not None:
                try:
                    await hubs.sfu.consider(db=db, bus=hubs.bus, room_id=claims.room_id)
                except Exception:
                    # The meeting goes on peer to peer; the next arrival tries again.
                    log.exception("could not move the meeting to the SFU")
    except ParleyError as refusal:
        await websocket.send_text(_error(refusal.code, refusal.message))
        await websocket.close(code=CLOSE_REMOVED if refusal.code == "banned" else CLOSE_ENDED)
        return
    connection = Connection(websocket, claims, role)
    await hubs.attach(connection)
    if hubs.presence is not None and claims.user_id is not None:
        await hubs.presence.meeting_joined(claims.user_id)
    # The same person's older sockets (another tab, on any process) give way to this one.
    superseded = {"type": "superseded", "participant": claims.participant_id, "key": connection.key}
    await hubs.bus.publish(rooms.channel(claims.room_id), json.dumps(superseded).encode())
    # One task more per socket, the writer; the handler itself reads. When the writer closes
    # the socket, the client's answer ends the reader. (One socket among thousands: a task
    # group's extra objects are not worth their memory here.)
    writer = asyncio.create_task(
        write_outbox(websocket, connection.outbox, lambda: connection.close_code)
    )
    try:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await _reader(websocket, hubs, connection)
        if connection.close_code is not None:
            await let_writer_finish(writer)
        writer.cancel()
    finally:
        hubs.detach(connection)
        with anyio.CancelScope(shield=True):
            if hubs.presence is not None and claims.user_id is not None:
                with contextlib.suppress(Exception):
                    await hubs.presence.meeting_left(claims.user_id)
            try:
                async with hubs.sessions() as db:
                    await service.disconnect(db=db, claims=claims)
            except Exception:
                log.exception("could not record a disconnection")
            with contextlib.suppress(Exception):
                await websocket.close(code=connection.close_code or 1000)


async def _resume(hubs: Hubs, connection: Connection, last_event: int | None) -> None:
    """Send what the client missed since `last_event`, or a fresh snapshot."""
    # Live events arriving while the database is read wait, then pass if newer.
    if connection.pending is None:
        connection.pending = []
    async with hubs.sessions() as db:
        events = None
        if last_event is not None:
            events = await service.missed(db=db, claims=connection.claims, after=last_event)
        if events is not None:
            for event in events:
                connection.outbox.put_nowait(json.dumps(event))
            connection.ready(events[-1]["id"] if events else last_event or 0)
            return
        snapshot = await service.snapshot(db=db, claims=connection.claims)
        moderator = snapshot["you"]["role"] == "moderator"
        snapshot.update(await polls.snapshot(db=db, claims=connection.claims, moderator=moderator))
    snapshot["version"] = PROTOCOL_VERSION
    connection.outbox.put_nowait(json.dumps(snapshot))
    connection.ready(snapshot["last_event"])
    if connection.role == "moderator":
        connection.offer(json.dumps(await hubs.waiting_list(connection.claims.room_id)))


async def _reader(websocket: WebSocket, hubs: Hubs, connection: Connection) -> None:
    greeted = False
    while connection.close_code is None:
        try:
            with anyio.fail_after(None if greeted else HELLO_TIMEOUT_SECONDS):
                message = await websocket.receive()
        except TimeoutError:
            connection.close(1008)
            return
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            connection.offer(_error("bad_message", N_("Messages must be JSON text.")))
            continue
        if len(text.encode()) > protocol.MAX_MESSAGE_BYTES:
            connection.offer(_error("too_large", N_("This message is too large.")))
            continue
        try:
            parsed: Any = protocol.client_message.validate_json(text)
        except ValidationError:
            parsed = None
        if not connection.allow(signal=isinstance(parsed, protocol.Signal)):
            connection.strikes += 1
            if connection.strikes >= FLOOD_STRIKES:
                connection.close(CLOSE_FLOODING)
                return
            connection.offer(_error("rate_limited", N_("Slow down: too many messages.")))
            continue
        if parsed is None:
            connection.offer(_error("bad_message", N_("This message is not understood.")))
            continue
        if isinstance(parsed, protocol.Hello):
            greeted = True
            await _resume(hubs, connection, parsed.last_event)
            continue
        if not greeted:
            connection.offer(_error("hello_first", N_("Say hello first.")))
            continue
        if isinstance(parsed, protocol.Ping):
            connection.offer(json.dumps({"type": "pong"}))
            continue
        try:
            if isinstance(parsed, protocol.Signal):
                await _relay(hubs, connection, parsed)
                continue
            if isinstance(parsed, protocol.Reaction):
                await _react(hubs, connection, parsed)
                continue
            if isinstance(parsed, protocol.VideoShare):
                async with hubs.sessions() as db:
                    await video.share(
                        db=db,
                        bus=hubs.bus,
                        claims=connection.claims,
                        url=parsed.url,
                        peertube_hosts=hubs.peertube_hosts,
                    )
                continue
            handler = HANDLERS[type(parsed)]
            async with hubs.sessions() as db:
                await handler(db, hubs.bus, connection.claims, parsed)
            if isinstance(parsed, protocol.ModRemove) and hubs.sfu is not None:
                hubs.cut_from_sfu(connection.claims.room_id, parsed.target)
        except ParleyError as refusal:
            connection.offer(_error(refusal.code, refusal.message))
        except Exception:
            log.exception(
                "meeting action failed",
                extra={"room_id": connection.claims.room_id, "type": type(parsed).__name__},
            )
            connection.offer(
                _error("server_error", N_("Something went wrong on our side. Please try again."))
            )


async def _relay(hubs: Hubs, connection: Connection, message: protocol.Signal) -> None:
    """Pass WebRTC signalling to another participant of the same meeting, from this one."""
    target = message.to
    if target == connection.participant_id:
        raise ParleyError(N_("This message is not understood."), code="bad_message")
    now = time.monotonic()
    if connection.peers.get(target, 0.0) < now:
        async with hubs.sessions() as db:
            await service.check_peer(db=db, claims=connection.claims, target=target)
        connection.peers[target] = now + PEER_CHECK_SECONDS
    # The sender is the socket's participant, never something the message says.
    relayed = message.model_dump(exclude_none=True)
    relayed["from"] = connection.participant_id
    await hubs.bus.publish(rooms.channel(connection.claims.room_id), json.dumps(relayed).encode())


async def _react(hubs: Hubs, connection: Connection, message: protocol.Reaction) -> None:
    """Show a reaction to everyone in the meeting, a few at a time."""
    if connection.reactions is None:
        connection.reactions = _Bucket(REACTION_BURST, REACTION_RATE_PER_SECOND)
    if not connection.reactions.take():
        raise ParleyError(N_("Slow down: too many reactions."), code="rate_limited")
    async with hubs.sessions() as db:
        if await service.participant(db=db, claims=connection.claims) is None:
            raise ParleyError(N_("You are no longer in this meeting."), code="not_in_meeting")
    reaction = {"type": "reaction", "from": connection.participant_id, "emoji": message.emoji}
    await hubs.bus.publish(rooms.channel(connection.claims.room_id), json.dumps(reaction).encode())
