"""REST API of a room's meeting, for its managers: who is in it, moderation (end, mute,
remove), the chat as text, the polls and their results.

The rights are the room's: its owner and the members it is shared with, who moderate its
meetings (parley.rooms.service.require_access); others are told the room does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from parley.csrf import CsrfProtected
from parley.deps import CurrentUser, DbSession, Id
from parley.errors import N_, NotFound
from parley.meetings import events, moderation, polls, service
from parley.meetings.models import Poll
from parley.rooms import service as rooms
from parley.rooms.models import Room
from parley.runtime import runtime_of

router = APIRouter(prefix="/api/v1/rooms/{room_id}", tags=["meetings"])

ParticipantId = Annotated[str, Path(min_length=1, max_length=40)]


class MuteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The participant to mute; None: everyone but the moderators.
    participant_id: str | None = Field(default=None, min_length=1, max_length=40)


class MutedOut(BaseModel):
    muted: int


class AnswerOut(BaseModel):
    name: str
    choices: list[int]
    text: str | None


class PollResultsOut(BaseModel):
    voters: int
    # Answers per option, in the options' order.
    counts: list[int]
    texts: list[str]
    # Who answered what: only for a poll that is not anonymous.
    answers: list[AnswerOut] | None = None


class PollOut(BaseModel):
    id: int
    meeting_number: int
    question: str
    kind: Literal["choice", "text"]
    options: list[str]
    multiple: bool
    anonymous: bool
    state: Literal["open", "closed", "published"]
    by: str
    at: datetime
    results: PollResultsOut


async def _managed_room(db: DbSession, room_id: int, user: CurrentUser) -> Room:
    room = await rooms.get(db=db, room_id=room_id)
    if room is None:
        raise NotFound(N_("No such room."))
    rooms.require_access(user, room)
    return room


@router.get("/meeting/participants", response_model=list[events.ParticipantView])
async def list_participants(
    room_id: Id, user: CurrentUser, db: DbSession
) -> list[events.ParticipantView]:
    """Who is in the room's meeting now (none when it is closed)."""
    room = await _managed_room(db, room_id, user)
    found = await moderation.participants(db=db, actor=user, room=room)
    webinar = await service.is_webinar(db, room)
    return [
        events.ParticipantView(**service.participant_view(row, room, webinar=webinar))
        for row in found
    ]


@router.post("/meeting/end", status_code=status.HTTP_204_NO_CONTENT)
async def end_meeting(
    room_id: Id, request: Request, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> None:
    """End the meeting for everyone in it: the room closes."""
    room = await _managed_room(db, room_id, user)
    await moderation.end(db=db, bus=runtime_of(request).bus, actor=user, room=room)


@router.post("/meeting/mute", response_model=MutedOut)
async def mute(
    room_id: Id,
    body: MuteIn,
    request: Request,
    user: CurrentUser,
    db: DbSession,
    _csrf: CsrfProtected,
) -> MutedOut:
    """Mute one participant, or everyone but the moderators; their microphones go off."""
    room = await _managed_room(db, room_id, user)
    count = await moderation.mute(
        db=db,
        bus=runtime_of(request).bus,
        actor=user,
        room=room,
        participant_id=body.participant_id,
    )
    return MutedOut(muted=count)


@router.delete("/meeting/participants/{participant_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_participant(
    room_id: Id,
    participant_id: ParticipantId,
    request: Request,
    user: CurrentUser,
    db: DbSession,
    _csrf: CsrfProtected,
    ban: Annotated[bool, Query(description="Keep them from coming back to this meeting.")] = False,
) -> None:
    """Take a participant out of the meeting (the room's owner stays)."""
    room = await _managed_room(db, room_id, user)
    await moderation.remove(
        db=db,
        bus=runtime_of(request).bus,
        actor=user,
        room=room,
        participant_id=participant_id,
        ban=ban,
    )


@router.get(
    "/chat.txt",
    response_model=None,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "The chat as text.",
        }
    },
)
async def chat_export(room_id: Id, user: CurrentUser, db: DbSession) -> PlainTextResponse:
    """The room's chat as text: public messages, and the caller's own private ones."""
    room = await _managed_room(db, room_id, user)
    # The current meeting's, or once it is over, the last one's.
    text = await service.chat_export(
        db=db, room_id=room.id, meeting_number=room.meeting_number, participant_id=f"u{user.id}"
    )
    return PlainTextResponse(
        text, headers={"content-disposition": f'attachment; filename="chat-{room.slug}.txt"'}
    )


async def _poll_out(db: DbSession, poll: Poll) -> PollOut:
    found = await polls.results(db, poll)
    return PollOut(
        id=poll.id,
        meeting_number=poll.meeting_number,
        question=poll.question,
        kind=poll.kind,
        options=list(poll.options),
        multiple=poll.multiple,
        anonymous=poll.anonymous,
        state=poll.state,
        by=poll.starter_name,
        at=poll.created_at,
        results=PollResultsOut(
            voters=found["voters"],
            counts=found["counts"],
            texts=found["texts"],
            answers=found.get("answers"),
        ),
    )


@router.get("/polls", response_model=list[PollOut])
async def list_polls(room_id: Id, user: CurrentUser, db: DbSession) -> list[PollOut]:
    """The room's polls, of every meeting, with their results (anonymous ones: totals)."""
    room = await _managed_room(db, room_id, user)
    found = await db.scalars(select(Poll).where(Poll.room_id == room.id).order_by(Poll.id))
    return [await _poll_out(db, poll) for poll in found.all()]


@router.get("/polls/{poll_id}", response_model=PollOut)
async def get_poll(room_id: Id, poll_id: Id, user: CurrentUser, db: DbSession) -> PollOut:
    """One poll and its results."""
    room = await _managed_room(db, room_id, user)
    poll = await db.get(Poll, poll_id)
    if poll is None or poll.room_id != room.id:
        raise NotFound(N_("This poll is not in this room."), code="no_such_poll")
    return await _poll_out(db, poll)
