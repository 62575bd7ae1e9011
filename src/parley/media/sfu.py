"""Large meetings through Janus VideoRoom: when a meeting switches, where it goes, who gets in.

A meeting's media are peer to peer until it has `sfu_threshold` people (or from the first
person, in a room set so); then the room is given a Janus node (the healthy one with fewest
meetings), an event tells every page to move its media there, and each page asks Parley for
its way in (`browser_config`): the node's public WebSocket, a short-lived token signed for it,
and a join token of its own that Parley has put on the VideoRoom room's `allowed` list.

The VideoRoom room is made when the first page asks, and again whenever it is missing: a node
that restarted has lost its rooms, and the pages, whose connections dropped, ask again.
Every process watches every node through the Admin API; one that stops answering gets no new
meetings, and a meeting on it moves when its pages ask. Rooms of meetings that are over are
destroyed by the same watch. Removing someone takes their join token off the list and ends
the Janus sessions their tokens opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.errors import N_, ParleyError
from parley.media.janus import JanusClient, JanusError, JanusUnreachable, Node, sign_token
from parley.rooms import service as rooms
from parley.rooms.models import Room, RoomParticipant
from parley.security import sign
from parley.settings import Settings

log = logging.getLogger(__name__)

# Room numbers on Janus: the room's id and its meeting's number, so a new meeting is a new room.
MEETINGS_PER_ROOM = 100_000
# Publishers one VideoRoom room takes (cameras and screens).
MAX_PUBLISHERS = 200


class SfuUnavailable(ParleyError):
    status_code = 503
    code = "sfu_unavailable"


def janus_room(room: Room) -> int:
    return room.id * MEETINGS_PER_ROOM + room.meeting_number % MEETINGS_PER_ROOM


def uses_sfu(room: Room) -> bool:
    """Whether the room's current meeting sends its media through the SFU."""
    return room.sfu_node is not None and room.sfu_meeting == room.meeting_number


