"""A scheduled session (a class, a course, a club's séance) and who registered for it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, UTCDateTime, utcnow

IN_PERSON = "in_person"
ONLINE = "online"

SCHEDULED = "scheduled"
CANCELLED = "cancelled"

REGISTERED = "registered"
WAITING = "waiting"


class ScheduledSession(Base):
    __tablename__ = "scheduled_sessions"
    __table_args__ = (Index("ix_scheduled_sessions_starts_at", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(12))
    location: Mapped[str] = mapped_column(String(300), default="")
    # None: Parley's own rooms.
    provider_config_id: Mapped[int | None] = mapped_column(
        ForeignKey("provider_configs.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(String(12), default=SCHEDULED)
    # The meeting made on the provider (ProviderMeeting as JSON), when it was made, and why
    # it could not be made or changed (a catalogue message and its parameters).
    meeting: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    meeting_made_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meeting_error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Counts changes of time or title, so a change made while the meeting was being made is
    # carried to the provider too.
    version: Mapped[int] = mapped_column(Integer, default=1)
    meeting_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Registration(Base):
    __tablename__ = "session_registrations"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("scheduled_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=REGISTERED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the reminder with the link was put in the outbox (once, whatever happens).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
