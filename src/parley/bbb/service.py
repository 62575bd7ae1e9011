"""The BigBlueButton-compatible API's state changes: meetings are Parley rooms.

A meeting a client creates is a room owned by the API's own account (made on first use,
listed to administrators with every room); `create` opens it, `end` closes it as a
moderator's "end for all" does. Whoever `join` lets in gets Parley's own join claims for
the room's meeting, with the name and role the client gave: no Parley account is needed,
the client's checksum vouched for them.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import NAME_MAX, User
from parley.bbb.answers import ApiFailure, invalid_password, missing, not_found
from parley.bbb.models import BbbAttendee, BbbMeeting
from parley.bus import Bus
from parley.meetings import service as meetings
from parley.rooms import service as rooms
from parley.rooms.models import Room, RoomParticipant
from parley.rooms.service import JoinClaims, Role
from parley.security import new_token, sign

# The API's account: it owns the rooms the API makes. It has no password: nobody logs in as it.
API_ACCOUNT_EMAIL = "bigbluebutton-api@parley.invalid"
API_ACCOUNT_NAME = "BigBlueButton API"
# A join URL's way into the meeting is good for this long: a client hands it to the
# browser at once (BigBlueButton's session tokens are as short-lived).
ENTER_SECONDS = 300
# Parameters of create kept as they were sent and given back by getMeetingInfo.
KEPT_OPTIONS = (
    "welcome",
    "record",
    "duration",
    "maxParticipants",
    "logoutURL",
    "muteOnStart",
    "guestPolicy",
)
# BigBlueButton's lock settings → Parley's meeting locks (parley.meetings.protocol.LOCKABLE).
LOCKS = {
    "lockSettingsDisablePublicChat": "chat",
    "lockSettingsDisablePrivateChat": "private_chat",
    "lockSettingsDisableMic": "microphone",
    "lockSettingsDisableCam": "camera",
}
# A metadata name that can be an XML element's name.
META = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
GUEST_POLICIES = {"ALWAYS_ACCEPT", "ALWAYS_DENY", "ASK_MODERATOR"}


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _int(params: Mapping[str, str], name: str) -> int:
    value = params.get(name, "").strip()
    if not value:
        return 0
    try:
        return int(value)
    except ValueError:
        raise ApiFailure("invalidParam", f"The {name} parameter must be a number.") from None


def meeting_id_of(params: Mapping[str, str]) -> str:
    meeting_id = params.get("meetingID", "").strip()
    if not meeting_id:
        raise missing("meetingID", "You must specify a meeting ID for the meeting.")
    if len(meeting_id) > 256:
        raise ApiFailure("sizeError", "Meeting ID must be less than 256 characters")
    return meeting_id


async def api_account(*, db: AsyncSession) -> User:
    """The account that owns the API's rooms, made on first use."""
    user = await db.scalar(select(User).where(User.email == API_ACCOUNT_EMAIL))
    if user is not None:
        return user
    db.add(User(email=API_ACCOUNT_EMAIL, display_name=API_ACCOUNT_NAME, password_hash=None))
    try:
        await db.commit()
    except IntegrityError:  # another process made it first
        await db.rollback()
    found = await db.scalar(select(User).where(User.email == API_ACCOUNT_EMAIL))
    assert found is not None
    return found


async def find(*, db: AsyncSession, meeting_id: str) -> BbbMeeting | None:
    return await db.scalar(select(BbbMeeting).where(BbbMeeting.meeting_id == meeting_id))


async def current(*, db: AsyncSession, params: Mapping[str, str]) -> BbbMeeting:
    """The meeting `params` name while it goes on, else BigBlueButton's notFound."""
    meeting = await find(db=db, meeting_id=meeting_id_of(params))
    if meeting is None or not meeting.room.is_open:
        raise not_found()
    return meeting


def internal_id(meeting: BbbMeeting) -> str:
    """BigBlueButton's internal meeting id: a hash of the meetingID and the create time."""
    name = hashlib.sha1(meeting.meeting_id.encode(), usedforsecurity=False).hexdigest()
    return f"{name}-{meeting.create_time}"


def voice_bridge(meeting: BbbMeeting) -> str:
    return str(70000 + meeting.room_id % 10000)


def _apply_options(room: Room, params: Mapping[str, str]) -> None:
    """What Parley does with create's parameters: muted on start, the meeting's locks."""
    room.mute_on_join = _true(params.get("muteOnStart"))
    # Locks apply from the start unless the client said lockSettingsLockOnJoin=false.
    applied = _true(params.get("lockSettingsLockOnJoin", "true"))
    room.locks = {lock: True for name, lock in LOCKS.items() if applied and _true(params.get(name))}


