"""One participant's meeting socket: its outbox, its flood control, its life.

`serve` holds the socket from the moment the meeting layer counts the participant in until
they go: the hub (`parley.meetings.hub`) offers it the room's events, a writer task sends its
bounded outbox in order, and the reader here checks each message the browser sends (size,
shape, rate) before the router (`parley.meetings.router`) acts on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from parley.errors import N_, ParleyError
from parley.meetings import events, polls, protocol, router, service
from parley.meetings.protocol import PROTOCOL_VERSION
from parley.meetings.router import error_message
from parley.rooms import channel
from parley.rooms.models import Room
from parley.rooms.service import JoinClaims
from parley.sockets import Bucket, CloseCode, let_writer_finish, write_outbox

if TYPE_CHECKING:
    from parley.meetings.hub import Hubs, RoomHub

log = logging.getLogger(__name__)

# Messages waiting to be written to one socket before the client counts as too slow.
OUTBOX_LIMIT = 500
# Flood control per socket: a burst, then a steady rate; past the limit messages are refused,
# and a client that keeps flooding is disconnected.
BURST = 20
RATE_PER_SECOND = 5.0
FLOOD_STRIKES = 50
# WebRTC signalling comes in bursts (an offer, then a candidate per network path): it has a
# budget of its own, larger than the one for everything else.
SIGNAL_BURST = 300
SIGNAL_RATE_PER_SECOND = 60.0
HELLO_TIMEOUT_SECONDS = 10


class Connection:
    """One socket of one participant."""

    def __init__(
        self, websocket: WebSocket, claims: JoinClaims, role: str, stage: bool = True
    ) -> None:
        self.websocket = websocket
        self.claims = claims
        self.participant_id = claims.participant_id
        self.role = role
        # Seen and heard (always, outside a webinar): whom this socket's person sees follows.
        self.stage = stage
        # Tells this socket from the same person's others (another tab: the newest one wins).
        self.key = secrets.token_hex(8)
        self.outbox: asyncio.Queue[str | None] = asyncio.Queue(maxsize=OUTBOX_LIMIT)
        # Events that arrive before the client's snapshot is sent wait here.
        self.pending: list[tuple[int, str]] | None = []
        self.last_event = 0
        self.close_code: int | None = None
        self.hub: RoomHub | None = None
        self._buckets = {False: Bucket(BURST, RATE_PER_SECOND)}
        self.strikes = 0
        # Participants this one may signal to, and until when that check holds.
        self.peers: dict[str, float] = {}
        self.reactions: Bucket | None = None

    def offer(self, text: str, event_id: int | None = None) -> None:
        if self.close_code is not None:
            return
        if self.pending is not None:
            if event_id is not None:
                if len(self.pending) >= OUTBOX_LIMIT:
                    self.close(CloseCode.TOO_SLOW)
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
            self.close(CloseCode.TOO_SLOW)

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

    def resync(self) -> None:
        """Whom this person sees changed (they went on or off a webinar's stage): send them a
        fresh snapshot, after the events already queued."""
        hub = self.hub
        if hub is None or self.close_code is not None:
            return
        self.peers.clear()
        hub.hubs.in_background(_resume(hub.hubs, self, None))

    def allow(self, signal: bool = False) -> bool:
        """Take a token for one incoming message, if there is one."""
        bucket = self._buckets.get(signal)
        if bucket is None:
            # Made on first use: most sockets (large meetings, no mesh) never signal.
            bucket = self._buckets[signal] = Bucket(SIGNAL_BURST, SIGNAL_RATE_PER_SECOND)
        return bucket.take()


async def serve(websocket: WebSocket, hubs: Hubs, claims: JoinClaims) -> None:
    """Hold one participant's socket for as long as they are in the meeting."""
    try:
        async with hubs.database() as db:
            row = await service.connect(db=db, bus=hubs.bus, claims=claims)
            role = row.role
            room = await db.get(Room, claims.room_id)
            assert room is not None
            stage = service.on_stage(row, webinar=await service.is_webinar(db, room))
            if hubs.sfu is not None:
                try:
                    node = await hubs.sfu.consider(db=db, room_id=claims.room_id)
                    if node is not None:
                        await service.media_moved(
                            db=db, bus=hubs.bus, room_id=claims.room_id, node=node
                        )
                except Exception:
                    # The meeting goes on peer to peer; the next arrival tries again.
                    log.exception("could not move the meeting to the SFU")
    except ParleyError as refusal:
        await websocket.send_text(error_message(refusal.code, refusal.message))
        code = CloseCode.REMOVED if refusal.code == "banned" else CloseCode.ENDED
        await websocket.close(code=code)
        return
    connection = Connection(websocket, claims, role, stage)
    await hubs.attach(connection)
    if hubs.presence is not None and claims.user_id is not None:
        await hubs.presence.meeting_joined(claims.user_id)
    # The same person's older sockets (another tab, on any process) give way to this one.
    superseded = events.Superseded(participant=claims.participant_id, key=connection.key)
    await channel.publish(hubs.bus, claims.room_id, superseded)
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
                async with hubs.database() as db:
                    await service.disconnect(db=db, claims=claims)
            except Exception:
                log.exception("could not record a disconnection")
            with contextlib.suppress(Exception):
                await websocket.close(code=connection.close_code or CloseCode.NORMAL)


async def _resume(hubs: Hubs, connection: Connection, last_event: int | None) -> None:
    """Send what the client missed since `last_event`, or a fresh snapshot."""
    # Live events arriving while the database is read wait, then pass if newer.
    if connection.pending is None:
        connection.pending = []
    async with hubs.database() as db:
        missed = None
        if last_event is not None:
            missed = await service.missed(db=db, claims=connection.claims, after=last_event)
        if missed is not None:
            for event in missed:
                connection.outbox.put_nowait(json.dumps(event))
            connection.ready(missed[-1]["id"] if missed else last_event or 0)
            return
        snapshot = await service.snapshot(db=db, claims=connection.claims)
        moderator = snapshot["you"]["role"] == "moderator"
        snapshot.update(await polls.snapshot(db=db, claims=connection.claims, moderator=moderator))
    snapshot["version"] = PROTOCOL_VERSION
    connection.offer_now(json.dumps(snapshot))
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
            connection.close(CloseCode.POLICY_VIOLATION)
            return
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            connection.offer(error_message("bad_message", N_("Messages must be JSON text.")))
            continue
        if len(text.encode()) > protocol.MAX_MESSAGE_BYTES:
            connection.offer(error_message("too_large", N_("This message is too large.")))
            continue
        try:
            parsed: Any = protocol.client_message.validate_json(text)
        except ValidationError:
            parsed = None
        if not connection.allow(signal=isinstance(parsed, protocol.Signal)):
            connection.strikes += 1
            if connection.strikes >= FLOOD_STRIKES:
                connection.close(CloseCode.FLOODING)
                return
            connection.offer(error_message("rate_limited", N_("Slow down: too many messages.")))
            continue
        if parsed is None:
            connection.offer(error_message("bad_message", N_("This message is not understood.")))
            continue
        if isinstance(parsed, protocol.Hello):
            greeted = True
            await _resume(hubs, connection, parsed.last_event)
            continue
        if not greeted:
            connection.offer(error_message("hello_first", N_("Say hello first.")))
            continue
        if isinstance(parsed, protocol.Ping):
            connection.offer(json.dumps({"type": "pong"}))
            continue
        await router.dispatch(hubs, connection, parsed)
