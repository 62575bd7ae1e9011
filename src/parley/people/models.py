"""Invitations (a call, or an invitation into a meeting) and the notifications people get."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, UTCDateTime, utcnow

CALL = "call"
INVITE = "invite"

RINGING = "ringing"
ACCEPTED = "accepted"
DECLINED = "declined"
MISSED = "missed"
CANCELLED = "cancelled"


class Invitation(Base):
    """One person asked into a room by another: it rings until answered, cancelled or expired."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_to_user_id_state", "to_user_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    from_user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(12), default=RINGING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notification(Base):
    """Something a person should see later: a missed call, an invitation, a decline."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    # Who and where: {"from_id", "from_name", "room_name", "slug", "invitation_id"}.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
