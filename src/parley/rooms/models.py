"""Rooms: persistent meeting places with a link, their sharing, waiting room and presence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parley.accounts.models import NAME_MAX, User
from parley.db import Base, UTCDateTime, utcnow


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The unguessable part of the invitation link, /r/<slug>.
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)
    # Counts the meetings held; a join token is good for the meeting it was given for only.
    meeting_number: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The number of the room's last meeting event (they are numbered per room).
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    # What participants may not do now: {"chat": true, "microphone": true, …}.
    locks: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    # The video a presenter shares in the meeting (see parley.meetings.shared_video), or None.
    video: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The participant presenting in the meeting (one at a time), and the layout a moderator
    # chose for every page (parley.meetings.service); both end with the meeting.
    presenter: Mapped[str | None] = mapped_column(String(40))
    layout: Mapped[str | None] = mapped_column(String(20))
    # The meeting whose media go through the SFU (Janus), and the node it is on; for any
    # other meeting number the room's media are peer to peer.
    sfu_meeting: Mapped[int | None] = mapped_column(Integer)
    sfu_node: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    allow_guests: Mapped[bool] = mapped_column(Boolean, default=True)
    # "off", "guests" (people without an account wait) or "everyone" (all but moderators wait).
    waiting_room: Mapped[str] = mapped_column(String(10), default="off")
    access_code: Mapped[str | None] = mapped_column(String(12))
    mute_on_join: Mapped[bool] = mapped_column(Boolean, default=False)
    all_moderators: Mapped[bool] = mapped_column(Boolean, default=False)
    anyone_can_open: Mapped[bool] = mapped_column(Boolean, default=False)
    # Media through the SFU from the first person on, rather than once the meeting grows.
    media_server: Mapped[bool] = mapped_column(Boolean, default=False)
    # Only the people on stage (moderators, and those a moderator brings up) are seen and
    # heard; the others watch (see parley.meetings.service).
    webinar: Mapped[bool] = mapped_column(Boolean, default=False)

    owner: Mapped[User] = relationship()
    shares: Mapped[list[RoomShare]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class RoomShare(Base):
    """A member the owner shares the room with: they manage and moderate it too."""

    __tablename__ = "room_shares"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class WaitingEntry(Base):
    """Someone asking to enter a room whose waiting room holds them until a moderator decides."""

    __tablename__ = "room_waiting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    meeting_number: Mapped[int] = mapped_column(Integer)
    # The person holds the ticket itself (in a cookie or the API response); we keep its hash.
    ticket_hash: Mapped[str] = mapped_column(String(64), unique=True)
    participant_id: Mapped[str] = mapped_column(String(40))
    display_name: Mapped[str] = mapped_column(String(NAME_MAX))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoomParticipant(Base):
    """Who is in a room's meeting now, kept fresh by their connection's heartbeats."""

    __tablename__ = "room_participants"
    __table_args__ = (UniqueConstraint("room_id", "participant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    meeting_number: Mapped[int] = mapped_column(Integer)
    participant_id: Mapped[str] = mapped_column(String(40))
    display_name: Mapped[str] = mapped_column(String(NAME_MAX))
    role: Mapped[str] = mapped_column(String(12))
    connections: Mapped[int] = mapped_column(Integer, default=1)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    camera: Mapped[bool] = mapped_column(Boolean, default=False)
    screen: Mapped[bool] = mapped_column(Boolean, default=False)
    hand_raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # In a webinar: a moderator brought them on stage (moderators are on it by their role).
    on_stage: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the last connection went away; the participant leaves after a grace period.
    disconnected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MeetingRemoval(Base):
    """A participant a moderator took out of one meeting of a room.

    Their join tokens for that meeting stop working: without a ban, until they go through
    the room's door again (access code, waiting room), which drops this row; with a ban,
    for the rest of the meeting. The next meeting of the room starts with none.
    """

    __tablename__ = "meeting_removals"
    __table_args__ = (UniqueConstraint("room_id", "meeting_number", "participant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    meeting_number: Mapped[int] = mapped_column(Integer)
    participant_id: Mapped[str] = mapped_column(String(40))
    banned: Mapped[bool] = mapped_column(Boolean, default=False)
    removed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
