"""Calendar events, their attendees, their videoconference links and the private feeds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parley.accounts.models import NAME_MAX, User
from parley.db import Base, UTCDateTime, utcnow
from parley.mail.models import EMAIL_MAX

TITLE_MAX = 200
LOCATION_MAX = 300
DESCRIPTION_MAX = 5000
UID_MAX = 255

CONFIRMED = "confirmed"
CANCELLED = "cancelled"

# An attendee's answer, as iCalendar's PARTSTAT spells it (lower-cased).
NEEDS_ACTION = "needs-action"
ACCEPTED = "accepted"
DECLINED = "declined"
TENTATIVE = "tentative"
ANSWERS = (NEEDS_ACTION, ACCEPTED, DECLINED, TENTATIVE)


class Conference(Base):
    """A videoconference link made for an event, kept after it is removed from the event.

    Made when the organiser presses "Add a videoconference", before the event exists, so
    its link works at once; the event points to it once saved. Removing it from the event
    leaves this row (and the meeting at the provider) alone: the link stays valid.
    """

    __tablename__ = "calendar_conferences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # None: Parley's built-in rooms; otherwise the administrators' provider configuration.
    provider_config_id: Mapped[int | None] = mapped_column(
        ForeignKey("provider_configs.id", ondelete="SET NULL")
    )
    provider_name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(1000))
    # The provider's meeting (ProviderMeeting.to_json()), given back to it later.
    meeting: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarEvent(Base):
    """One event (or a repeating series) of its organiser's calendar.

    Times are stored as UTC instants with the IANA time zone they were written in, so a
    series repeats at the same wall-clock time across daylight-saving changes. An all-day
    event starts at midnight UTC of its first day and ends at midnight UTC after its last.
    """

    __tablename__ = "calendar_events"
    __table_args__ = (
        UniqueConstraint("organizer_id", "uid", name="uq_calendar_events_organizer_id_uid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The iCalendar UID: stable for the event's whole life, in every invitation and feed.
    uid: Mapped[str] = mapped_column(String(UID_MAX))
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(LOCATION_MAX), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # {"freq": "daily"|"weekly"|"monthly", "interval": n, "count": n | "until": "YYYY-MM-DD"}
    recurrence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The days a series skips (iCalendar's EXDATE), as ISO dates in the event's time zone:
    # a series happens once a day at most, and a day stays skipped if the time changes.
    exdates: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # When the series ends (None: never), so a calendar query skips finished series.
    repeats_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # iCalendar's SEQUENCE: raised by every change attendees must hear about.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default=CONFIRMED)
    conference_id: Mapped[int | None] = mapped_column(
        ForeignKey("calendar_conferences.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attendees: Mapped[list[Attendee]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="Attendee.id",
    )
    conference: Mapped[Conference | None] = relationship(lazy="selectin")
    organizer: Mapped[User] = relationship(lazy="selectin")


class Attendee(Base):
    """Someone invited to an event: a member, an outside address, or the videoconference
    resource (which accepts by itself and gets no email)."""

    __tablename__ = "calendar_attendees"
    __table_args__ = (
        UniqueConstraint("event_id", "email", name="uq_calendar_attendees_event_id_email"),
        Index("ix_calendar_attendees_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("calendar_events.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    name: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    is_resource: Mapped[bool] = mapped_column(Boolean, default=False)
    partstat: Mapped[str] = mapped_column(String(16), default=NEEDS_ACTION)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CalendarFeed(Base):
    """A member's private feed address. Its secret is derived from the site's secret and
    `version`, never stored: raising the version revokes every address given before."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
