"""Yjs rooms: each shared document of a room, held in memory by every process that serves it.

pycrdt-websocket's YRoom serves each socket (the sync steps, passing awareness on, sending the
document's changes to every socket). Before the room sees a message, the socket's Peer screens
it (see parley.documents.protocol): updates from someone who may not write are refused,
awareness states get the sender's real name, control messages go to the services. An accepted
update is applied, published on the bus (the other processes apply it and pass it to their
own sockets) and written to the database in small batches, compacted now and then.

The bus delivers at most once: a process that starts serving a document, or falls behind,
loads it from the database and asks the other processes (a sync step 1 on the bus) for what
is not stored yet. A room whose bus subscription overflows closes its sockets; their clients
reconnect to a fresh room.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import secrets
from pathlib import Path
from typing import Any

import anyio
from fastapi import WebSocket, WebSocketDisconnect
from pycrdt import (
    Doc,
    Encoder,
    create_awareness_message,
    create_update_message,
    merge_updates,
    read_message,
)
from pycrdt.websocket import YRoom
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley import i18n
from parley.bus import Bus, SubscriptionOverflow
from parley.documents import awareness, controls, service, yjs_store
from parley.documents.protocol import MESSAGE_AWARENESS, MESSAGE_CONTROL, MESSAGE_SYNC
from parley.errors import N_, ParleyError
from parley.meetings import events
from parley.rooms import channel
from parley.rooms.service import JoinClaims
from parley.sockets import Bucket, CloseCode, let_writer_finish, write_outbox

log = logging.getLogger(__name__)

SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2
# An update that changes nothing, as Yjs encodes it.
EMPTY_UPDATE = b"\x00\x00"
# Messages waiting to be written to one socket before its reader counts as too slow.
OUTBOX_LIMIT = 2000
# A message larger than this is refused: a long stroke or a pasted page is far smaller.
MAX_MESSAGE_BYTES = 512 * 1024
# Flood control per socket: messages (typing sends one per key) and bytes, each a burst then
# a steady rate; a client that keeps flooding is disconnected.
MESSAGE_BURST = 400
MESSAGES_PER_SECOND = 150.0
BYTE_BURST = 2 * 1024 * 1024
BYTES_PER_SECOND = 512 * 1024
FLOOD_STRIKES = 200
# Updates are written in batches gathered over this long; past COMPACT_AFTER stored updates
# the document is compacted.
FLUSH_SECONDS = 0.1
COMPACT_AFTER = 200
# A room left by its last socket stays this long, so a page reload finds it warm.
LINGER_SECONDS = 5.0
# How long stopping the process waits for rooms to store what they hold.
STOP_SECONDS = 10.0
# Cursor colours, readable on white, one per participant.
COLOURS = [
    "#2856d8",
    "#c0392b",
    "#1e8c4d",
    "#b7600b",
    "#7a4fd8",
    "#0f7c8c",
    "#c2185b",
    "#5d6d1e",
    "#8e44ad",
    "#1f618d",
]


def colour(participant_id: str) -> str:
    digest = hashlib.sha256(participant_id.encode()).digest()
    return COLOURS[digest[0] % len(COLOURS)]


def _translated(peer: Peer, message: str | None, params: dict[str, Any] | None) -> str | None:
    """A stored catalogue message (a presentation's error) in the language of `peer`."""
    if not message:
        return None
    with i18n.using(peer.language):
        return i18n.gettext(message, **(params or {}))


def control(payload: dict[str, Any]) -> bytes:
    return bytes([MESSAGE_CONTROL]) + json.dumps(payload).encode()


class Peer:
    """One socket on one shared document, seen by YRoom as a pycrdt Channel.

    Iterating gives YRoom only what it should handle (sync step 1, screened awareness);
    sending only queues, so a slow socket never holds up the room.
    """

    def __init__(
        self,
        websocket: WebSocket,
        room: DocRoom,
        claims: JoinClaims,
        role: str,
        name: str,
        presenter: bool,
    ) -> None:
        self.websocket = websocket
        self.room = room
        self.claims = claims
        self.participant_id = claims.participant_id
        # Both follow the meeting's events (DocRoom._watch_meeting).
        self.role = role
        self.presenter = presenter
        self.name = name
        self.language = i18n.get_language()
        self.outbox: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=OUTBOX_LIMIT)
        self.close_code: int | None = None
        # Awareness client ids this socket speaks for, with their last clock.
        self.clocks: dict[int, int] = {}
        self.messages = Bucket(MESSAGE_BURST, MESSAGES_PER_SECOND)
        self.bytes = Bucket(BYTE_BURST, BYTES_PER_SECOND)
        self.strikes = 0

    @property
    def path(self) -> str:
        return f"{self.room.room_id}/{self.room.name}/{self.participant_id}"

    @property
    def moderator(self) -> bool:
        return self.role == "moderator"

    @property
    def can_write(self) -> bool:
        """The notes: moderators always; the board: the presenter always; the others while
        the document is not locked."""
        if not self.room.locked:
            return True
        return self.presenter if self.room.name == "board" else self.moderator

    @property
    def user(self) -> dict[str, Any]:
        return {
            "id": self.participant_id,
            "name": self.name,
            "color": colour(self.participant_id),
            "presenter": self.presenter,
        }

    def offer(self, message: bytes) -> None:
        if self.close_code is not None:
            return
        try:
            self.outbox.put_nowait(message)
        except asyncio.QueueFull:
            self.close(CloseCode.TOO_SLOW)

    async def send(self, message: bytes) -> None:
        self.offer(message)

    def control(self, payload: dict[str, Any]) -> None:
        self.offer(control(payload))

    def error(self, code: str, message: str, **params: Any) -> None:
        with i18n.using(self.language):
            text = i18n.gettext(message, **params)
        self.control({"type": "error", "code": code, "message": text})

    def close(self, code: int) -> None:
        if self.close_code is None:
            self.close_code = code
            with contextlib.suppress(asyncio.QueueFull):
                self.outbox.put_nowait(None)

    def __aiter__(self) -> Peer:
        return self

    async def __anext__(self) -> bytes:
        while self.close_code is None:
            try:
                message = await self.websocket.receive()
            except (WebSocketDisconnect, RuntimeError):
                break
            if message["type"] == "websocket.disconnect":
                break
            data = message.get("bytes")
            if data is None:
                self.error("bad_message", N_("This message is not understood."))
                continue
            try:
                passed = await self.room.screen(self, data)
            except Exception:
                log.exception("shared document message failed", extra={"path": self.path})
                self.error(
                    "server_error", N_("Something went wrong on our side. Please try again.")
                )
                continue
            if passed is not None:
                return passed
        raise StopAsyncIteration

    async def recv(self) -> bytes:
        return await self.__anext__()


