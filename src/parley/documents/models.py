"""What a room keeps of its documents: Yjs states and updates, presentations, the stage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from parley.accounts.models import NAME_MAX
from parley.db import Base, UTCDateTime, utcnow

# Status of a presentation: waiting for the worker, being rendered, shown, or refused.
WAITING = "waiting"
CONVERTING = "converting"
READY = "ready"
FAILED = "failed"


class SharedDocument(Base):
    """One Yjs document of a room ("notes" or "board"): its compacted state and its lock.

    `state` holds every update up to the last compaction, merged; the updates since then are
    rows of SharedUpdate. `locked` means that only moderators may write the notes (locked
    by a moderator), or only the presenter draw on the board (drawing not opened to the
    others by the presenter).
    """

    __tablename__ = "shared_documents"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    state: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SharedUpdate(Base):
    """Yjs updates written since the document was last compacted, in order."""

    __tablename__ = "shared_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Presentation(Base):
    """A document uploaded to a room, and its pages once rendered."""

    __tablename__ = "presentations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    # The file's name as uploaded (shown, and used for the download), and what it really is.
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(40))
    # The member who uploaded it, whose storage quota it counts against; None for a guest
    # (promoted to moderator), whose uploads count for the room only.
    uploader_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    uploader_name: Mapped[str] = mapped_column(String(NAME_MAX))
    status: Mapped[str] = mapped_column(String(12), default=WAITING)
    # Pages rendered so far, out of `pages` (0 until the document is opened).
    pages: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    # Width and height of each rendered page, in pixels.
    sizes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Why it failed: a catalogue message, and its parameters.
    error: Mapped[str | None] = mapped_column(Text)
    error_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    downloadable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Stage(Base):
    """What a room's meeting shows everyone: a presentation's page or a blank whiteboard.

    The meeting's presenter (`Room.presenter`) moves it, and their pointer is shown to all.
    """

    __tablename__ = "stages"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    visible: Mapped[bool] = mapped_column(Boolean, default=False)
    # None: the blank whiteboard, with `blank_pages` pages.
    presentation_id: Mapped[int | None] = mapped_column(
        ForeignKey("presentations.id", ondelete="SET NULL")
    )
    page: Mapped[int] = mapped_column(Integer, default=1)
    blank_pages: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
