"""State changes of rooms: create, share, open, close, join, the waiting room and presence.

Events are published on the bus after the change is committed, on the channel of the room.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, Literal

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts import service as accounts
from parley.accounts.models import User
from parley.bus import Bus
from parley.db import utcnow
from parley.errors import N_, Conflict, Forbidden, Invalid, NotFound, ParleyError
from parley.rooms import channel, policies
from parley.rooms.models import MeetingRemoval, Room, RoomParticipant, RoomShare, WaitingEntry
from parley.security import constant_time_equal, new_token, token_hash

# Letters that cannot be mistaken for one another when read aloud or copied by hand.
SLUG_ALPHABET = "abcdefghjkmnpqrstuvwxyz"
# Three groups of four: 23**12 is about 2**54 links, read over the phone as "kqvt-mzhr-pwdn".
SLUG_GROUPS = 3
SLUG_GROUP_LENGTH = 4
# A join token admits its holder to one meeting; long enough for a whole day of meeting.
JOIN_TOKEN_SECONDS = 12 * 3600
# A participant whose connection has not been seen for this long no longer counts as present.
PRESENCE_GRACE = timedelta(seconds=75)

Role = Literal["moderator", "participant"]
Access = Literal["owner", "shared"]


def new_slug() -> str:
    groups = (
        "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_GROUP_LENGTH))
        for _ in range(SLUG_GROUPS)
    )
    return "-".join(groups)


class RoomRefusal(ParleyError):
    """Why someone cannot enter a room now; `code` is what the API returns."""

    status_code = 403


class WaitingForApproval(ParleyError):
    """The person waits for a moderator; `ticket` lets them ask again and be let in."""

    status_code = 202
    code = "waiting_for_approval"

    def __init__(self, *, ticket: str, entry_id: int) -> None:
        super().__init__(N_("A moderator has been told you are here and will let you in."))
        self.ticket = ticket
        self.entry_id = entry_id
        self.extra = {"waiting_ticket": ticket, "entry_id": entry_id}


# The signed join token (`sign_join`), a path cookie of the room's pages; and the ticket of
# someone waiting for a moderator to let them in.
JOIN_COOKIE = "parley_join"
WAIT_COOKIE = "parley_wait"


@dataclass(frozen=True)
class JoinClaims:
    """What a join token says: who enters which meeting, as what."""

    room_id: int
    meeting_number: int
    participant_id: str
    name: str
    role: Role
    user_id: int | None

    @property
    def is_guest(self) -> bool:
        return self.user_id is None


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="parley.room-join")


def sign_join(secret: str, claims: JoinClaims) -> str:
    return _serializer(secret).dumps(asdict(claims))


def read_join(secret: str, token: str) -> JoinClaims | None:
    """Return the claims of a valid, unexpired join token, else None."""
    try:
        data = _serializer(secret).loads(token, max_age=JOIN_TOKEN_SECONDS)
        return JoinClaims(**data)
    except (BadSignature, TypeError, ValueError):
        return None


# Reading rooms and rights


async def get(*, db: AsyncSession, room_id: int) -> Room | None:
    return await db.get(Room, room_id)


async def get_by_slug(*, db: AsyncSession, slug: str) -> Room | None:
    return await db.scalar(select(Room).where(Room.slug == slug.strip().lower()))


def access(user: User | None, room: Room) -> Access | None:
    """How `user` may manage `room`: as its owner, as a member it is shared with, or not."""
    if user is None:
        return None
    if room.owner_id == user.id:
        return "owner"
    if any(share.user_id == user.id for share in room.shares):
        return "shared"
    return None


def has_link(room: Room, slug: str | None) -> bool:
    """Whether `slug` is the room's, as people copy it (any case, spaces around): what
    shows that someone has the link, since room ids are easy to guess."""
    return bool(slug) and constant_time_equal((slug or "").strip().lower(), room.slug)


def require_access(user: User, room: Room, *, owner_only: bool = False) -> Access:
    """Refuse a member who may not manage `room`; the room stays hidden from them."""
    level = access(user, room)
    if level is None:
        raise NotFound(N_("No such room."))
    if owner_only and level != "owner":
        raise Forbidden(N_("Only the room's owner may do this."), code="owner_only")
    return level


async def removal(
    *, db: AsyncSession, room_id: int, meeting_number: int, participant_id: str
) -> MeetingRemoval | None:
    """How a moderator took this participant out of this meeting, if they did."""
    return await db.scalar(
        select(MeetingRemoval).where(
            MeetingRemoval.room_id == room_id,
            MeetingRemoval.meeting_number == meeting_number,
            MeetingRemoval.participant_id == participant_id,
        )
    )


async def holds_seat(*, db: AsyncSession, room: Room, claims: JoinClaims) -> bool:
    """Whether these claims let their holder into `room`'s meeting now: a token of this
    meeting (not an earlier one), of someone no moderator has removed from it since."""
    if claims.room_id != room.id or not room.is_open:
        return False
    if claims.meeting_number != room.meeting_number:
        return False
    removed = await removal(
        db=db,
        room_id=room.id,
        meeting_number=claims.meeting_number,
        participant_id=claims.participant_id,
    )
    return removed is None


async def effective_settings(*, db: AsyncSession, room: Room) -> dict[str, Any]:
    """The settings that apply to `room`: its own, unless administrators force them."""
    site = await policies.load(db=db)
    return {
        key: site[key].value if site[key].forced else getattr(room, key)
        for key in policies.SETTING_KEYS
    }


def can_open(user: User | None, room: Room, settings: dict[str, Any]) -> bool:
    if user is None:
        return False
    return access(user, room) is not None or bool(settings["anyone_can_open"])


async def list_for(*, db: AsyncSession, user: User) -> Sequence[Room]:
    """The rooms `user` owns or that are shared with them."""
    shared = select(RoomShare.room_id).where(RoomShare.user_id == user.id)
    query = (
        select(Room)
        .where(or_(Room.owner_id == user.id, Room.id.in_(shared)))
        .order_by(Room.name, Room.id)
    )
    return (await db.scalars(query)).all()


async def present_counts(*, db: AsyncSession, rooms: Sequence[Room]) -> dict[int, int]:
    """How many people are in each open room now."""
    open_rooms = {r.id: r.meeting_number for r in rooms if r.is_open}
    if not open_rooms:
        return {}
    rows = await db.execute(
        select(RoomParticipant.room_id, RoomParticipant.meeting_number, func.count())
        .where(
            RoomParticipant.room_id.in_(open_rooms),
            RoomParticipant.last_seen_at > utcnow() - PRESENCE_GRACE,
        )
        .group_by(RoomParticipant.room_id, RoomParticipant.meeting_number)
    )
    return {room_id: count for room_id, number, count in rows if open_rooms.get(room_id) == number}


# Managing rooms


async def create(*, db: AsyncSession, owner: User, name: str) -> Room:
    """Create a room, closed, with the site's defaults."""
    site = await policies.load(db=db)
    for _attempt in range(5):
        room = Room(
            slug=new_slug(),
            name=name,
            owner_id=owner.id,
            is_open=False,
            **{key: site[key].value for key in policies.SETTING_KEYS},
        )
        db.add(room)
        try:
            await db.commit()
        except IntegrityError:  # pragma: no cover - a slug collision, one in 2**54
            await db.rollback()
            continue
        await db.refresh(room, ["shares"])
        return room
    raise RuntimeError("could not find a free room slug")


