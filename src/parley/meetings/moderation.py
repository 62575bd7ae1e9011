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
from parley.errors import N_, Conflict, Forbidden, NotFound
from parley.meetings.service import Changes, participant_view
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


async def _target(db: AsyncSession, room: Room, participant_id: str) -> RoomParticipant:
    row = await db.scalar(
        select(RoomParticipant).where(
            RoomParticipant.room_id == room.id,
            RoomParticipant.meeting_number == room.meeting_number,
            RoomParticipant.participant_id == participant_id,
        )
    )
    if row is None:
        raise NotFound(N_("This person is not in the meeting."), code="no_such_participant")
    return row


async def mute(
    *, db: AsyncSession, bus: Bus, actor: User, room: Room, participant_id: str | None
) -> int:
    """Mute one participant, or (none named) everyone but the moderators; say how many."""
    _require_meeting(actor, room)
    if participant_id is not None:
        rows = [await _target(db, room, participant_id)]
    else:
        rows = list(
            (
                await db.scalars(
                    select(RoomParticipant).where(
                        RoomParticipant.room_id == room.id,
                        RoomParticipant.meeting_number == room.meeting_number,
                        RoomParticipant.role != "moderator",
                        RoomParticipant.muted.is_(False),
                    )
                )
            ).all()
        )
    changes = Changes(db, room.id)
    for row in rows:
        row.muted = True
        # `by`: the participant's browser turns its microphone off when someone else did this.
        await changes.add("updated", {**participant_view(row), "by": f"u{actor.id}"})
    await changes.commit(bus)
    return len(rows)


async def remove(
    *, db: AsyncSession, bus: Bus, actor: User, room: Room, participant_id: str, ban: bool
) -> None:
    """Take a participant out of the meeting; with `ban`, they cannot come back to it.

    The same change as a moderator's `mod.remove` on the socket (parley.meetings.service).
    """
    _require_meeting(actor, room)
    row = await _target(db, room, participant_id)
    if row.participant_id == f"u{room.owner_id}":
        raise Forbidden(N_("The room's owner cannot be removed."), code="owner_stays")
    if ban:
        room.banned = [*(room.banned or []), row.participant_id]
    await db.delete(row)
    changes = Changes(db, room.id)
    await changes.add("removed", {"id": participant_id, "ban": ban})
    await changes.commit(bus)


async def end(*, db: AsyncSession, bus: Bus, actor: User, room: Room) -> None:
    """End the meeting for everyone: the room closes (as `POST /rooms/{id}/close`)."""
    _require_meeting(actor, room)
    await rooms.close_room(db=db, bus=bus, actor=actor, room=room)