async def create(
    *, db: AsyncSession, bus: Bus, params: Mapping[str, str]
) -> tuple[BbbMeeting, bool]:
    """Create and open the meeting; return it and whether it was going on already.

    Creating a meeting that goes on is idempotent when the passwords sent are its own
    (one not sent matches); other passwords are BigBlueButton's idNotUnique. Creating
    one that ended starts a new meeting in the same room.
    """
    meeting_id = meeting_id_of(params)
    name = (params.get("name") or meeting_id).strip()[:NAME_MAX] or meeting_id[:NAME_MAX]
    policy = params.get("guestPolicy", "").strip()
    if policy and policy not in GUEST_POLICIES:
        raise ApiFailure("invalidParam", "The guestPolicy parameter is not valid.")
    _int(params, "duration")
    _int(params, "maxParticipants")
    existing = await find(db=db, meeting_id=meeting_id)
    if existing is not None and existing.room.is_open:
        for param, kept in (
            ("attendeePW", existing.attendee_pw),
            ("moderatorPW", existing.moderator_pw),
        ):
            if param in params and params[param] != kept:
                raise ApiFailure(
                    "idNotUnique",
                    "A meeting already exists with that meeting ID. "
                    "Please use a different meeting ID.",
                )
        return existing, True
    account = await api_account(db=db)
    if existing is None:
        room = await rooms.create(db=db, owner=account, name=name)
        meeting = BbbMeeting(meeting_id=meeting_id, room_id=room.id, name=name, create_time=0)
        db.add(meeting)
    else:
        meeting, room = existing, existing.room
        room.name = name
    meeting.name = name
    # Without passwords BigBlueButton makes random ones; so does Parley.
    meeting.attendee_pw = params.get("attendeePW") or new_token(nbytes=6)
    meeting.moderator_pw = params.get("moderatorPW") or new_token(nbytes=6)
    meeting.create_time = int(time.time() * 1000)
    meeting.options = {key: params[key] for key in KEPT_OPTIONS if key in params}
    meeting.options.update({k: v for k, v in params.items() if k.startswith("lockSettings")})
    # BigBlueButton keeps metadata names in lower case; each becomes an XML element's name.
    meeting.meta = {
        k[5:].lower(): v for k, v in params.items() if k.startswith("meta_") and META.match(k[5:])
    }
    _apply_options(room, params)
    try:
        await db.commit()
    except IntegrityError:  # the same meetingID created at once by another request
        await db.rollback()
        raced = await find(db=db, meeting_id=meeting_id)
        if raced is None:  # pragma: no cover - the other creation failed too
            raise
        return raced, True
    await rooms.open_room(db=db, bus=bus, actor=account, room=room)
    await db.refresh(meeting)
    return meeting, False


@dataclass(frozen=True)
class Joined:
    claims: JoinClaims
    user_id: str


async def join(
    *, db: AsyncSession, secret: str, params: Mapping[str, str]
) -> tuple[BbbMeeting, Joined]:
    """Let someone into the meeting with the name and role the client gave."""
    meeting_id = meeting_id_of(params)
    full_name = params.get("fullName", "").strip()[:NAME_MAX]
    if not full_name:
        raise missing("fullName", "You must specify a name for the attendee who will be joining.")
    meeting = await find(db=db, meeting_id=meeting_id)
    if meeting is None or not meeting.room.is_open:
        raise not_found()
    create_time = params.get("createTime", "").strip()
    if create_time and create_time != str(meeting.create_time):
        raise ApiFailure(
            "mismatchCreateTimeParam",
            "The createTime parameter submitted mismatches with the current meeting.",
        )
    role = _role(meeting, params)
    room = meeting.room
    limit = _int(meeting.options, "maxParticipants")
    if limit and await meetings.head_count(db, room) >= limit:
        raise ApiFailure(
            "maxParticipantsReached",
            "The number of participants allowed for this meeting has been reached.",
        )
    user_id = params.get("userID", "").strip()[:256]
    if user_id:
        # The same userID is the same participant each time (one seat, across devices).
        participant = "g" + sign(secret, "bbb-user", f"{meeting.id}:{user_id}")[:24]
    else:
        participant = "g" + new_token()[:16]
    claims = JoinClaims(
        room_id=room.id,
        meeting_number=room.meeting_number,
        participant_id=participant,
        name=full_name,
        role=role,
        user_id=None,
    )
    known = await db.scalar(
        select(BbbAttendee).where(
            BbbAttendee.meeting_id == meeting.id, BbbAttendee.participant_id == participant
        )
    )
    if known is None:
        db.add(BbbAttendee(meeting_id=meeting.id, participant_id=participant, user_id=user_id))
        try:
            await db.commit()
        except IntegrityError:  # the same userID joining twice at once
            await db.rollback()
    return meeting, Joined(claims=claims, user_id=user_id or participant)