async def update(
    *,
    db: AsyncSession,
    actor: User,
    room: Room,
    name: str | None = None,
    settings: dict[str, Any] | None = None,
    access_code: str | None = None,
) -> Room:
    """Rename `room` or change its settings; settings forced by administrators stay as they are."""
    require_access(actor, room)
    site = await policies.load(db=db)
    for key, value in (settings or {}).items():
        if key not in policies.SETTING_KEYS:
            raise Invalid(N_("Unknown room setting."), code="unknown_setting")
        if site[key].forced and value != site[key].value:
            raise Forbidden(
                N_("This setting is set by the administrators for every room."),
                code="setting_forced",
            )
        setattr(room, key, value)
    if name is not None:
        room.name = name
    if access_code is not None:
        room.access_code = access_code or None
    await db.commit()
    return room


async def delete_room(*, db: AsyncSession, bus: Bus, actor: User, room: Room) -> None:
    require_access(actor, room, owner_only=True)
    room_id, was_open = room.id, room.is_open
    await db.delete(room)
    await db.commit()
    if was_open:
        await channel.publish(bus, room_id, channel.Closed(reason="deleted"))


async def share(*, db: AsyncSession, actor: User, room: Room, email: str) -> User:
    """Share the management of `room` with the member who has `email`."""
    require_access(actor, room, owner_only=True)
    member = await accounts.get_by_email(db=db, email=email)
    # An address no one has proven to be theirs names no one yet (see accounts.mark_verified).
    if member is None or not member.is_active or not member.email_verified:
        raise NotFound(N_("No member has this email address."), code="no_such_member")
    if member.id == room.owner_id:
        raise Conflict(N_("This member owns the room already."), code="already_owner")
    if all(s.user_id != member.id for s in room.shares):
        db.add(RoomShare(room_id=room.id, user_id=member.id))
        await db.commit()
        await db.refresh(room, ["shares"])
    return member


