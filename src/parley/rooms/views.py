"""REST API of rooms: create, list, change, share, open, close, join, the waiting room."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, status

from parley.csrf import CsrfProtected
from parley.deps import CurrentUser, DbSession, Id, Viewer
from parley.errors import N_, Invalid, NotFound
from parley.rooms import service
from parley.rooms.models import Room
from parley.rooms.schemas import (
    JoinIn,
    JoinOut,
    MemberOut,
    RoomBrief,
    RoomCreate,
    RoomOut,
    RoomUpdate,
    ShareIn,
    WaitingOut,
)
from parley.rooms.web import claims_payload, join, room_out
from parley.runtime import runtime_of

router = APIRouter(prefix="/api/v1/rooms", tags=["rooms"])


async def _room(db: DbSession, room_id: int) -> Room:
    room = await service.get(db=db, room_id=room_id)
    if room is None:
        raise NotFound(N_("No such room."))
    return room


NO_SUCH_ROOM: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such room (or none that this person may see)."}
}


@router.post("", response_model=RoomOut, status_code=status.HTTP_201_CREATED)
async def create_room(
    body: RoomCreate, request: Request, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> RoomOut:
    """Create a room; it starts closed."""
    room = await service.create(db=db, owner=user, name=body.name)
    return await room_out(request, db, room, user, count=0)


@router.get("", response_model=list[RoomOut])
async def list_rooms(request: Request, user: CurrentUser, db: DbSession) -> list[RoomOut]:
    """The rooms I own or that are shared with me, with their state and who is in them."""
    rooms = await service.list_for(db=db, user=user)
    counts = await service.present_counts(db=db, rooms=rooms)
    return [await room_out(request, db, r, user, counts.get(r.id, 0)) for r in rooms]


@router.get("/{room_id}", response_model=RoomOut)
async def get_room(room_id: Id, request: Request, user: CurrentUser, db: DbSession) -> RoomOut:
    room = await _room(db, room_id)
    service.require_access(user, room)
    return await room_out(request, db, room, user)


@router.patch("/{room_id}", response_model=RoomOut)
async def update_room(
    room_id: Id,
    body: RoomUpdate,
    request: Request,
    user: CurrentUser,
    db: DbSession,
    _csrf: CsrfProtected,
) -> RoomOut:
    """Rename the room or change its settings."""
    room = await _room(db, room_id)
    changes = body.model_dump(exclude_unset=True, exclude={"name", "access_code"})
    if any(value is None for value in changes.values()):
        raise Invalid(N_("Some of the data sent is not valid."))
    await service.update(
        db=db,
        actor=user,
        room=room,
        name=body.name,
        settings=changes,
        access_code=body.access_code,
    )
    return await room_out(request, db, room, user)


@router.delete("/{room_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_room(
    room_id: Id, request: Request, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> None:
    """Delete the room (its owner only); a meeting in it ends."""
    room = await _room(db, room_id)
    await service.delete_room(db=db, bus=runtime_of(request).bus, actor=user, room=room)


@router.post("/{room_id}/shares", response_model=MemberOut, status_code=201)
async def share_room(
    room_id: Id, body: ShareIn, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> MemberOut:
    """Share the room's management with a member (its owner only)."""
    room = await _room(db, room_id)
    member = await service.share(db=db, actor=user, room=room, email=body.email)
    return MemberOut(id=member.id, display_name=member.display_name, email=member.email)


@router.delete("/{room_id}/shares/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unshare_room(
    room_id: Id, user_id: Id, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> None:
    room = await _room(db, room_id)
    await service.unshare(db=db, actor=user, room=room, user_id=user_id)


@router.post("/{room_id}/open", response_model=RoomOut | RoomBrief, responses=NO_SUCH_ROOM)
async def open_room(
    room_id: Id, request: Request, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> RoomOut | RoomBrief:
    """Open the room: people with the link can join.

    The room's managers get the whole room. A member who may open it only because the room
    lets any member do so gets its id, name and state: not its link, access code or managers.
    """
    room = await _room(db, room_id)
    manager = service.access(user, room) is not None
    if not manager:
        settings = await service.effective_settings(db=db, room=room)
        if not settings["anyone_can_open"]:
            raise NotFound(N_("No such room."))
    await service.open_room(db=db, bus=runtime_of(request).bus, actor=user, room=room)
    if not manager:
        return RoomBrief(id=room.id, name=room.name, state="open" if room.is_open else "closed")
    return await room_out(request, db, room, user)


@router.post("/{room_id}/close", response_model=RoomOut)
async def close_room(
    room_id: Id, request: Request, user: CurrentUser, db: DbSession, _csrf: CsrfProtected
) -> RoomOut:
    """Close the room: the meeting ends for everyone in it."""
    room = await _room(db, room_id)
    await service.close_room(db=db, bus=runtime_of(request).bus, actor=user, room=room)
    return await room_out(request, db, room, user)


@router.post(
    "/{room_id}/join",
    response_model=JoinOut,
    responses={
        202: {"description": "Waiting for a moderator: ask again with the ticket."},
        **NO_SUCH_ROOM,
    },
)
async def join_room(
    room_id: Id,
    body: JoinIn,
    request: Request,
    viewer: Viewer,
    db: DbSession,
    _csrf: CsrfProtected,
) -> JoinOut:
    """Ask to enter the room: a join token and role, or the reason why not (yet).

    Room ids are easy to guess, links are not: anyone who does not manage the room sends its
    `slug`, else the answer is 404, as for a room that does not exist.
    """
    room = await _room(db, room_id)
    if service.access(viewer, room) is None and not service.has_link(room, body.slug):
        raise NotFound(N_("No such room."))
    claims, token = await join(
        request,
        db,
        room,
        viewer,
        guest_id=None,
        name=body.name,
        access_code=body.access_code,
        ticket=body.waiting_ticket,
    )
    settings = await service.effective_settings(db=db, room=room)
    return JoinOut(token=token, **claims_payload(claims, settings))


async def _moderated_room(db: DbSession, room_id: int, user: CurrentUser) -> Room:
    room = await _room(db, room_id)
    service.require_access(user, room)
    return room


@router.get("/{room_id}/waiting", response_model=list[WaitingOut])
async def waiting(room_id: Id, user: CurrentUser, db: DbSession) -> list[WaitingOut]:
    """Who waits to be let in (the room's moderators only)."""
    room = await _moderated_room(db, room_id, user)
    return [
        WaitingOut(
            id=e.id,
            display_name=e.display_name,
            is_guest=e.user_id is None,
            created_at=e.created_at,
        )
        for e in await service.pending(db=db, room=room)
    ]


@router.post("/{room_id}/waiting/{entry_id}/{decision}", status_code=204)
async def decide(
    room_id: Id,
    entry_id: Id,
    decision: Literal["admit", "refuse"],
    request: Request,
    user: CurrentUser,
    db: DbSession,
    _csrf: CsrfProtected,
) -> None:
    """Let someone in the waiting room in (`admit`), or not (`refuse`)."""
    room = await _moderated_room(db, room_id, user)
    await service.decide(
        db=db, bus=runtime_of(request).bus, room=room, entry_id=entry_id, admit=decision == "admit"
    )
