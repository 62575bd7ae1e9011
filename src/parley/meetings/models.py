"""What a meeting keeps: its numbered events and the room's chat, kept across meetings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.accounts.models import NAME_MAX
from parley.db import Base, UTCDateTime, utcnow


class MeetingEvent(Base):
    """One numbered change of a room's meeting, replayed to a client that reconnects."""

    __tablename__ = "meeting_events"
    __table_args__ = (UniqueConstraint("room_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Only these participants see the event (a private message); None: everyone.
    audience: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatMessage(Base):
    """A chat message of a room; public when it has no recipient."""

    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[str] = mapped_column(String(40))
    sender_name: Mapped[str] = mapped_column(String(NAME_MAX))
    recipient_id: Mapped[str | None] = mapped_column(String(40))
    recipient_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
