"""State changes of a live meeting: who is in it and their states, chat, moderation.

Every change is written with a numbered event in one transaction, then published on the
room's bus channel after the commit; every process's hub passes it to its own sockets.
Rights come from the participant's row (a promotion lasts), never from the message.

One participant at a time presents (`Room.presenter`): they move the stage, draw on a closed
whiteboard and drive the shared video. A moderator who comes into a meeting nobody presents in
(joining, or promoted) presents; when the presenter leaves or is removed, the moderator who
has been in the meeting longest does, else nobody. A moderator may hand the role to anyone in
the meeting (`set_presenter`); a demotion leaves it where it is, so a participant may present.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.bus import Bus
from parley.db import utcnow
from parley.errors import N_, Conflict, Forbidden, NotFound
from parley.media.sfu import uses_sfu
from parley.meetings import access, events
from parley.meetings.events import Among, Changes, Updated, event_message, gap_message
from parley.meetings.models import ChatMessage, MeetingEvent
from parley.meetings.protocol import LOCKABLE
from parley.rooms import service as rooms
from parley.rooms.models import MeetingRemoval, Room, RoomParticipant
from parley.rooms.service import JoinClaims

# A participant whose connections all dropped stays listed this long, so a reconnection
# (a network blip, a page reload) does not show them leaving and coming back.
LEAVE_GRACE = timedelta(seconds=15)
# Chat messages sent with the snapshot; older ones stay in the export.
CHAT_HISTORY = 200
# Beyond this many missed events a reconnecting client gets a fresh snapshot instead (kept
# below a socket's outbox limit, so a replay always fits in it).
MAX_REPLAY = 400


def on_stage(row: RoomParticipant, *, webinar: bool) -> bool:
    """Whether the participant is seen and heard: everyone outside a webinar; in one, the
    moderators and the people a moderator brought on stage."""
    return not webinar or row.role == "moderator" or row.on_stage


def seen_by(row: RoomParticipant, *, webinar: bool) -> Among | None:
    """Who sees the changes of this participant: everyone, unless they are off a webinar's
    stage (then the people on it, and themself)."""
    if on_stage(row, webinar=webinar):
        return None
    return Among(stage=True, also=(row.participant_id,))


async def is_webinar(db: AsyncSession, room: Room) -> bool:
    return bool((await rooms.effective_settings(db=db, room=room))["webinar"])


async def head_count(db: AsyncSession, room: Room) -> int:
    """How many people are in the room's meeting now."""
    await db.flush()
    count = await db.scalar(
        select(func.count())
        .select_from(RoomParticipant)
        .where(
            RoomParticipant.room_id == room.id,
            RoomParticipant.meeting_number == room.meeting_number,
        )
    )
    return count or 0


def participant_view(row: RoomParticipant, room: Room, *, webinar: bool) -> dict[str, Any]:
    """A participant of `room`'s meeting as `events.ParticipantView` has them."""
    return {
        "id": row.participant_id,
        "name": row.display_name,
        "role": row.role,
        "guest": row.participant_id.startswith("g"),
        "muted": row.muted,
        "camera": row.camera,
        "screen": row.screen,
        "hand": row.hand_raised_at.isoformat() if row.hand_raised_at else None,
        "presenter": room.presenter == row.participant_id,
        "stage": on_stage(row, webinar=webinar),
    }


def chat_view(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "from": message.sender_id,
        "from_name": message.sender_name,
        "to": message.recipient_id,
        "to_name": message.recipient_name,
        "text": message.text,
        "at": message.created_at.isoformat(),
    }


async def participant(*, db: AsyncSession, claims: JoinClaims) -> RoomParticipant | None:
    """This participant's row in the current meeting, if they are in it."""
    row = await access.row(db, claims.room_id, claims.participant_id)
    return row if row is not None and row.meeting_number == claims.meeting_number else None


def current_video(room: Room) -> dict[str, Any] | None:
    """The video shared in the room's meeting now (one of an earlier meeting is over)."""
    video = room.video
    return video if video and video.get("meeting") == room.meeting_number else None


