"""Meetings made through the BigBlueButton-compatible API, and who joined them by it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parley.accounts.models import NAME_MAX
from parley.db import Base, UTCDateTime, utcnow
from parley.rooms.models import Room


class BbbMeeting(Base):
    """A meeting a client created with `create`: a Parley room, and what the client asked."""

    __tablename__ = "bbb_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The client's meetingID (BigBlueButton allows up to 256 characters).
    meeting_id: Mapped[str] = mapped_column(String(256), unique=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    attendee_pw: Mapped[str] = mapped_column(String(64), default="")
    moderator_pw: Mapped[str] = mapped_column(String(64), default="")
    # Milliseconds since the epoch of the last `create` that started a meeting; `join`
    # with another createTime is for an earlier meeting and is refused.
    create_time: Mapped[int] = mapped_column(BigInteger)
    # The other parameters of create (welcome, duration, lockSettings…), as sent.
    options: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The meta_* parameters, without their prefix: kept and given back.
    meta: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    room: Mapped[Room] = relationship(lazy="joined")


class BbbAttendee(Base):
    """The client's userID of someone who joined through `join` (given back by getMeetingInfo)."""

    __tablename__ = "bbb_attendees"
    __table_args__ = (UniqueConstraint("meeting_id", "participant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("bbb_meetings.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[str] = mapped_column(String(256), default="")
