"""Calls and invitations: ring a member, answer, decline, expire; the notifications they leave.

A call makes an ad-hoc room shared by the two people; an invitation asks a member into a
meeting in progress. Both ring on every Parley page the person has open (events on their
bus channel, `user:<id>`) until answered, cancelled or expired; expiry is a durable job, so
it happens even if the process that rang has gone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.accounts.models import User
from parley.bus import Bus
from parley.db import utcnow
from parley.errors import N_, Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from parley.jobs import queue as jobs
from parley.jobs.worker import JobContext
from parley.people.models import (
    ACCEPTED,
    CALL,
    CANCELLED,
    DECLINED,
    INVITE,
    MISSED,
    RINGING,
    Invitation,
    Notification,
)
from parley.ratelimit import RateLimiter
from parley.rooms import service as rooms
from parley.rooms.models import Room, RoomParticipant, RoomShare

EXPIRE_JOB = "invitation.expire"
# Notifications a person gets, by kind.
MISSED_CALL = "missed_call"
MISSED_INVITATION = "invitation"
CALL_DECLINED = "declined"
# How many notifications the list keeps showing.
NOTIFICATIONS_SHOWN = 50


def channel(user_id: int) -> str:
    return f"user:{user_id}"


async def tell(bus: Bus, user_id: int, event: dict[str, Any]) -> None:
    await bus.publish(channel(user_id), json.dumps(event).encode())


def describe(invitation: Invitation, room: Room, caller: User, callee: User) -> dict[str, Any]:
    """What both sides' pages show of an invitation."""
    return {
        "id": invitation.id,
        "kind": invitation.kind,
        "state": invitation.state,
        "room": {"slug": room.slug, "name": room.name},
        "from": {"id": caller.id, "name": caller.display_name},
        "to": {"id": callee.id, "name": callee.display_name},
        "expires_at": invitation.expires_at.isoformat(),
    }


# Who may be asked


async def reachable_member(*, db: AsyncSession, caller: User, user_id: int) -> User:
    """The member `caller` may ring now, or a clear refusal."""
    callee = await db.get(User, user_id)
    if callee is None or not callee.is_active:
        raise NotFound(N_("No member has this address."), code="no_such_member")
    if callee.id == caller.id:
        raise Invalid(N_("You cannot call yourself."), code="self")
    if not callee.allow_calls:
        raise Forbidden(
            N_("%(name)s does not take calls."), code="calls_off", name=callee.display_name
        )
    if callee.do_not_disturb:
        raise Conflict(
            N_("%(name)s does not want to be disturbed right now."),
            code="do_not_disturb",
            name=callee.display_name,
        )
    return callee


async def _check_flood(limiter: RateLimiter, caller: User, callee: User) -> None:
    """Count one call or invitation from `caller` and to `callee`, or refuse it if either is full.

    Counted and checked at once, so calls sent together cannot all pass.
    """
    if not await limiter.take(f"from:{caller.id}", f"to:{callee.id}"):
        raise TooManyRequests(
            N_("You have asked %(name)s many times in a short while. Please wait a little."),
            code="too_many_invitations",
            name=callee.display_name,
        )