def _log_exception(exception: Exception, logger: logging.Logger) -> bool:
    logger.error("shared document room failed", exc_info=exception)
    return True


class DocRoom:
    """One shared document of one room, in this process."""

    def __init__(self, rooms: SharedRooms, room_id: int, name: str) -> None:
        self.rooms = rooms
        self.room_id = room_id
        self.name = name
        self.channel = service.channel(room_id, name)
        # Tells this room's messages on the bus from the other processes'.
        self.sender = secrets.token_bytes(8)
        self.ydoc: Doc[Any] = Doc()
        # Not "ready": YRoom then never watches the document, and this room sends each change
        # itself, once serialised, straight into the sockets' queues (YRoom would start a task
        # per socket and change, and echo a change to its author).
        self.yroom = YRoom(ready=False, ydoc=self.ydoc, exception_handler=_log_exception, log=log)
        self.peers: set[Peer] = set()
        self.owners: dict[int, Peer] = {}
        self.locked = False
        self.board: dict[str, Any] = {}
        self.ready = asyncio.Event()
        self.closing = asyncio.Event()
        self.pending: list[bytes] = []
        self.wake_writer = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._linger: asyncio.TimerHandle | None = None

    @property
    def usable(self) -> bool:
        return not self.closing.is_set() and self.task is not None and not self.task.done()

    # Lifetime

    async def run(self) -> None:
        try:
            async with (
                self.yroom,
                self.rooms.bus.subscribe(self.channel) as updates,
                self.rooms.bus.subscribe(channel.name(self.room_id)) as meeting,
            ):
                await self._load()
                await self._publish(service.BUS_QUERY, self.ydoc.get_state())
                self.ready.set()
                async with anyio.create_task_group() as group:
                    group.start_soon(self._relay, updates)
                    group.start_soon(self._watch_meeting, meeting)
                    group.start_soon(self._write)
                    await self.closing.wait()
                    group.cancel_scope.cancel()
        except SubscriptionOverflow:
            log.warning("shared document fell behind the bus", extra={"path": self.channel})
        except Exception:
            log.exception("shared document room stopped", extra={"path": self.channel})
        finally:
            self.closing.set()
            self.ready.set()
            for peer in list(self.peers):
                peer.close(CloseCode.TOO_SLOW)
            with anyio.CancelScope(shield=True):
                await self._flush(final=True)
            self.rooms.forget(self)

    async def _load(self) -> None:
        async with self.rooms.database() as db:
            parts = await yjs_store.load(db=db, room_id=self.room_id, name=self.name)
            row = await yjs_store.document(db=db, room_id=self.room_id, name=self.name)
            self.locked = row.locked
            await db.commit()
            if self.name == "board":
                self.board = await service.board_state(db=db, room_id=self.room_id)
        for part in parts:
            try:
                self.ydoc.apply_update(part)
            except ValueError:
                log.exception("skipped an unreadable stored update", extra={"path": self.channel})

    def attach(self, peer: Peer) -> None:
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        self.peers.add(peer)

    def detach(self, peer: Peer) -> None:
        self.peers.discard(peer)
        gone = [client for client, owner in self.owners.items() if owner is peer]
        for client in gone:
            del self.owners[client]
        if gone:
            # Their cursors disappear at once rather than after the awareness timeout.
            encoder = Encoder()
            encoder.write_var_uint(len(gone))
            for client in gone:
                encoder.write_var_uint(client)
                encoder.write_var_uint(peer.clocks.get(client, 0) + 1)
                encoder.write_var_string("null")
            update = encoder.to_bytes()
            message = create_awareness_message(update)
            for other in self.peers:
                other.offer(message)
            self.rooms.spawn(self._publish(service.BUS_AWARENESS, update))
        if not self.peers and not self.closing.is_set():
            loop = asyncio.get_running_loop()
            self._linger = loop.call_later(self.rooms.linger_seconds, self._close_if_empty)

    def _close_if_empty(self) -> None:
        if not self.peers:
            self.closing.set()

    # What comes from the browser

    async def screen(self, peer: Peer, data: bytes) -> bytes | None:
        """Handle one message from `peer`; return what YRoom should handle, if anything."""
        if len(data) > MAX_MESSAGE_BYTES:
            peer.error("too_large", N_("This change is too large to be shared."))
            peer.close(CloseCode.TOO_LARGE)
            return None
        if not (peer.messages.take() and peer.bytes.take(len(data))):
            peer.strikes += 1
            if peer.strikes >= FLOOD_STRIKES:
                peer.close(CloseCode.FLOODING)
            return None
        if not data:
            return None
        kind = data[0]
        if kind == MESSAGE_SYNC and len(data) >= 2:
            if data[1] == SYNC_STEP1:
                return data
            if data[1] in (SYNC_STEP2, SYNC_UPDATE):
                await self._update(peer, data[1], data[2:])
            return None
        if kind == MESSAGE_AWARENESS:
            return await self._awareness(peer, data[1:])
        if kind == MESSAGE_CONTROL:
            await self._control(peer, data[1:])
        return None

    async def _update(self, peer: Peer, step: int, body: bytes) -> None:
        try:
            update = read_message(body)
        except Exception:
            peer.error("bad_update", N_("This change could not be read."))
            return
        if update == EMPTY_UPDATE:
            return
        if not peer.can_write:
            # A reconnecting reader answers the sync with what it has: fine if nothing new.
            if step == SYNC_STEP2 and not self._adds_anything(update):
                return
            with i18n.using(peer.language):
                message = (
                    i18n.gettext(N_("The notes are locked: only moderators can edit them now."))
                    if self.name == "notes"
                    else i18n.gettext(N_("Only the presenter can draw now."))
                )
            peer.control({"type": "rejected", "message": message})
            return
        try:
            self.ydoc.apply_update(update)
        except ValueError:
            peer.error("bad_update", N_("This change could not be read."))
            return
        self.broadcast(update, author=peer)
        self.pending.append(update)
        self.wake_writer.set()
        await self._publish(service.BUS_UPDATE, update)

    def _adds_anything(self, update: bytes) -> bool:
        scratch: Doc[Any] = Doc()
        current = self.ydoc.get_update()
        scratch.apply_update(current)
        try:
            scratch.apply_update(update)
        except ValueError:
            return True
        return scratch.get_update() != current

    async def _awareness(self, peer: Peer, body: bytes) -> bytes | None:
        """Pass on a socket's awareness states with the server's idea of who it is."""
        screened = awareness.screen(body, owners=self.owners, peer=peer)
        if screened is None:
            return None
        await self._publish(service.BUS_AWARENESS, screened)
        return create_awareness_message(screened)

    async def _control(self, peer: Peer, body: bytes) -> None:
        message = controls.parse(self.name, body)
        if message is None:
            peer.error("bad_message", N_("This message is not understood."))
            return
        try:
            async with self.rooms.database() as db:
                await controls.act(
                    db, self.rooms.bus, peer.claims, self.name, message, self.rooms.documents_dir
                )
        except ParleyError as refusal:
            peer.error(refusal.code, refusal.message, **refusal.params)
        except Exception:
            log.exception("shared document action failed", extra={"path": peer.path})
            peer.error("server_error", N_("Something went wrong on our side. Please try again."))

    # What comes from the bus

    async def _publish(self, kind: bytes, payload: bytes) -> None:
        try:
            await self.rooms.bus.publish(self.channel, kind + self.sender + payload)
        except Exception:
            # The change is applied here and stored; other processes get it when they load.
            log.warning("could not publish a shared document change", exc_info=True)

    async def _relay(self, subscription: Any) -> None:
        async for raw in subscription:
            try:
                await self._from_bus(raw)
            except Exception:
                log.exception("bad shared document message on the bus")

    async def _from_bus(self, raw: bytes) -> None:
        kind, sender, payload = raw[:1], raw[1:9], raw[9:]
        if sender == self.sender:
            return
        if kind in (service.BUS_UPDATE, service.BUS_REPLY):
            self.ydoc.apply_update(payload)
            self.broadcast(payload)
        elif kind == service.BUS_QUERY:
            missing = self.ydoc.get_update(payload)
            if missing != EMPTY_UPDATE:
                await self._publish(service.BUS_REPLY, missing)
        elif kind == service.BUS_AWARENESS:
            message = create_awareness_message(payload)
            for peer in self.peers:
                peer.offer(message)
        elif kind == service.BUS_PROGRESS:
            message = control(json.loads(payload))
            for peer in self.peers:
                peer.offer(message)
        elif kind == service.BUS_CHANGED:
            change = json.loads(payload)
            if change.get("type") == "lock":
                self.locked = bool(change.get("locked"))
            elif self.name == "board":
                async with self.rooms.database() as db:
                    self.board = await service.board_state(db=db, room_id=self.room_id)
            self.push_state()

    async def _watch_meeting(self, subscription: Any) -> None:
        """Follow the meeting: roles and the presenter that change, people removed, the
        meeting's end."""
        async for raw in subscription:
            try:
                message = events.channel_message.validate_json(raw)
            except ValidationError:
                continue
            if isinstance(message, channel.Closed):
                for peer in list(self.peers):
                    peer.close(CloseCode.ENDED)
                continue
            if not isinstance(message, events.Published):
                continue
            kind, data = message.kind, message.data
            everyone = self.name == "board" and self._presenter_moved(kind, data)
            if everyone:
                # The stage names the presenter (whose pointer everyone sees).
                async with self.rooms.database() as db:
                    self.board = await service.board_state(db=db, room_id=self.room_id)
            for peer in list(self.peers):
                if peer.participant_id != data.get("id"):
                    continue
                if kind == events.Updated.KIND:
                    now = (data.get("role", peer.role), bool(data.get("presenter")))
                    if now != (peer.role, peer.presenter):
                        peer.role, peer.presenter = now
                        if not everyone:
                            peer.control(self.state(peer))
                elif kind == events.Removed.KIND:
                    peer.close(CloseCode.REMOVED)
                elif kind == events.Left.KIND:
                    peer.close(CloseCode.NOT_IN_MEETING)
            if everyone:
                self.push_state()

    def _presenter_moved(self, kind: str, data: dict[str, Any]) -> bool:
        """Whether a meeting event changes who presents, as the stage has it."""
        current = (self.board.get("stage") or {}).get("presenter")
        person = data.get("id")
        if kind in (events.Joined.KIND, events.Updated.KIND):
            return bool(data.get("presenter")) != (current == person)
        if kind in (events.Left.KIND, events.Removed.KIND):
            return current == person
        return False

    # Telling the browsers

    def broadcast(self, update: bytes, author: Peer | None = None) -> None:
        """Send a change to every socket here but its author's."""
        message = create_update_message(update)
        for peer in self.peers:
            if peer is not author:
                peer.offer(message)

    def state(self, peer: Peer) -> dict[str, Any]:
        state: dict[str, Any] = {
            "type": "state",
            "doc": self.name,
            "you": peer.user,
            "role": peer.role,
            "locked": self.locked,
            "can_write": peer.can_write,
        }
        if self.name == "board":
            items = [
                {**item, "error": _translated(peer, item.get("error"), item.get("error_params"))}
                for item in self.board.get("presentations", [])
            ]
            state["stage"] = self.board.get("stage")
            state["presentations"] = items
        return state

    def push_state(self) -> None:
        for peer in self.peers:
            peer.control(self.state(peer))

    # Storing

    async def _write(self) -> None:
        while True:
            await self.wake_writer.wait()
            self.wake_writer.clear()
            await asyncio.sleep(FLUSH_SECONDS)
            await self._flush()

    async def _flush(self, *, final: bool = False) -> None:
        batch, self.pending = self.pending, []
        try:
            async with self.rooms.database() as db:
                if batch:
                    update = batch[0] if len(batch) == 1 else merge_updates(*batch)
                    waiting = await yjs_store.append(
                        db=db, room_id=self.room_id, name=self.name, update=update
                    )
                else:
                    waiting = 0
                if final or waiting >= COMPACT_AFTER:
                    await yjs_store.compact(db=db, room_id=self.room_id, name=self.name)
        except Exception:
            log.exception("could not store a shared document", extra={"path": self.channel})
            # Kept for the next try, in order.
            self.pending = batch + self.pending
            if not final:
                await asyncio.sleep(1.0)
                self.wake_writer.set()


