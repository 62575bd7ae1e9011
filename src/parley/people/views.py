"""REST API of people: members and their presence, calls, invitations, notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from parley.accounts.schemas import Email
from parley.csrf import CsrfProtected
from parley.deps import CurrentUser, DbSession, Id
from parley.errors import N_, NotFound
from parley.jobs.worker import wake
from parley.people import emails, service
from parley.people.presence import Presence
from parley.rooms import service as rooms
from parley.rooms.models import Room
from parley.runtime import runtime_of

router = APIRouter(prefix="/api/v1", tags=["people"])


class PersonOut(BaseModel):
    id: int
    display_name: str
    email: str
    presence: str
    allow_calls: bool


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int


class InvitationOut(BaseModel):
    invitation: dict[str, Any]
    url: str


class EmailInvitationsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    emails: list[Email] = Field(min_length=1, max_length=20)
    message: str = Field(default="", max_length=1000)


class EmailInvitationsOut(BaseModel):
    queued: int


class NotificationOut(BaseModel):
    id: int
    kind: str
    data: dict[str, Any]
    created_at: datetime
    read: bool


class NotificationsOut(BaseModel):
    unread: int
    items: list[NotificationOut]


class AvailabilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow_calls: bool
    do_not_disturb: bool


def _presence(request: Request) -> Presence:
    presence: Presence = runtime_of(request).presence
    return presence


async def _room(db: DbSession, slug: str) -> Room:
    room = await rooms.get_by_slug(db=db, slug=slug)
    if room is None:
        raise NotFound(N_("No such room."))
    return room


@router.get("/people", response_model=list[PersonOut])
async def people(
    request: Request, user: CurrentUser, db: DbSession, q: str = ""
) -> list[PersonOut]:
    """Members of the organisation (whose name or email holds `q`), with their presence."""
    members = await service.members(db=db, query=q[:100])
    presence = _presence(request)
    return [
        PersonOut(
            id=m.id,
            display_name=m.display_name,
            email=m.email,
            presence=presence.state(m.id),
            allow_calls=m.allow_calls,
        )
        for m in members
    ]


@router.post("/calls", response_model=InvitationOut, status_code=status.HTTP_201_CREATED)
async def call(
    body: CallIn, request: Request, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> InvitationOut:
    """Call a member: a room for the two of you, open, and their pages ring."""
    invitation, room = await service.call(
        db=db,
        bus=runtime_of(request).bus,
        limiter=runtime_of(request).limiters.invitation,
        caller=user,
        user_id=body.user_id,
        seconds=runtime_of(request).settings.call_ring_seconds,
    )
    return await _invitation_out(db, invitation.id, room)


@router.post(
    "/rooms/{slug}/invitations", response_model=InvitationOut, status_code=status.HTTP_201_CREATED
)
async def invite(
    slug: str,
    body: CallIn,
    request: Request,
    user: CurrentUser,
    db: DbSession,
    _csrf: CsrfProtected,
) -> InvitationOut:
    """Ask a member into the meeting in progress; their pages ring."""
    room = await _room(db, slug)
    invitation = await service.invite(
        db=db,
        bus=runtime_of(request).bus,
        limiter=runtime_of(request).limiters.invitation,
        inviter=user,
        room=room,
        user_id=body.user_id,
        seconds=runtime_of(request).settings.invitation_ring_seconds,
    )
    return await _invitation_out(db, invitation.id, room)


async def _invitation_out(db: DbSession, invitation_id: int, room: Room) -> InvitationOut:
    invitation, room, caller, callee = await service.load(db, invitation_id)
    return InvitationOut(
        invitation=service.describe(invitation, room, caller, callee), url=f"/r/{room.slug}"
    )


@router.post(
    "/rooms/{slug}/email-invitations",
    response_model=EmailInvitationsOut,
    status_code=status.HTTP_202_ACCEPTED,
)
async def email_invitations(
    slug: str,
    body: EmailInvitationsIn,
    request: Request,
    user: CurrentUser,
    db: DbSession,
    _csrf: CsrfProtected,
) -> EmailInvitationsOut:
    """Email the room's link to people outside the organisation (sent through the outbox)."""
    room = await _room(db, slug)
    queued = await emails.invite_guests(
        db=db,
        settings=runtime_of(request).settings,
        limiter=runtime_of(request).limiters.email,
        inviter=user,
        room=room,
        addresses=list(dict.fromkeys(body.emails)),
        message=body.message,
    )
    await wake(runtime_of(request).bus)
    return EmailInvitationsOut(queued=queued)


@router.post("/invitations/{invitation_id}/decline", status_code=status.HTTP_204_NO_CONTENT)
async def decline(
    invitation_id: Id, request: Request, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> Response:
    await service.decline(
        db=db, bus=runtime_of(request).bus, user=user, invitation_id=invitation_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/invitations/{invitation_id}/cancel", status_code=status.HTTP_204_NO_CONTENT)
async def cancel(
    invitation_id: Id, request: Request, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> Response:
    """The caller hangs up before the call is answered."""
    await service.cancel(db=db, bus=runtime_of(request).bus, user=user, invitation_id=invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/notifications", response_model=NotificationsOut)
async def notifications(user: CurrentUser, db: DbSession) -> NotificationsOut:
    items = await service.notifications(db=db, user=user)
    return NotificationsOut(
        unread=await service.unread(db, user.id),
        items=[
            NotificationOut(
                id=n.id,
                kind=n.kind,
                data=n.data,
                created_at=n.created_at,
                read=n.read_at is not None,
            )
            for n in items
        ],
    )


@router.post("/notifications/read", status_code=status.HTTP_204_NO_CONTENT)
async def read_notifications(
    request: Request, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> Response:
    await service.mark_read(db=db, bus=runtime_of(request).bus, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/me/availability", status_code=status.HTTP_204_NO_CONTENT)
async def availability(
    body: AvailabilityIn, request: Request, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> Response:
    """Whether members may call me, and do-not-disturb (calls and invitations refused)."""
    await service.set_availability(
        db=db,
        bus=runtime_of(request).bus,
        user=user,
        allow_calls=body.allow_calls,
        do_not_disturb=body.do_not_disturb,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
