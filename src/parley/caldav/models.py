"""The names calendar programs gave events, and sync states."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, UTCDateTime, utcnow

NAME_IN_URL_MAX = 255


class ObjectName(Base):
    """The file name a client chose for an event it saved (`…/<name>`).

    Events made in Parley's pages have none: their name is their UID with `.ics`.
    """

    __tablename__ = "caldav_object_names"
    __table_args__ = (
        UniqueConstraint("user_id", "name", name="uq_caldav_object_names_user_id_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_events.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(NAME_IN_URL_MAX))


class SyncState(Base):
    """What a member's calendar held when a sync token was given: {name: etag}.

    A sync-collection report compares the calendar now with the state its token names,
    so changes from every side (pages, API, imports, answers, CalDAV) are seen without a
    hook in each of them.
    """

    __tablename__ = "caldav_sync_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    etags: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