async def _refuse_removed(*, db: AsyncSession, claims: JoinClaims) -> None:
    """Refuse a join token whose holder a moderator took out of its meeting."""
    removal = await rooms.removal(
        db=db,
        room_id=claims.room_id,
        meeting_number=claims.meeting_number,
        participant_id=claims.participant_id,
    )
    if removal is None:
        return
    if removal.banned:
        raise access.Refused(N_("A moderator removed you from this meeting."), code="banned")
    raise access.Refused(
        N_("A moderator removed you from this meeting. Open its link to ask to come back in."),
        code="not_in_meeting",
    )


# Joining and leaving


async def connect(*, db: AsyncSession, bus: Bus, claims: JoinClaims) -> RoomParticipant:
    """Count a new connection of this participant; the first one makes them join."""
    room = await access.current_room(db, claims)
    await _refuse_removed(db=db, claims=claims)
    settings = await rooms.effective_settings(db=db, room=room)
    webinar = bool(settings["webinar"])
    changes = Changes(db, room.id)
    row = await access.row(db, room.id, claims.participant_id)
    now = utcnow()
    if row is not None and row.meeting_number != claims.meeting_number:
        await db.delete(row)
        await db.flush()
        row = None
    if row is None:
        row = RoomParticipant(
            room_id=room.id,
            meeting_number=claims.meeting_number,
            participant_id=claims.participant_id,
            display_name=claims.name,
            role=claims.role,
            connections=1,
            muted=bool(settings["mute_on_join"]),
            camera=False,
            screen=False,
            joined_at=now,
            last_seen_at=now,
        )
        db.add(row)
        await db.flush()
        if row.role == "moderator" and await _lock_presenter(db, room) is None:
            room.presenter = row.participant_id
        await changes.add(
            events.Joined(**participant_view(row, room, webinar=webinar)),
            seen_by(row, webinar=webinar),
        )
        if webinar:
            await changes.add(events.Audience(count=await head_count(db, room)))
    else:
        row.connections += 1
        row.last_seen_at = now
        row.disconnected_at = None
    await changes.commit(bus)
    return row


async def disconnect(*, db: AsyncSession, claims: JoinClaims) -> None:
    """Count one connection less; with none left, the grace period starts."""
    row = await access.row(db, claims.room_id, claims.participant_id)
    if row is None or row.meeting_number != claims.meeting_number:
        return
    row.connections = max(0, row.connections - 1)
    if row.connections == 0:
        row.disconnected_at = utcnow()
    await db.commit()


async def leave(*, db: AsyncSession, bus: Bus, claims: JoinClaims) -> None:
    """The participant pressed Leave: they leave the list at once, without a grace period."""
    row = await access.row(db, claims.room_id, claims.participant_id)
    if row is None or row.meeting_number != claims.meeting_number:
        return
    room = await db.get(Room, claims.room_id)
    assert room is not None  # the participant's row goes with it
    await db.delete(row)
    changes = Changes(db, claims.room_id)
    await _left(db, changes, room, row)
    await changes.commit(bus)


async def _left(db: AsyncSession, changes: Changes, room: Room, row: RoomParticipant) -> None:
    """Say that `row`'s participant left (its row deleted in this transaction)."""
    webinar = await is_webinar(db, room)
    await changes.add(events.Left(id=row.participant_id), seen_by(row, webinar=webinar))
    await _hand_over(db, changes, row)
    if webinar:
        await changes.add(events.Audience(count=await head_count(db, room)))


async def touch(*, db: AsyncSession, room_id: int, participant_ids: Sequence[str]) -> None:
    """Mark these participants as still connected (one statement for a whole process)."""
    if not participant_ids:
        return
    await db.execute(
        update(RoomParticipant)
        .where(
            RoomParticipant.room_id == room_id,
            RoomParticipant.participant_id.in_(participant_ids),
        )
        .values(last_seen_at=utcnow())
    )
    await db.commit()


