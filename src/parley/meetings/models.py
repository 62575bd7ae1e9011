"""What a meeting keeps: its numbered events, its chat, and who was removed from it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, false
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
    """A chat message of one meeting of a room; public when it has no recipient.

    Only the people of that meeting read it: a later meeting starts with an empty chat.
    """

    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    # The room's meeting it was written in (Room.meeting_number then).
    meeting_number: Mapped[int] = mapped_column(Integer)
    sender_id: Mapped[str] = mapped_column(String(40))
    sender_name: Mapped[str] = mapped_column(String(NAME_MAX))
    recipient_id: Mapped[str | None] = mapped_column(String(40))
    recipient_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Poll(Base):
    """A poll started in a room's meeting; kept with the room, results and all."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    meeting_number: Mapped[int] = mapped_column(Integer)
    started_by: Mapped[str] = mapped_column(String(40))
    starter_name: Mapped[str] = mapped_column(String(NAME_MAX))
    question: Mapped[str] = mapped_column(String(300))
    # "choice": pick among `options`; "text": a free answer.
    kind: Mapped[str] = mapped_column(String(10))
    options: Mapped[list[str]] = mapped_column(JSON)
    multiple: Mapped[bool] = mapped_column(default=False)
    anonymous: Mapped[bool] = mapped_column(default=False)
    # Only members (logged in) may answer: a guest is one per browser, and a new browser is
    # a new guest, so a vote that must count once per person is for members only.
    members_only: Mapped[bool] = mapped_column(default=False, server_default=false())
    # "open", then "closed" (results seen by moderators only) or "published" (by everyone).
    state: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PollAnswer(Base):
    """One person's answer to a poll: one per person, whatever they reload or resend."""

    __tablename__ = "poll_answers"
    __table_args__ = (UniqueConstraint("poll_id", "voter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    # The participant id, to refuse a second answer; no API ever shows it. The name is kept
    # only when the poll is not anonymous.
    voter: Mapped[str] = mapped_column(String(64))
    voter_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    choices: Mapped[list[int]] = mapped_column(JSON)
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