async def _ring(
    *,
    db: AsyncSession,
    bus: Bus,
    kind: str,
    room: Room,
    caller: User,
    callee: User,
    seconds: int,
) -> Invitation:
    # A person asked into the same room again: the earlier ringing stops.
    await db.execute(
        update(Invitation)
        .where(
            Invitation.room_id == room.id,
            Invitation.to_user_id == callee.id,
            Invitation.state == RINGING,
        )
        .values(state=CANCELLED, answered_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    now = utcnow()
    invitation = Invitation(
        kind=kind,
        room_id=room.id,
        from_user_id=caller.id,
        to_user_id=callee.id,
        state=RINGING,
        created_at=now,
        expires_at=now + timedelta(seconds=seconds),
    )
    db.add(invitation)
    await db.flush()
    await jobs.enqueue(
        db=db,
        kind=EXPIRE_JOB,
        key=f"invitation:{invitation.id}:expire",
        payload={"id": invitation.id},
        run_at=invitation.expires_at,
    )
    await db.commit()
    event = describe(invitation, room, caller, callee)
    await tell(bus, callee.id, {"type": "ring", "invitation": event})
    await tell(bus, caller.id, {"type": "invitation", "invitation": event})
    return invitation


async def call(
    *,
    db: AsyncSession,
    bus: Bus,
    limiter: RateLimiter,
    caller: User,
    user_id: int,
    seconds: int,
) -> tuple[Invitation, Room]:
    """Ring `user_id` for a call in a new room that the two share, opened at once."""
    callee = await reachable_member(db=db, caller=caller, user_id=user_id)
    await _check_flood(limiter, caller, callee)
    with i18n.using(caller.language):
        name = i18n.gettext(N_("Call with %(name)s"), name=callee.display_name)
    room = await rooms.create(db=db, owner=caller, name=name[:100])
    db.add(RoomShare(room_id=room.id, user_id=callee.id))
    await db.commit()
    await rooms.open_room(db=db, bus=bus, actor=caller, room=room)
    invitation = await _ring(
        db=db, bus=bus, kind=CALL, room=room, caller=caller, callee=callee, seconds=seconds
    )
    return invitation, room


async def may_invite(*, db: AsyncSession, user: User, room: Room) -> None:
    """Members in the meeting, and the room's managers, may ask others in."""
    if not room.is_open:
        raise Conflict(N_("The meeting has ended."), code="room_closed")
    if rooms.access(user, room) is not None:
        return
    present = await db.scalar(
        select(func.count())
        .select_from(RoomParticipant)
        .where(
            RoomParticipant.room_id == room.id,
            RoomParticipant.meeting_number == room.meeting_number,
            RoomParticipant.participant_id == f"u{user.id}",
        )
    )
    if not present:
        raise Forbidden(N_("Only people in the meeting may invite others."), code="not_in_meeting")


async def invite(
    *,
    db: AsyncSession,
    bus: Bus,
    limiter: RateLimiter,
    inviter: User,
    room: Room,
    user_id: int,
    seconds: int,
) -> Invitation:
    """Ring `user_id` to come into the meeting in progress in `room`."""
    await may_invite(db=db, user=inviter, room=room)
    invitee = await reachable_member(db=db, caller=inviter, user_id=user_id)
    await _check_flood(limiter, inviter, invitee)
    return await _ring(
        db=db, bus=bus, kind=INVITE, room=room, caller=inviter, callee=invitee, seconds=seconds
    )


# Answers


async def load(db: AsyncSession, invitation_id: int) -> tuple[Invitation, Room, User, User]:
    invitation = await db.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound(N_("This invitation does not exist."), code="no_such_invitation")
    room = await db.get(Room, invitation.room_id)
    caller = await db.get(User, invitation.from_user_id)
    callee = await db.get(User, invitation.to_user_id)
    if room is None or caller is None or callee is None:
        raise NotFound(N_("This invitation does not exist."), code="no_such_invitation")
    return invitation, room, caller, callee


async def _settle(
    *,
    db: AsyncSession,
    bus: Bus,
    invitation_id: int,
    state: str,
    now: datetime | None = None,
) -> tuple[Invitation, Room, User, User] | None:
    """Move a ringing invitation to `state` (once: None if it was settled already)."""
    now = now or utcnow()
    result = await db.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.state == RINGING)
        .values(state=state, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        await db.rollback()
        return None
    loaded = await load(db, invitation_id)
    await db.refresh(loaded[0])
    invitation, room, caller, callee = loaded
    data = {
        "from_id": caller.id,
        "from_name": caller.display_name,
        "to_name": callee.display_name,
        "room_name": room.name,
        "slug": room.slug,
        "invitation_id": invitation.id,
    }
    if state in {MISSED, CANCELLED}:
        kind = MISSED_CALL if invitation.kind == CALL else MISSED_INVITATION
        db.add(Notification(user_id=callee.id, kind=kind, data=data, created_at=now))
    elif state == DECLINED and invitation.kind == CALL:
        db.add(Notification(user_id=caller.id, kind=CALL_DECLINED, data=data, created_at=now))
    await jobs.cancel(db=db, key=f"invitation:{invitation.id}:expire")
    await db.commit()
    event = {"type": "invitation", "invitation": describe(invitation, room, caller, callee)}
    await tell(bus, callee.id, event)
    await tell(bus, caller.id, event)
    notified = {MISSED: callee, CANCELLED: callee}.get(state)
    if state == DECLINED and invitation.kind == CALL:
        notified = caller
    if notified is not None:
        await tell(
            bus, notified.id, {"type": "notification", "unread": await unread(db, notified.id)}
        )
    return loaded


async def accept(
    *, db: AsyncSession, bus: Bus, user: User, invitation_id: int
) -> tuple[Invitation, Room]:
    invitation, room, _caller, _callee = await load(db, invitation_id)
    if invitation.to_user_id != user.id:
        raise NotFound(N_("This invitation does not exist."), code="no_such_invitation")
    if invitation.state == RINGING and invitation.expires_at <= utcnow():
        await _settle(db=db, bus=bus, invitation_id=invitation.id, state=MISSED)
        raise Conflict(N_("This invitation has expired."), code="expired")
    if invitation.state not in {RINGING, ACCEPTED}:
        messages = {
            CANCELLED: N_("The call was cancelled."),
            DECLINED: N_("You declined this invitation."),
            MISSED: N_("This invitation has expired."),
        }
        raise Conflict(messages.get(invitation.state, N_("This invitation has expired.")))
    if not room.is_open:
        raise Conflict(N_("The meeting has ended."), code="room_closed")
    if invitation.state == RINGING and (
        await _settle(db=db, bus=bus, invitation_id=invitation.id, state=ACCEPTED) is None
    ):
        # Answered meanwhile (another tab): the settle rolled back, which expired the person
        # and the invitation; read them again and answer by what the invitation is now.
        await db.refresh(user)
        return await accept(db=db, bus=bus, user=user, invitation_id=invitation_id)
    return invitation, room


async def decline(*, db: AsyncSession, bus: Bus, user: User, invitation_id: int) -> None:
    invitation, _room, _caller, _callee = await load(db, invitation_id)
    if invitation.to_user_id != user.id:
        raise NotFound(N_("This invitation does not exist."), code="no_such_invitation")
    await _settle(db=db, bus=bus, invitation_id=invitation.id, state=DECLINED)


async def cancel(*, db: AsyncSession, bus: Bus, user: User, invitation_id: int) -> None:
    invitation, _room, _caller, _callee = await load(db, invitation_id)
    if invitation.from_user_id != user.id:
        raise NotFound(N_("This invitation does not exist."), code="no_such_invitation")
    await _settle(db=db, bus=bus, invitation_id=invitation.id, state=CANCELLED)


async def expire_job(context: JobContext, payload: dict[str, Any]) -> None:
    """The job: an invitation nobody answered in time becomes a missed one."""
    async with context.database() as db:
        await _settle(
            db=db,
            bus=context.bus,
            invitation_id=int(payload["id"]),
            state=MISSED,
            now=context.clock.now(),
        )


async def ringing(*, db: AsyncSession, user: User) -> list[dict[str, Any]]:
    """Invitations still ringing for or from `user` (a page opened while one rings shows it)."""
    rows = (
        await db.scalars(
            select(Invitation).where(
                or_(Invitation.to_user_id == user.id, Invitation.from_user_id == user.id),
                Invitation.state == RINGING,
                Invitation.expires_at > utcnow(),
            )
        )
    ).all()
    described = []
    for invitation in rows:
        _, room, caller, callee = await load(db, invitation.id)
        described.append(describe(invitation, room, caller, callee))
    return described


# Notifications


async def unread(db: AsyncSession, user_id: int) -> int:
    count = await db.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


async def notifications(*, db: AsyncSession, user: User) -> Sequence[Notification]:
    return (
        await db.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(NOTIFICATIONS_SHOWN)
        )
    ).all()


async def mark_read(*, db: AsyncSession, bus: Bus, user: User) -> None:
    await db.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await db.commit()
    await tell(bus, user.id, {"type": "notification", "unread": 0})


# Members


async def members(*, db: AsyncSession, query: str = "", limit: int = 200) -> Sequence[User]:
    """Active members, by name, whose name or email holds `query`."""
    statement = select(User).where(User.is_active.is_(True))
    if query.strip():
        typed = query.strip().lower().replace("\\", "\\\\")
        pattern = "%" + typed.replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                func.lower(User.display_name).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
            )
        )
    return (await db.scalars(statement.order_by(User.display_name).limit(limit))).all()


async def set_availability(
    *, db: AsyncSession, bus: Bus, user: User, allow_calls: bool, do_not_disturb: bool
) -> None:
    user.allow_calls = allow_calls
    user.do_not_disturb = do_not_disturb
    await db.commit()
    await tell(bus, user.id, {"type": "availability", "do_not_disturb": do_not_disturb})