async def unshare(*, db: AsyncSession, actor: User, room: Room, user_id: int) -> None:
    require_access(actor, room, owner_only=True)
    await db.execute(
        delete(RoomShare).where(RoomShare.room_id == room.id, RoomShare.user_id == user_id)
    )
    await db.commit()
    await db.refresh(room, ["shares"])


async def open_room(*, db: AsyncSession, bus: Bus, actor: User, room: Room) -> Room:
    """Open `room` for a new meeting; opening an open room changes nothing."""
    settings = await effective_settings(db=db, room=room)
    if not can_open(actor, room, settings):
        raise Forbidden(N_("Only the room's moderators may open it."), code="cannot_open")
    if room.is_open:
        return room
    room.is_open = True
    room.meeting_number += 1
    room.opened_at = utcnow()
    room.presenter = None
    room.layout = None
    # Removals and bans are for the meeting they were made in.
    await db.execute(delete(MeetingRemoval).where(MeetingRemoval.room_id == room.id))
    await db.commit()
    await channel.publish(bus, room.id, channel.Opened(meeting=room.meeting_number))
    return room


async def close_room(*, db: AsyncSession, bus: Bus, actor: User | None, room: Room) -> Room:
    """Close `room`: the meeting ends for everyone in it; the waiting room empties."""
    if actor is not None:
        require_access(actor, room)
    if not room.is_open:
        return room
    room.is_open = False
    # The presenter and the pushed layout are the meeting's.
    room.presenter = None
    room.layout = None
    await db.execute(delete(RoomParticipant).where(RoomParticipant.room_id == room.id))
    await db.execute(delete(WaitingEntry).where(WaitingEntry.room_id == room.id))
    await db.commit()
    await channel.publish(bus, room.id, channel.Closed(reason="closed"))
    return room


# Entering a room


async def join(
    *,
    db: AsyncSession,
    bus: Bus,
    secret: str,
    room: Room,
    viewer: User | None,
    guest_id: str | None = None,
    name: str | None = None,
    access_code: str | None = None,
    ticket: str | None = None,
    invited: bool = False,
) -> tuple[JoinClaims, str]:
    """Decide whether this person enters `room` now; return their claims and join token.

    `guest_id`: a guest's public id, derived from their signed guest cookie
    (`parley.rooms.guests`), never a value the browser chose; None gives a fresh one.
    `invited`: someone in the meeting asked this member in and they accepted, which lets
    them past the access code and the waiting room, as a moderator's admission would.

    Someone a moderator removed from this meeting comes in again through this door only
    (their old token stays refused), and someone banned from it does not.

    Raises RoomRefusal with the reason (`room_closed`, `guests_not_allowed`,
    `name_required`, `bad_access_code`, `refused`, `banned`) or WaitingForApproval with a
    ticket.
    """
    settings = await effective_settings(db=db, room=room)
    if viewer is None and not settings["allow_guests"]:
        raise RoomRefusal(
            N_("This room is for members only. Please log in."), code="guests_not_allowed"
        )
    if not room.is_open:
        raise RoomRefusal(
            N_("This room is not open yet. You will enter as soon as a moderator opens it."),
            code="room_closed",
        )
    manager = access(viewer, room) is not None
    admitted = await _admitted_entry(db=db, room=room, ticket=ticket) if ticket else None
    if admitted is not None:
        # Let in by a moderator: the access code was checked before they were put to wait.
        removed = await _unbanned_removal(db=db, room=room, participant_id=admitted.participant_id)
        claims = JoinClaims(
            room_id=room.id,
            meeting_number=room.meeting_number,
            participant_id=admitted.participant_id,
            name=admitted.display_name,
            role="moderator" if manager or settings["all_moderators"] else "participant",
            user_id=admitted.user_id,
        )
        await _forget(db, removed)
        return claims, sign_join(secret, claims)
    display_name = viewer.display_name if viewer is not None else (name or "").strip()
    if not display_name:
        raise RoomRefusal(N_("Please type your name."), code="name_required")
    sent_code = (access_code or "").strip()
    code_ok = bool(sent_code) and constant_time_equal(sent_code, room.access_code or "")
    if room.access_code and not manager and not code_ok and not invited:
        raise RoomRefusal(N_("This access code is not right."), code="bad_access_code")

    role: Role = "moderator" if manager or settings["all_moderators"] else "participant"
    participant_id = f"u{viewer.id}" if viewer is not None else f"g{guest_id or new_token()[:16]}"
    removed = await _unbanned_removal(db=db, room=room, participant_id=participant_id)
    waits = (
        role != "moderator"
        and not invited
        and (
            settings["waiting_room"] == "everyone"
            or (settings["waiting_room"] == "guests" and viewer is None)
        )
    )
    if waits:
        await _pass_waiting_room(
            db=db,
            bus=bus,
            room=room,
            ticket=ticket,
            participant_id=participant_id,
            name=display_name,
            user_id=viewer.id if viewer else None,
        )
    claims = JoinClaims(
        room_id=room.id,
        meeting_number=room.meeting_number,
        participant_id=participant_id,
        name=display_name,
        role=role,
        user_id=viewer.id if viewer is not None else None,
    )
    await _forget(db, removed)
    return claims, sign_join(secret, claims)