class Sfu:
    """The Janus nodes of this deployment, as seen by one Parley process."""

    def __init__(
        self,
        *,
        settings: Settings,
        http: httpx.AsyncClient,
        database: async_sessionmaker[AsyncSession],
        secret: str,
    ) -> None:
        self.settings = settings
        self.database = database
        self.secret = secret
        self.clients = {
            node.name: JanusClient(
                Node(node.name, node.api_url, node.admin_url, node.public_url),
                http=http,
                token_secret=settings.janus_token_secret.get_secret_value(),
                admin_secret=settings.janus_admin_secret.get_secret_value(),
            )
            for node in settings.janus_nodes
        }
        # Until the first check, a node is taken to be up.
        self.healthy = {name: True for name in self.clients}
        self._watch: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.clients)

    async def start(self) -> None:
        if self.enabled:
            self._watch = asyncio.create_task(self._watch_nodes(), name="parley-sfu-watch")

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watch

    # Secrets derived from Parley's own: nothing to store, the same on every process.

    def room_secret(self, number: int) -> str:
        return sign(self.secret, "janus-room", str(number))[:32]

    def join_token(self, number: int, participant_id: str) -> str:
        return sign(self.secret, "janus-join", f"{number}:{participant_id}")[:32]

    @staticmethod
    def marker(number: int, participant_id: str) -> str:
        return f"parley.{number}.{participant_id}"

    # Switching a meeting

    async def consider(self, *, db: AsyncSession, room_id: int) -> str | None:
        """After someone joined: move the meeting to the SFU if it is due to go there.

        Returns the node it was given, written but not committed: the caller commits it with
        the event that tells the pages (`parley.meetings.events.Media`).
        """
        if not self.enabled:
            return None
        room = await db.get(Room, room_id, populate_existing=True)
        if room is None or not room.is_open or uses_sfu(room):
            return None
        settings = await rooms.effective_settings(db=db, room=room)
        if not settings["media_server"]:
            count = await db.scalar(
                select(func.count())
                .select_from(RoomParticipant)
                .where(
                    RoomParticipant.room_id == room.id,
                    RoomParticipant.meeting_number == room.meeting_number,
                )
            )
            if (count or 0) < self.settings.sfu_threshold:
                return None
        node = await self._pick(db)
        if node is None:
            log.warning(
                "no media server answers: the meeting stays peer to peer",
                extra={"room_id": room.id},
            )
            return None
        return node if await self._assign(db, room, node, moving=False) else None

    async def _assign(self, db: AsyncSession, room: Room, node: str, *, moving: bool) -> bool:
        """Give the meeting `node` unless another process switched or moved it first (then
        the transaction is rolled back); not committed."""
        condition = (
            Room.sfu_node == room.sfu_node  # still on the node found dead
            if moving
            else or_(Room.sfu_meeting.is_(None), Room.sfu_meeting != room.meeting_number)
        )
        result = await db.execute(
            update(Room)
            .where(Room.id == room.id, Room.meeting_number == room.meeting_number, condition)
            .values(sfu_node=node, sfu_meeting=room.meeting_number)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            await db.rollback()  # another process switched or moved it first
            return False
        log.info(
            "meeting media on the SFU", extra={"room_id": room.id, "node": node, "moved": moving}
        )
        return True

    async def _pick(self, db: AsyncSession, avoid: Sequence[str] = ()) -> str | None:
        candidates = [n for n, up in self.healthy.items() if up and n not in avoid]
        if not candidates:
            return None
        load = {node["name"]: node["meetings"] for node in await self.status(db)}
        return min(candidates, key=lambda n: (load.get(n, 0), n))

    # A page's way in

    async def browser_config(
        self,
        *,
        db: AsyncSession,
        room: Room,
        participant_id: str,
        moved: Callable[[str], Awaitable[None]],
    ) -> dict[str, Any]:
        """Where and with what this participant's page publishes and subscribes.

        When the meeting's node does not answer, the meeting moves to another: `moved(node)`
        commits that with the event that tells the pages, before the new node is asked.
        """
        number = janus_room(room)
        tried: list[str] = []
        while True:
            node = room.sfu_node
            if node in tried:  # moved back to a node that just failed: give up for now
                raise SfuUnavailable(
                    N_("The media server does not answer. Trying again in a moment…")
                )
            assert node is not None
            client = self.clients.get(node)
            try:
                if client is None:
                    raise JanusUnreachable(f"{node}: no longer configured")
                await self._ensure(client, room, [participant_id])
                break
            except JanusUnreachable as exc:
                log.warning("media server unreachable", extra={"node": node, "error": str(exc)})
                if node in self.healthy:
                    self.healthy[node] = False
                tried.append(node)
                other = await self._pick(db, avoid=tried)
                if other is None:
                    raise SfuUnavailable(
                        N_("The media server does not answer. Trying again in a moment…")
                    ) from exc
                if await self._assign(db, room, other, moving=True):
                    await moved(other)
                await db.refresh(room)
            except JanusError as exc:
                log.error("media server refused", extra={"node": node, "error": str(exc)})
                raise SfuUnavailable(
                    N_("The media server refused to open this meeting. Trying again in a moment…")
                ) from exc
        ttl = self.settings.janus_token_ttl_seconds
        now = time.time()
        token = sign_token(
            self.settings.janus_token_secret.get_secret_value(),
            ttl_seconds=ttl,
            extra=(self.marker(number, participant_id),),
            now=now,
        )
        return {
            "transport": "sfu",
            "janus": {
                "node": node,
                "url": self.clients[node].node.public_url,
                "token": token,
                "room": number,
                "join_token": self.join_token(number, participant_id),
                "expires_at": int(now) + ttl,
            },
            "videos": self.settings.sfu_videos,
        }

    async def _ensure(self, client: JanusClient, room: Room, participant_ids: list[str]) -> None:
        number = janus_room(room)
        secret = self.room_secret(number)
        tokens = [self.join_token(number, p) for p in participant_ids]
        made = await client.create_room(
            number,
            secret=secret,
            admin_key=self.settings.janus_admin_key.get_secret_value(),
            allowed=tokens,
            publishers=MAX_PUBLISHERS,
            description=f"Parley room {room.id}",
        )
        if not made and tokens:
            await client.allow(number, secret=secret, tokens=tokens)

    # Removing someone

    async def cut(self, *, room_id: int, participant_id: str) -> int:
        """Take a removed participant out of the room's SFU meeting; the sessions ended."""
        async with self.database() as db:
            room = await db.get(Room, room_id)
            if room is None or not uses_sfu(room) or room.sfu_node not in self.clients:
                return 0
            client = self.clients[room.sfu_node]
            number = janus_room(room)
        await client.allow(
            number,
            secret=self.room_secret(number),
            tokens=[self.join_token(number, participant_id)],
            action="remove",
        )
        ended = 0
        for session in await client.sessions_of(self.marker(number, participant_id)):
            await client.destroy_session(session)
            ended += 1
        log.info("participant cut from the SFU", extra={"room_id": room_id, "sessions": ended})
        return ended

    # Webinars: only the people on stage publish

    async def take_down(self, *, room_id: int, participant_ids: set[str] | None = None) -> int:
        """Kick from the room's SFU meeting the feeds published by people off a webinar's
        stage (or by `participant_ids` only); say how many. Their pages join again (they may
        still watch) and learn from their way in that they may not publish."""
        async with self.database() as db:
            room = await db.get(Room, room_id)
            if room is None or not uses_sfu(room) or room.sfu_node not in self.clients:
                return 0
            off_stage = set(await self._off_stage(db, room))
            client = self.clients[room.sfu_node]
        if participant_ids is not None:
            off_stage &= participant_ids
        return await self._kick_publishers(client, room, off_stage)

    @staticmethod
    async def _off_stage(db: AsyncSession, room: Room) -> Sequence[str]:
        """The participants of a webinar who are neither moderators nor brought on stage (the
        rule of `parley.meetings.service.on_stage`); none outside a webinar."""
        settings = await rooms.effective_settings(db=db, room=room)
        if not settings["webinar"]:
            return []
        found = await db.scalars(
            select(RoomParticipant.participant_id).where(
                RoomParticipant.room_id == room.id,
                RoomParticipant.meeting_number == room.meeting_number,
                RoomParticipant.role != "moderator",
                RoomParticipant.on_stage.is_(False),
            )
        )
        return found.all()

    async def _kick_publishers(self, client: JanusClient, room: Room, people: set[str]) -> int:
        if not people:
            return 0
        number = janus_room(room)
        kicked = 0
        for publisher in await client.participants(number):
            if not publisher.get("publisher"):
                continue
            try:
                # Pages name their feeds {"p": participant id, "k": "camera" or "screen"}.
                owner = json.loads(publisher.get("display") or "{}").get("p")
            except (ValueError, AttributeError):
                owner = None
            if owner in people:
                await client.kick(
                    number, secret=self.room_secret(number), publisher=publisher["id"]
                )
                kicked += 1
        if kicked:
            log.info(
                "feeds off a webinar's stage taken down",
                extra={"room_id": room.id, "feeds": kicked},
            )
        return kicked

    # Watching the nodes

    async def _watch_nodes(self) -> None:
        while True:
            for name, client in self.clients.items():
                try:
                    await self._check(name, client)
                except Exception:
                    log.exception("media server check failed", extra={"node": name})
            await asyncio.sleep(self.settings.janus_health_seconds)

    async def _check(self, name: str, client: JanusClient) -> None:
        was = self.healthy[name]
        up = await client.ping()
        self.healthy[name] = up
        if not up:
            if was:
                log.warning("media server down", extra={"node": name})
            return
        # Rooms on Janus first, then what should be there: a room made after the listing
        # is missing from it, never destroyed by mistake.
        present = set(
            await client.rooms(admin_key=self.settings.janus_admin_key.get_secret_value())
        )
        async with self.database() as db:
            meetings = (
                await db.scalars(
                    select(Room).where(
                        Room.is_open.is_(True),
                        Room.sfu_node == name,
                        Room.sfu_meeting == Room.meeting_number,
                    )
                )
            ).all()
            wanted = {janus_room(r): r for r in meetings}
            for number in present - set(wanted):
                if number < MEETINGS_PER_ROOM:
                    continue  # not one of Parley's
                try:
                    await client.destroy_room(number, secret=self.room_secret(number))
                except JanusUnreachable:
                    raise
                except JanusError as exc:
                    log.warning(
                        "could not end a meeting's room", extra={"node": name, "error": str(exc)}
                    )
            for number, room in wanted.items():
                if number in present:
                    continue
                # The node lost it (a restart): made again, with everyone in it allowed.
                people = (
                    await db.scalars(
                        select(RoomParticipant.participant_id).where(
                            RoomParticipant.room_id == room.id,
                            RoomParticipant.meeting_number == room.meeting_number,
                        )
                    )
                ).all()
                await self._ensure(client, room, list(people))
                log.info(
                    "meeting room made again on the SFU", extra={"room_id": room.id, "node": name}
                )
            # Whatever a page does, only the people on a webinar's stage keep a feed.
            for number, room in wanted.items():
                if number in present:
                    off_stage = set(await self._off_stage(db, room))
                    await self._kick_publishers(client, room, off_stage)
        if not was:
            log.info("media server back", extra={"node": name})

    async def status(self, db: AsyncSession) -> list[dict[str, Any]]:
        """Each node as this process sees it, with the meetings on it now (for administrators)."""
        meetings = dict(
            (
                await db.execute(
                    select(Room.sfu_node, func.count())
                    .where(Room.is_open.is_(True), Room.sfu_meeting == Room.meeting_number)
                    .group_by(Room.sfu_node)
                )
            ).all()
        )
        return [
            {
                "name": name,
                "public_url": client.node.public_url,
                "healthy": self.healthy[name],
                "meetings": meetings.get(name, 0),
            }
            for name, client in self.clients.items()
        ]
