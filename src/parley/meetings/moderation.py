"""Moderation by a room's managers from outside the meeting (the REST API).

The socket's moderation (parley.meetings.service) acts for a moderator in the meeting; a
program calling the API is in no meeting, so its rights come from managing the room (its
owner, or a member it is shared with), as the pages' rights do. The changes and the events
every participant sees are the same: written with a numbered event, published after the
commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import User
from parley.bus import Bus
from parley.errors import N_, Conflict
from parley.meetings import service
from parley.rooms import service as rooms
from parley.rooms.models import Room, RoomParticipant


def _require_meeting(actor: User, room: Room) -> None:
    rooms.require_access(actor, room)
    if not room.is_open:
        raise Conflict(N_("There is no meeting in this room now."), code="no_meeting")


async def participants(*, db: AsyncSession, actor: User, room: Room) -> Sequence[RoomParticipant]:
    """Who is in the room's current meeting, in the order they came."""
    rooms.require_access(actor, room)
    if not room.is_open:
        return []
    found = await db.scalars(
        select(RoomParticipant)
        .where(
            RoomParticipant.room_id == room.id,
            RoomParticipant.meeting_number == room.meeting_number,
        )
        .order_by(RoomParticipant.joined_at, RoomParticipant.id)
    )
    return found.all()


async def mute(
    *, db: AsyncSession, bus: Bus, actor: User, room: Room, participant_id: str | None
) -> int:
    """Mute one participant, or (none named) everyone but the moderators; say how many."""
    _require_meeting(actor, room)
    return await service.mute_in(
        db=db, bus=bus, room=room, target=participant_id, by=f"u{actor.id}"
    )


async def remove(
    *, db: AsyncSession, bus: Bus, actor: User, room: Room, participant_id: str, ban: bool
) -> None:
    """Take a participant out of the meeting; with `ban`, they cannot come back to it."""
    _require_meeting(actor, room)
    await service.remove_from(db=db, bus=bus, room=room, target=participant_id, ban=ban)


async def end(*, db: AsyncSession, bus: Bus, actor: User, room: Room) -> None:
    """End the meeting for everyone: the room closes (as `POST /rooms/{id}/close`)."""
    _require_meeting(actor, room)
    await rooms.close_room(db=db, bus=bus, actor=actor, room=room)