def _role(meeting: BbbMeeting, params: Mapping[str, str]) -> Role:
    """MODERATOR or VIEWER as `role` says, else as the legacy password says."""
    role = params.get("role", "").strip().upper()
    if role == "MODERATOR":
        return "moderator"
    if role == "VIEWER":
        return "participant"
    password = params.get("password", "")
    if password and password == meeting.moderator_pw:
        return "moderator"
    if password and password == meeting.attendee_pw:
        return "participant"
    raise invalid_password()


def _enter_serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="parley.bbb-enter")


def enter_token(secret: str, claims: JoinClaims) -> str:
    """A short-lived signed way into the meeting for these claims (the join URL's)."""
    return _enter_serializer(secret).dumps(
        {
            "room_id": claims.room_id,
            "meeting_number": claims.meeting_number,
            "participant_id": claims.participant_id,
            "name": claims.name,
            "role": claims.role,
        }
    )


def read_enter(secret: str, token: str) -> JoinClaims | None:
    try:
        data = _enter_serializer(secret).loads(token, max_age=ENTER_SECONDS)
        return JoinClaims(**data, user_id=None)
    except (BadSignature, TypeError, ValueError):
        return None


async def end(*, db: AsyncSession, bus: Bus, params: Mapping[str, str]) -> None:
    """End the meeting for everyone in it, as a moderator's "end for all": the room closes.

    Modern clients send no password; one that sends one must send the moderator's.
    """
    meeting = await current(db=db, params=params)
    password = params.get("password")
    if password is not None and password != meeting.moderator_pw:
        raise invalid_password()
    account = await api_account(db=db)
    await rooms.close_room(db=db, bus=bus, actor=account, room=meeting.room)


async def attendees(
    *, db: AsyncSession, meeting: BbbMeeting
) -> Sequence[tuple[RoomParticipant, str]]:
    """Who is in the meeting now, with the userID each joined with, in the order they came."""
    room = meeting.room
    if not room.is_open:
        return []
    rows = (
        await db.scalars(
            select(RoomParticipant)
            .where(
                RoomParticipant.room_id == room.id,
                RoomParticipant.meeting_number == room.meeting_number,
            )
            .order_by(RoomParticipant.joined_at, RoomParticipant.id)
        )
    ).all()
    found = await db.execute(
        select(BbbAttendee.participant_id, BbbAttendee.user_id).where(
            BbbAttendee.meeting_id == meeting.id
        )
    )
    known = {participant: user_id for participant, user_id in found.all()}
    return [(row, known.get(row.participant_id) or row.participant_id) for row in rows]


async def list_meetings(*, db: AsyncSession) -> Sequence[BbbMeeting]:
    """The API's meetings that go on now."""
    found = await db.scalars(
        select(BbbMeeting).join(Room).where(Room.is_open.is_(True)).order_by(BbbMeeting.id)
    )
    return found.all()


def info(meeting: BbbMeeting, people: Sequence[tuple[RoomParticipant, str]]) -> dict[str, Any]:
    """getMeetingInfo's fields (also each meeting of getMeetings)."""
    room = meeting.room
    created = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(meeting.create_time / 1000))
    moderators = sum(1 for row, _ in people if row.role == "moderator")
    return {
        "meetingName": meeting.name,
        "meetingID": meeting.meeting_id,
        "internalMeetingID": internal_id(meeting),
        "createTime": meeting.create_time,
        "createDate": created,
        "voiceBridge": voice_bridge(meeting),
        "dialNumber": "",
        "attendeePW": meeting.attendee_pw,
        "moderatorPW": meeting.moderator_pw,
        "running": room.is_open and bool(people),
        "duration": meeting.options.get("duration", "0") or "0",
        "hasUserJoined": bool(people),
        "recording": False,
        "hasBeenForciblyEnded": False,
        "startTime": meeting.create_time,
        "endTime": 0,
        "participantCount": len(people),
        "listenerCount": 0,
        "voiceParticipantCount": sum(1 for row, _ in people if not row.muted),
        "videoCount": sum(1 for row, _ in people if row.camera),
        "maxUsers": meeting.options.get("maxParticipants", "0") or "0",
        "moderatorCount": moderators,
        "attendees": [
            (
                "attendee",
                {
                    "userID": user_id,
                    "fullName": row.display_name,
                    "role": "MODERATOR" if row.role == "moderator" else "VIEWER",
                    "isPresenter": room.presenter == row.participant_id,
                    "isListeningOnly": False,
                    "hasJoinedVoice": not row.muted,
                    "hasVideo": row.camera,
                    "clientType": "HTML5",
                },
            )
            for row, user_id in people
        ],
        "metadata": dict(meeting.meta),
        "isBreakout": False,
    }
