"""What the rooms pages, API and live connection share."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import User
from parley.accounts.web import client_address
from parley.bus import Bus
from parley.errors import N_, TooManyRequests
from parley.ratelimit import RateLimiter
from parley.rooms import service
from parley.rooms.models import Room
from parley.rooms.schemas import MemberOut, RoomOut
from parley.rooms.service import JoinClaims, RoomRefusal
from parley.runtime import runtime_of


def room_url(request: Request, room: Room) -> str:
    return f"{runtime_of(request).settings.effective_public_url}/r/{room.slug}"


async def room_out(
    request: Request, db: AsyncSession, room: Room, viewer: User, count: int | None = None
) -> RoomOut:
    settings = await service.effective_settings(db=db, room=room)
    if count is None:
        count = (await service.present_counts(db=db, rooms=[room])).get(room.id, 0)
    return RoomOut(
        id=room.id,
        slug=room.slug,
        name=room.name,
        state="open" if room.is_open else "closed",
        url=room_url(request, room),
        participant_count=count,
        access=service.access(viewer, room),
        access_code=room.access_code,
        shared_with=[
            MemberOut(id=s.user.id, display_name=s.user.display_name, email=s.user.email)
            for s in room.shares
        ],
        created_at=room.created_at,
        **settings,
    )


async def join(
    request: Request,
    db: AsyncSession,
    room: Room,
    viewer: User | None,
    *,
    guest_id: str | None,
    name: str | None,
    access_code: str | None,
    ticket: str | None,
    invited: bool = False,
) -> tuple[JoinClaims, str]:
    """Join `room` under the access-code rate limit (wrong codes count per address and room).

    A code is counted before it is checked, so codes sent at once cannot all be tried; the
    count is given back unless the code was wrong.
    """
    limiter: RateLimiter = runtime_of(request).limiters.access_code
    key = f"{room.id}:{client_address(request)}"
    if access_code and not await limiter.take(key):
        raise TooManyRequests(
            N_("Too many wrong codes. Wait a minute, then try again."), code="rate_limited"
        )
    bus: Bus = runtime_of(request).bus
    wrong_code = False
    try:
        return await service.join(
            db=db,
            bus=bus,
            secret=runtime_of(request).secret,
            room=room,
            viewer=viewer,
            guest_id=guest_id,
            name=name,
            access_code=access_code,
            ticket=ticket,
            invited=invited,
        )
    except RoomRefusal as refusal:
        wrong_code = refusal.code == "bad_access_code"
        raise
    finally:
        if access_code and not wrong_code:
            await limiter.give_back(key)


def claims_payload(claims: JoinClaims, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": claims.role,
        "participant_id": claims.participant_id,
        "name": claims.name,
        "is_guest": claims.is_guest,
        "mute_on_join": bool(settings["mute_on_join"]),
    }