async def _unbanned_removal(
    *, db: AsyncSession, room: Room, participant_id: str
) -> MeetingRemoval | None:
    """Refuse someone banned from the meeting; return the removal of someone removed
    without a ban, which their coming in again ends."""
    removed = await removal(
        db=db, room_id=room.id, meeting_number=room.meeting_number, participant_id=participant_id
    )
    if removed is not None and removed.banned:
        raise RoomRefusal(N_("A moderator removed you from this meeting."), code="banned")
    return removed


async def _forget(db: AsyncSession, removed: MeetingRemoval | None) -> None:
    if removed is not None:
        await db.delete(removed)
        await db.commit()


async def _admitted_entry(*, db: AsyncSession, room: Room, ticket: str) -> WaitingEntry | None:
    entry = await db.scalar(
        select(WaitingEntry).where(
            WaitingEntry.ticket_hash == token_hash(ticket),
            WaitingEntry.room_id == room.id,
            WaitingEntry.meeting_number == room.meeting_number,
            WaitingEntry.status == "admitted",
        )
    )
    return entry


async def _pass_waiting_room(
    *,
    db: AsyncSession,
    bus: Bus,
    room: Room,
    ticket: str | None,
    participant_id: str,
    name: str,
    user_id: int | None,
) -> None:
    """Let an admitted person through; otherwise register them (once) and make them wait."""
    if ticket:
        entry = await db.scalar(
            select(WaitingEntry).where(
                WaitingEntry.ticket_hash == token_hash(ticket),
                WaitingEntry.room_id == room.id,
                WaitingEntry.meeting_number == room.meeting_number,
            )
        )
        if entry is not None:
            if entry.status == "admitted":
                return
            if entry.status == "refused":
                raise RoomRefusal(N_("A moderator did not let you in."), code="refused")
            raise WaitingForApproval(ticket=ticket, entry_id=entry.id)
    ticket = new_token()
    entry = WaitingEntry(
        room_id=room.id,
        meeting_number=room.meeting_number,
        ticket_hash=token_hash(ticket),
        participant_id=participant_id,
        display_name=name,
        user_id=user_id,
        status="pending",
    )
    db.add(entry)
    await db.commit()
    await channel.publish(bus, room.id, channel.Waiting())
    raise WaitingForApproval(ticket=ticket, entry_id=entry.id)


async def waiting_entry(*, db: AsyncSession, room: Room, ticket: str) -> WaitingEntry | None:
    return await db.scalar(
        select(WaitingEntry).where(
            WaitingEntry.ticket_hash == token_hash(ticket), WaitingEntry.room_id == room.id
        )
    )


async def pending(*, db: AsyncSession, room: Room) -> Sequence[WaitingEntry]:
    query = (
        select(WaitingEntry)
        .where(
            WaitingEntry.room_id == room.id,
            WaitingEntry.meeting_number == room.meeting_number,
            WaitingEntry.status == "pending",
        )
        .order_by(WaitingEntry.id)
    )
    return (await db.scalars(query)).all()


async def decide(
    *, db: AsyncSession, bus: Bus, room: Room, entry_id: int, admit: bool
) -> WaitingEntry:
    """Admit or refuse someone in the waiting room. The caller checks the moderator's right."""
    entry = await db.get(WaitingEntry, entry_id)
    if entry is None or entry.room_id != room.id or entry.meeting_number != room.meeting_number:
        raise NotFound(N_("This person is no longer waiting."), code="not_waiting")
    if entry.status == "pending":
        entry.status = "admitted" if admit else "refused"
        entry.decided_at = utcnow()
        await db.commit()
        await channel.publish(
            bus,
            room.id,
            channel.Decision(entry=entry.id, status="admitted" if admit else "refused"),
        )
        await channel.publish(bus, room.id, channel.Waiting())
    return entry