class SharedRooms:
    """This process's shared documents, opened with their first socket, closed after the last."""

    def __init__(
        self,
        *,
        bus: Bus,
        database: async_sessionmaker[AsyncSession],
        documents_dir: Path,
        linger_seconds: float = LINGER_SECONDS,
    ) -> None:
        self.bus = bus
        self.database = database
        self.documents_dir = documents_dir
        self.linger_seconds = linger_seconds
        self.rooms: dict[tuple[int, str], DocRoom] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coroutine: Any) -> None:
        """Run `coroutine` in the background, keeping a reference until it ends."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def forget(self, room: DocRoom) -> None:
        if self.rooms.get((room.room_id, room.name)) is room:
            del self.rooms[(room.room_id, room.name)]

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        """Close every room, storing what it holds."""
        rooms = list(self.rooms.values())
        for room in rooms:
            room.closing.set()
        tasks = [room.task for room in rooms if room.task is not None]
        if tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*tasks, return_exceptions=True), timeout=STOP_SECONDS
                )
        for task in [*tasks, *self._tasks]:
            task.cancel()

    async def room(self, room_id: int, name: str) -> DocRoom:
        """The room of document `name`, loaded and ready."""
        key = (room_id, name)
        for _ in range(3):
            room = self.rooms.get(key)
            if room is None or not room.usable:
                if room is not None and room.task is not None:
                    # It is storing what it held: the next one loads it.
                    with contextlib.suppress(Exception):
                        await asyncio.shield(room.task)
                room = DocRoom(self, room_id, name)
                self.rooms[key] = room
                room.task = asyncio.create_task(
                    room.run(), name=f"parley-documents-{room_id}-{name}"
                )
            await room.ready.wait()
            if room.usable:
                return room
        raise RuntimeError(f"could not open the shared document {name} of room {room_id}")

    async def serve(self, websocket: WebSocket, claims: JoinClaims, name: str) -> None:
        """Hold one participant's socket on document `name` for as long as it is open."""
        try:
            async with self.database() as db:
                row = await service.member(db=db, claims=claims)
                role, display_name = row.role, row.display_name
                presenting = await service.presents(db=db, claims=claims)
        except ParleyError as refusal:
            message = i18n.gettext(refusal.message, **refusal.params)
            payload = {"type": "error", "code": refusal.code, "message": message}
            with contextlib.suppress(Exception):
                await websocket.send_bytes(control(payload))
            code = CloseCode.ENDED if refusal.code == "meeting_ended" else CloseCode.NOT_IN_MEETING
            await websocket.close(code=code)
            return
        try:
            room = await self.room(claims.room_id, name)
        except Exception:
            log.exception("could not open a shared document", extra={"room_id": claims.room_id})
            with contextlib.suppress(Exception):
                await websocket.close(code=1011)
            return
        peer = Peer(websocket, room, claims, role, display_name, presenting)
        room.attach(peer)
        peer.control(room.state(peer))
        writer = asyncio.create_task(write_outbox(websocket, peer.outbox, lambda: peer.close_code))
        try:
            await room.yroom.serve(peer)
            if peer.close_code is not None:
                await let_writer_finish(writer)
            writer.cancel()
        finally:
            room.detach(peer)
            writer.cancel()
            with contextlib.suppress(Exception):
                await websocket.close(code=peer.close_code or 1000)
