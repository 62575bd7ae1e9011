"""Who may act in a meeting: checks every meeting action starts with.

A join token (`JoinClaims`) says who entered which meeting of a room; these checks hold it
against the database at the moment of the action: the meeting is still the one the token
was issued for and still open, the person is still in it (not removed, not gone), and for
moderation, their row says moderator (a promotion lasts; the token's role is where they
started). Presenting (the stage, the whiteboard, the shared video) is for the one participant
the room names as its meeting's presenter, moderator or not.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.errors import N_, ParleyError
from parley.rooms.models import Room, RoomParticipant
from parley.rooms.service import JoinClaims


class Refused(ParleyError):
    status_code = 403
    code = "forbidden"


async def row(db: AsyncSession, room_id: int, participant_id: str) -> RoomParticipant | None:
    """This participant's row in the room (of its current or an earlier meeting)."""
    return await db.scalar(
        select(RoomParticipant).where(
            RoomParticipant.room_id == room_id,
            RoomParticipant.participant_id == participant_id,
        )
    )


async def current_room(db: AsyncSession, claims: JoinClaims) -> Room:
    """The room, while the meeting the token was issued for goes on."""
    room = await db.get(Room, claims.room_id)
    if room is None or not room.is_open or room.meeting_number != claims.meeting_number:
        raise Refused(N_("The meeting has ended."), code="meeting_ended")
    return room


async def actor(db: AsyncSession, claims: JoinClaims) -> RoomParticipant:
    """The token's participant, while they are in its meeting."""
    found = await row(db, claims.room_id, claims.participant_id)
    if found is None or found.meeting_number != claims.meeting_number:
        raise Refused(N_("You are no longer in this meeting."), code="not_in_meeting")
    return found


async def moderator(db: AsyncSession, claims: JoinClaims) -> RoomParticipant:
    """The token's participant, while they are in its meeting as a moderator."""
    found = await actor(db, claims)
    if found.role != "moderator":
        raise Refused(N_("Only moderators may do this."), code="not_moderator")
    return found


NOT_PRESENTER = N_("Only the presenter can do this. A moderator can make you the presenter.")


def require_presenter(room: Room, row: RoomParticipant) -> None:
    """Refuse unless `row` is the participant presenting in the room's meeting."""
    if room.presenter != row.participant_id:
        raise Refused(NOT_PRESENTER, code="not_presenter")


async def presenter(db: AsyncSession, claims: JoinClaims, room: Room) -> RoomParticipant:
    """The token's participant, while they are in its meeting as its presenter."""
    found = await actor(db, claims)
    require_presenter(room, found)
    return found