async def sweep(*, db: AsyncSession, bus: Bus, stale_after: timedelta) -> int:
    """Remove participants gone for longer than the grace period, or whose process died."""
    now = utcnow()
    candidates = (
        await db.scalars(
            select(RoomParticipant).where(
                or_(
                    (RoomParticipant.connections == 0)
                    & (RoomParticipant.disconnected_at < now - LEAVE_GRACE),
                    RoomParticipant.last_seen_at < now - stale_after,
                )
            )
        )
    ).all()
    removed = 0
    for row in candidates:
        # Several processes sweep: only the one whose delete takes the row says they left.
        result = await db.execute(
            delete(RoomParticipant).where(
                RoomParticipant.id == row.id,
                or_(
                    (RoomParticipant.connections == 0)
                    & (RoomParticipant.disconnected_at < now - LEAVE_GRACE),
                    RoomParticipant.last_seen_at < now - stale_after,
                ),
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            await db.rollback()
            continue
        changes = Changes(db, row.room_id)
        room = await db.get(Room, row.room_id)
        if room is not None:
            await _left(db, changes, room, row)
        await changes.commit(bus)
        removed += 1
    return removed


# Snapshot and replay


async def snapshot(*, db: AsyncSession, claims: JoinClaims) -> dict[str, Any]:
    room = await access.current_room(db, claims)
    me = await access.actor(db, claims)
    participants = (
        await db.scalars(
            select(RoomParticipant)
            .where(
                RoomParticipant.room_id == room.id,
                RoomParticipant.meeting_number == room.meeting_number,
            )
            .order_by(RoomParticipant.joined_at, RoomParticipant.id)
        )
    ).all()
    mine = claims.participant_id
    webinar = await is_webinar(db, room)
    # Off a webinar's stage, one sees the people on it and oneself.
    shown = [
        p
        for p in participants
        if on_stage(me, webinar=webinar) or on_stage(p, webinar=webinar) or p is me
    ]
    chat = (
        await db.scalars(
            select(ChatMessage)
            .where(
                ChatMessage.room_id == room.id,
                ChatMessage.meeting_number == room.meeting_number,
                or_(
                    ChatMessage.recipient_id.is_(None),
                    ChatMessage.recipient_id == mine,
                    ChatMessage.sender_id == mine,
                ),
            )
            .order_by(ChatMessage.id.desc())
            .limit(CHAT_HISTORY)
        )
    ).all()
    return {
        "type": "welcome",
        "last_event": room.event_seq,
        "you": participant_view(me, room, webinar=webinar),
        "participants": [participant_view(p, room, webinar=webinar) for p in shown],
        "count": len(participants),
        "webinar": webinar,
        "chat": [chat_view(m) for m in reversed(chat)],
        "locks": dict(room.locks or {}),
        "video": current_video(room),
        "layout": room.layout,
        "media": {"transport": "sfu" if uses_sfu(room) else "mesh"},
        "server_time": time.time(),
    }


async def missed(
    *, db: AsyncSession, claims: JoinClaims, after: int
) -> list[dict[str, Any]] | None:
    """The events after `after` this participant may see, or None when a snapshot is needed."""
    room = await access.current_room(db, claims)
    if after > room.event_seq or room.event_seq - after > MAX_REPLAY:
        return None
    events = (
        await db.scalars(
            select(MeetingEvent)
            .where(MeetingEvent.room_id == room.id, MeetingEvent.seq > after)
            .order_by(MeetingEvent.seq)
        )
    ).all()
    if len(events) != room.event_seq - after:
        return None
    mine = claims.participant_id
    if any(e.kind == Updated.KIND and e.data.get("id") == mine for e in events) and (
        await is_webinar(db, room)
    ):
        # Their role or stage may have changed meanwhile, and with it whom they see.
        return None
    # Events another participant may not see still use up their numbers: send a gap filler.
    return [
        event_message(e)
        if e.audience is None or claims.participant_id in e.audience
        else gap_message(e.seq)
        for e in events
    ]


# What participants do


async def send_chat(
    *, db: AsyncSession, bus: Bus, claims: JoinClaims, text: str, to: str | None
) -> None:
    room = await access.current_room(db, claims)
    me = await access.actor(db, claims)
    locks = room.locks or {}
    if me.role != "moderator" and locks.get("private_chat" if to else "chat"):
        raise access.Refused(N_("A moderator has turned this chat off."), code="locked")
    recipient = None
    if to is not None:
        recipient = await access.row(db, room.id, to)
        if recipient is None or recipient.meeting_number != room.meeting_number:
            raise access.Refused(N_("This person is not in the meeting."), code="no_recipient")
        if to == me.participant_id:
            raise access.Refused(N_("Choose someone else to write to."), code="no_recipient")
    message = ChatMessage(
        room_id=room.id,
        meeting_number=room.meeting_number,
        sender_id=me.participant_id,
        sender_name=me.display_name,
        recipient_id=recipient.participant_id if recipient else None,
        recipient_name=recipient.display_name if recipient else None,
        text=text,
        created_at=utcnow(),
    )
    db.add(message)
    await db.flush()
    changes = Changes(db, room.id)
    audience = [me.participant_id, recipient.participant_id] if recipient else None
    await changes.add(events.Chat(**chat_view(message)), audience)
    await changes.commit(bus)


async def set_hand(*, db: AsyncSession, bus: Bus, claims: JoinClaims, raised: bool) -> None:
    room = await access.current_room(db, claims)
    me = await access.actor(db, claims)
    if (me.hand_raised_at is not None) == raised:
        return
    me.hand_raised_at = utcnow() if raised else None
    await _updated(db, bus, room, me, webinar=await is_webinar(db, room))


async def _updated(
    db: AsyncSession, bus: Bus, room: Room, row: RoomParticipant, *, webinar: bool
) -> None:
    """Commit a change of one participant's state with its event, to those who see them."""
    changes = Changes(db, room.id)
    view = participant_view(row, room, webinar=webinar)
    await changes.add(events.Updated(**view), seen_by(row, webinar=webinar))
    await changes.commit(bus)


async def update_state(
    *,
    db: AsyncSession,
    bus: Bus,
    claims: JoinClaims,
    muted: bool | None,
    camera: bool | None,
    screen: bool | None,
) -> None:
    """Record my microphone, camera and screen states; locks hold for non-moderators."""
    room = await access.current_room(db, claims)
    me = await access.actor(db, claims)
    locks = room.locks or {}
    if me.role != "moderator":
        if muted is False and locks.get("microphone"):
            raise access.Refused(N_("A moderator has turned microphones off."), code="locked")
        if camera and locks.get("camera"):
            raise access.Refused(N_("A moderator has turned cameras off."), code="locked")
        if screen and locks.get("screen"):
            raise access.Refused(N_("A moderator has turned screen sharing off."), code="locked")
    webinar = await is_webinar(db, room)
    if (muted is False or camera or screen) and not on_stage(me, webinar=webinar):
        raise access.Refused(
            N_("Only the people on stage may turn on a microphone, a camera or a screen."),
            code="not_on_stage",
        )
    for name, value in (("muted", muted), ("camera", camera), ("screen", screen)):
        if value is not None:
            setattr(me, name, value)
    await _updated(db, bus, room, me, webinar=webinar)


async def media_moved(*, db: AsyncSession, bus: Bus, room_id: int, node: str) -> None:
    """Commit the meeting's move to media server `node` (written by `parley.media.sfu`) with
    the event that moves every page's media there."""
    changes = Changes(db, room_id)
    await changes.add(events.Media(transport="sfu", node=node))
    await changes.commit(bus)


async def check_peer(*, db: AsyncSession, claims: JoinClaims, target: str) -> None:
    """Refuse unless both the sender and `target` are in this meeting (before signalling)."""
    room = await access.current_room(db, claims)
    me = await access.actor(db, claims)
    peer = await _target(db, room, target)
    # Outside a webinar everyone is on stage: the room's settings are read (on every signal)
    # only when both would be off the stage of one.
    off_stage = not (on_stage(me, webinar=True) or on_stage(peer, webinar=True))
    if off_stage and await is_webinar(db, room):
        # The audience connects to the people on stage only.
        raise access.Refused(
            N_("People off stage exchange no audio or video with each other."),
            code="not_on_stage",
        )


# What moderators do


async def _target(db: AsyncSession, room: Room, participant_id: str) -> RoomParticipant:
    row = await access.row(db, room.id, participant_id)
    if row is None or row.meeting_number != room.meeting_number:
        raise NotFound(N_("This person is not in the meeting."), code="no_such_participant")
    return row


async def mute(*, db: AsyncSession, bus: Bus, claims: JoinClaims, target: str | None) -> None:
    """A moderator mutes one participant, or (no target) everyone but the moderators."""
    room = await access.current_room(db, claims)
    await access.moderator(db, claims)
    await mute_in(db=db, bus=bus, room=room, target=target, by=claims.participant_id)


async def mute_in(*, db: AsyncSession, bus: Bus, room: Room, target: str | None, by: str) -> int:
    """Mute one participant of the room's meeting, or (no target) everyone but the
    moderators, for participant or member `by`; say how many. The caller checks the right."""
    if target is not None:
        rows = [await _target(db, room, target)]
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
    webinar = await is_webinar(db, room)
    changes = Changes(db, room.id)
    for row in rows:
        row.muted = True
        # `by`: the participant's browser turns its microphone off when someone else did this.
        view = participant_view(row, room, webinar=webinar)
        await changes.add(events.Updated(**view, by=by), seen_by(row, webinar=webinar))
    await changes.commit(bus)
    return len(rows)


async def set_role(
    *, db: AsyncSession, bus: Bus, claims: JoinClaims, target: str, role: str
) -> None:
    room = await access.current_room(db, claims)
    await access.moderator(db, claims)
    row = await _target(db, room, target)
    if role == "participant" and row.participant_id == f"u{room.owner_id}":
        raise Forbidden(N_("The room's owner always moderates it."), code="owner_stays")
    webinar = await is_webinar(db, room)
    was = on_stage(row, webinar=webinar)
    row.role = role
    if role == "moderator" and await _lock_presenter(db, room) is None:
        room.presenter = row.participant_id
    changes = Changes(db, room.id)
    await _stage_moved(changes, room, row, was=was, webinar=webinar, by=claims.participant_id)
    await changes.commit(bus)


async def set_presenter(*, db: AsyncSession, bus: Bus, claims: JoinClaims, target: str) -> None:
    """A moderator makes `target` (themself or anyone in the meeting) the presenter."""
    room = await access.current_room(db, claims)
    await access.moderator(db, claims)
    row = await _target(db, room, target)
    before = await _lock_presenter(db, room)
    if before == row.participant_id:
        return
    room.presenter = row.participant_id
    webinar = await is_webinar(db, room)
    changes = Changes(db, room.id)
    previous = None if before is None else await access.row(db, room.id, before)
    if previous is not None and previous.meeting_number == room.meeting_number:
        view = participant_view(previous, room, webinar=webinar)
        await changes.add(events.Updated(**view), seen_by(previous, webinar=webinar))
    # In a webinar the presenter is seen and heard: they come on stage.
    was = on_stage(row, webinar=webinar)
    if not was:
        row.on_stage = True
    await _stage_moved(changes, room, row, was=was, webinar=webinar, by=claims.participant_id)
    await changes.commit(bus)


async def _lock_presenter(db: AsyncSession, room: Room) -> str | None:
    """The room's presenter, read again with its row locked until the commit (on PostgreSQL;
    SQLite has one writer at a time): two changes of presenter happen one after the other."""
    await db.refresh(room, ["presenter"], with_for_update=True)
    return room.presenter


async def _hand_over(db: AsyncSession, changes: Changes, gone: RoomParticipant) -> None:
    """`gone` left the meeting (their row is deleted): if they presented, the moderator who
    has been in the meeting longest presents now, else nobody."""
    room = await db.get(Room, gone.room_id)
    if room is None or room.meeting_number != gone.meeting_number:
        return
    if await _lock_presenter(db, room) != gone.participant_id:
        return
    successor = await db.scalar(
        select(RoomParticipant)
        .where(
            RoomParticipant.room_id == room.id,
            RoomParticipant.meeting_number == room.meeting_number,
            RoomParticipant.role == "moderator",
            RoomParticipant.participant_id != gone.participant_id,
        )
        .order_by(RoomParticipant.joined_at, RoomParticipant.id)
        .limit(1)
    )
    room.presenter = None if successor is None else successor.participant_id
    if successor is not None:
        # A moderator: on stage, seen by everyone.
        view = participant_view(successor, room, webinar=await is_webinar(db, room))
        await changes.add(events.Updated(**view))


async def set_layout(
    *, db: AsyncSession, bus: Bus, claims: JoinClaims, layout: events.LayoutName | None
) -> None:
    """A moderator lays every page out alike (None: each page chooses again)."""
    room = await access.current_room(db, claims)
    await access.moderator(db, claims)
    room.layout = layout
    changes = Changes(db, room.id)
    await changes.add(events.Layout(layout=layout))
    await changes.commit(bus)


async def set_stage(
    *, db: AsyncSession, bus: Bus, claims: JoinClaims, target: str, on: bool
) -> None:
    """A moderator brings a participant of a webinar on stage, or takes them off it (a
    moderator stays on it by their role)."""
    room = await access.current_room(db, claims)
    await access.moderator(db, claims)
    row = await _target(db, room, target)
    if not await is_webinar(db, room):
        raise Conflict(N_("This meeting is not a webinar: everyone is on stage."), code="no_stage")
    was = on_stage(row, webinar=True)
    row.on_stage = on
    changes = Changes(db, room.id)
    await _stage_moved(changes, room, row, was=was, webinar=True, by=claims.participant_id)
    await changes.commit(bus)


async def _stage_moved(
    changes: Changes, room: Room, row: RoomParticipant, *, was: bool, webinar: bool, by: str
) -> None:
    """Tell of a change of `row`'s role or stage, to whom it concerns.

    Brought on stage: the people on stage get `updated`, the others see them arrive
    (`joined`). Taken off it: their microphone, camera and screen are turned off (`updated`
    with `by`, to the people on stage and to them, whose page stops its devices); the other
    people off stage see them go (`left`)."""
    now = on_stage(row, webinar=webinar)
    if now == was:
        view = participant_view(row, room, webinar=webinar)
        await changes.add(events.Updated(**view), seen_by(row, webinar=webinar))
    elif now:
        view = participant_view(row, room, webinar=webinar)
        await changes.add(events.Updated(**view), Among(stage=True))
        await changes.add(events.Joined(**view), Among(stage=False))
    else:
        row.muted, row.camera, row.screen = True, False, False
        view = participant_view(row, room, webinar=webinar)
        await changes.add(
            events.Updated(**view, by=by), Among(stage=True, also=(row.participant_id,))
        )
        await changes.add(
            events.Left(id=row.participant_id), Among(stage=False, but=(row.participant_id,))
        )


async def remove(*, db: AsyncSession, bus: Bus, claims: JoinClaims, target: str, ban: bool) -> None:
    """A moderator takes a participant out of the meeting (see `remove_from`)."""
    room = await access.current_room(db, claims)
    await access.moderator(db, claims)
    await remove_from(db=db, bus=bus, room=room, target=target, ban=ban)


async def remove_from(*, db: AsyncSession, bus: Bus, room: Room, target: str, ban: bool) -> None:
    """Take a participant out of the room's meeting: their join token stops working. Without
    a ban they may ask to come in again (through the access code and waiting room); with
    `ban`, not into this meeting. Bans end with the meeting. The caller checks the right."""
    row = await _target(db, room, target)
    if row.participant_id == f"u{room.owner_id}":
        raise Forbidden(N_("The room's owner cannot be removed."), code="owner_stays")
    removal = await rooms.removal(
        db=db,
        room_id=room.id,
        meeting_number=room.meeting_number,
        participant_id=row.participant_id,
    )
    if removal is None:
        removal = MeetingRemoval(
            room_id=room.id,
            meeting_number=room.meeting_number,
            participant_id=row.participant_id,
            banned=False,
        )
        db.add(removal)
    removal.banned = removal.banned or ban
    removal.removed_at = utcnow()
    webinar = await is_webinar(db, room)
    seen = seen_by(row, webinar=webinar)
    await db.delete(row)
    changes = Changes(db, room.id)
    await changes.add(events.Removed(id=target, ban=ban), seen)
    await _hand_over(db, changes, row)
    if webinar:
        await changes.add(events.Audience(count=await head_count(db, room)))
    await changes.commit(bus)


async def lock(*, db: AsyncSession, bus: Bus, claims: JoinClaims, locks: dict[str, bool]) -> None:
    room = await access.current_room(db, claims)
    await access.moderator(db, claims)
    current = {k: bool((room.locks or {}).get(k)) for k in LOCKABLE}
    current.update({k: v for k, v in locks.items() if k in LOCKABLE})
    room.locks = current
    changes = Changes(db, room.id)
    await changes.add(events.Locks(**current))
    webinar = await is_webinar(db, room)
    if current["microphone"]:
        # Locking microphones mutes the participants who were speaking.
        for row in (
            await db.scalars(
                select(RoomParticipant).where(
                    RoomParticipant.room_id == room.id,
                    RoomParticipant.role != "moderator",
                    RoomParticipant.muted.is_(False),
                )
            )
        ).all():
            row.muted = True
            view = participant_view(row, room, webinar=webinar)
            await changes.add(
                events.Updated(**view, by=claims.participant_id), seen_by(row, webinar=webinar)
            )
    await changes.commit(bus)


async def lower_hands(*, db: AsyncSession, bus: Bus, claims: JoinClaims) -> None:
    room = await access.current_room(db, claims)
    await access.moderator(db, claims)
    await db.execute(
        update(RoomParticipant)
        .where(RoomParticipant.room_id == room.id)
        .values(hand_raised_at=None)
    )
    changes = Changes(db, room.id)
    await changes.add(events.HandsLowered())
    await changes.commit(bus)


async def clear_chat(*, db: AsyncSession, bus: Bus, claims: JoinClaims) -> None:
    room = await access.current_room(db, claims)
    await access.moderator(db, claims)
    await db.execute(delete(ChatMessage).where(ChatMessage.room_id == room.id))
    changes = Changes(db, room.id)
    await changes.add(events.ChatCleared())
    await changes.commit(bus)


async def decide(
    *, db: AsyncSession, bus: Bus, claims: JoinClaims, entry: int, admit: bool
) -> None:
    room = await access.current_room(db, claims)
    await access.moderator(db, claims)
    await rooms.decide(db=db, bus=bus, room=room, entry_id=entry, admit=admit)


async def end(*, db: AsyncSession, bus: Bus, claims: JoinClaims) -> None:
    """End the meeting for everyone: the room closes."""
    room = await access.current_room(db, claims)
    await access.moderator(db, claims)
    await rooms.close_room(db=db, bus=bus, actor=None, room=room)


async def chat_export(
    *, db: AsyncSession, room_id: int, meeting_number: int, participant_id: str
) -> str:
    """The chat of one meeting of the room as plain text: its public messages, and this
    participant's own private ones."""
    query = (
        select(ChatMessage)
        .where(
            ChatMessage.room_id == room_id,
            ChatMessage.meeting_number == meeting_number,
        )
        .order_by(ChatMessage.id)
    )
    lines = []
    for message in (await db.scalars(query)).all():
        private = message.recipient_id is not None
        if private and participant_id not in {message.sender_id, message.recipient_id}:
            continue
        stamp = message.created_at.strftime("%Y-%m-%d %H:%M")
        who = message.sender_name
        if private:
            who = f"{who} → {message.recipient_name}"
        lines.append(f"[{stamp}] {who}: {message.text}")
    return "\n".join(lines) + ("\n" if lines else "")
