"""State changes of a room's documents: locks, the stage, presentations.

Rights come from the participant's row in the current meeting (a promotion lasts) and the
room's presenter, never from a message. The presenter (one participant of the meeting,
`parley.meetings.service`) shows, turns pages, opens drawing to the others and allows
downloads; moderators and the presenter upload; moderators delete and lock the notes.
Changes are committed, then announced on the document's bus channel; the Yjs room of every
process (parley.documents.yjs) reads them back and tells its sockets.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.bus import Bus
from parley.db import utcnow
from parley.documents import files, quota, yjs_store
from parley.documents.models import FAILED, WAITING, Presentation, Stage
from parley.errors import N_, Forbidden, Invalid, NotFound
from parley.jobs import queue as jobs
from parley.meetings import access
from parley.meetings import service as meetings
from parley.rooms.models import Room, RoomParticipant
from parley.rooms.service import JoinClaims

CONVERT_JOB = "documents.convert"
# How many blank whiteboard pages a room may have.
MAX_BLANK_PAGES = 100
# Bus frames on a document's channel: a kind byte, the sender (8 bytes), then the payload.
BUS_UPDATE = b"u"
BUS_AWARENESS = b"a"
BUS_QUERY = b"q"
BUS_REPLY = b"r"
BUS_CHANGED = b"c"
BUS_PROGRESS = b"p"
# Changes announced by a service (not by one process's room) come from nobody in particular.
NO_SENDER = b"\0" * 8

# Why a document could not be prepared, by the code the render process gives.
CONVERSION_ERRORS = {
    "unsupported": N_(
        "Parley cannot show this kind of file. Upload a PDF, a PNG or JPEG image, or a "
        "presentation or text document (.pptx, .odp, .docx, .odt)."
    ),
    "no_office": N_(
        "Office documents need LibreOffice on the server: ask your administrator to install "
        "it (Debian packages libreoffice-impress-nogui and libreoffice-writer-nogui), or "
        "upload a PDF instead."
    ),
    "encrypted": N_(
        "This PDF is protected by a password. Save a copy without the password and upload it."
    ),
    "unreadable": N_("This file is damaged or is not a valid document: it could not be opened."),
    "too_many_pages": N_("This document has %(pages)s pages; the limit is %(limit)s."),
    "too_large_image": N_("This image has too many pixels to be shown."),
    "bomb": N_("This file unpacks to far more than its size and was refused."),
    "timeout": N_("Preparing this document took too long and was stopped."),
    "memory": N_("Preparing this document needed too much memory and was stopped."),
    "failed": N_("This document could not be prepared. Try again, or upload it as a PDF."),
}


def channel(room_id: int, name: str) -> str:
    return f"documents:{room_id}:{name}"


async def announce(bus: Bus, room_id: int, name: str, what: dict[str, Any]) -> None:
    """Tell every process's room of document `name` that something changed."""
    kind = BUS_PROGRESS if what.get("type") == "progress" else BUS_CHANGED
    await bus.publish(channel(room_id, name), kind + NO_SENDER + json.dumps(what).encode())


# Who may do what


async def _room(db: AsyncSession, claims: JoinClaims) -> Room:
    room = await db.get(Room, claims.room_id)
    if room is None or not room.is_open or room.meeting_number != claims.meeting_number:
        raise Forbidden(N_("The meeting has ended."), code="meeting_ended")
    return room


async def member(*, db: AsyncSession, claims: JoinClaims) -> RoomParticipant:
    """This participant's row, if they are in the room's current meeting; else a refusal."""
    await _room(db, claims)
    row = await meetings.participant(db=db, claims=claims)
    if row is None:
        raise Forbidden(N_("You are no longer in this meeting."), code="not_in_meeting")
    return row


async def presents(*, db: AsyncSession, claims: JoinClaims) -> bool:
    """Whether this participant presents in the room's current meeting."""
    room = await _room(db, claims)
    return room.presenter == claims.participant_id


async def presenter(*, db: AsyncSession, claims: JoinClaims) -> RoomParticipant:
    """This participant's row, while they present in the room's current meeting."""
    room = await _room(db, claims)
    row = await member(db=db, claims=claims)
    access.require_presenter(room, row)
    return row


async def moderator(*, db: AsyncSession, claims: JoinClaims) -> RoomParticipant:
    """This participant's row, while they moderate the room's current meeting."""
    row = await member(db=db, claims=claims)
    if row.role != "moderator":
        raise Forbidden(N_("Only moderators may do this."), code="not_moderator")
    return row


async def uploader(*, db: AsyncSession, claims: JoinClaims) -> RoomParticipant:
    """This participant's row, while they may upload documents: moderators and the presenter."""
    room = await _room(db, claims)
    row = await member(db=db, claims=claims)
    if row.role != "moderator" and room.presenter != row.participant_id:
        raise Forbidden(
            N_("Only moderators and the presenter can upload documents."), code="not_presenter"
        )
    return row


def may_download(room: Room, row: RoomParticipant, document: Presentation) -> bool:
    """Whether `row` may have the original file: moderators and the presenter always, the
    others once the presenter allows it."""
    return document.downloadable or row.role == "moderator" or room.presenter == row.participant_id


# Locks


async def set_lock(
    *, db: AsyncSession, bus: Bus, claims: JoinClaims, name: str, locked: bool
) -> None:
    """Lock the notes for participants (moderators), or close drawing to everyone but the
    presenter (the presenter)."""
    if name == "board":
        await presenter(db=db, claims=claims)
    else:
        await moderator(db=db, claims=claims)
    row = await yjs_store.document(db=db, room_id=claims.room_id, name=name)
    row.locked = locked
    row.updated_at = utcnow()
    await db.commit()
    await announce(bus, claims.room_id, name, {"type": "lock", "locked": locked})


async def locked(*, db: AsyncSession, room_id: int, name: str) -> bool:
    row = await yjs_store.document(db=db, room_id=room_id, name=name)
    locked = row.locked
    await db.commit()
    return locked


# The stage


async def stage(*, db: AsyncSession, room_id: int) -> Stage:
    row = await db.get(Stage, room_id)
    if row is None:
        row = Stage(room_id=room_id, visible=False, page=1, blank_pages=1, updated_at=utcnow())
        db.add(row)
        await db.flush()
    return row


async def _presentation(db: AsyncSession, room_id: int, presentation_id: int) -> Presentation:
    found = await db.get(Presentation, presentation_id)
    if found is None or found.room_id != room_id:
        raise NotFound(N_("This document is not in this room."), code="no_document")
    return found


async def _changed(db: AsyncSession, bus: Bus, room_id: int) -> None:
    await db.commit()
    await announce(bus, room_id, "board", {"type": "stage"})


async def show(
    *, db: AsyncSession, bus: Bus, claims: JoinClaims, presentation_id: int | None
) -> None:
    """Show a presentation from its first page, or the blank whiteboard, to everyone."""
    await presenter(db=db, claims=claims)
    row = await stage(db=db, room_id=claims.room_id)
    if presentation_id is not None:
        document = await _presentation(db, claims.room_id, presentation_id)
        if document.status == FAILED:
            raise Invalid(N_("This document could not be prepared."), code="failed_document")
    row.presentation_id = presentation_id
    row.page = 1
    row.visible = True
    row.updated_at = utcnow()
    await _changed(db, bus, claims.room_id)


async def hide(*, db: AsyncSession, bus: Bus, claims: JoinClaims) -> None:
    await presenter(db=db, claims=claims)
    row = await stage(db=db, room_id=claims.room_id)
    row.visible = False
    row.updated_at = utcnow()
    await _changed(db, bus, claims.room_id)


async def turn(*, db: AsyncSession, bus: Bus, claims: JoinClaims, page: int) -> None:
    """Move everyone to `page` of what is shown."""
    await presenter(db=db, claims=claims)
    row = await stage(db=db, room_id=claims.room_id)
    if row.presentation_id is None:
        last = row.blank_pages
    else:
        document = await _presentation(db, claims.room_id, row.presentation_id)
        last = document.pages or 1
    if not 1 <= page <= last:
        raise Invalid(N_("There is no page %(page)s here."), code="no_page", page=page)
    row.page = page
    row.updated_at = utcnow()
    await _changed(db, bus, claims.room_id)


async def add_page(*, db: AsyncSession, bus: Bus, claims: JoinClaims) -> None:
    """Add a page to the blank whiteboard and go to it."""
    await presenter(db=db, claims=claims)
    row = await stage(db=db, room_id=claims.room_id)
    if row.blank_pages >= MAX_BLANK_PAGES:
        raise Invalid(
            N_("The whiteboard has %(count)s pages, the most it may have."),
            code="too_many_pages",
            count=MAX_BLANK_PAGES,
        )
    row.blank_pages += 1
    row.presentation_id = None
    row.page = row.blank_pages
    row.visible = True
    row.updated_at = utcnow()
    await _changed(db, bus, claims.room_id)


# Presentations


async def presentations(*, db: AsyncSession, room_id: int) -> Sequence[Presentation]:
    result = await db.scalars(
        select(Presentation).where(Presentation.room_id == room_id).order_by(Presentation.id)
    )
    return result.all()


async def add_presentation(
    *,
    db: AsyncSession,
    bus: Bus,
    claims: JoinClaims,
    filename: str,
    kind: str,
    source: Path,
    root: Path,
    limits: quota.Limits,
) -> Presentation:
    """Keep an uploaded file (checked already), have its pages rendered, and show it when
    the uploader presents (a moderator who does not only adds it to the room's documents).

    The room's and the uploader's quotas are checked under a lock held until the commit, so
    that uploads at the same moment cannot together go past one (parley.documents.quota).
    A refused file is left where it is, for the caller to discard.
    """
    row = await uploader(db=db, claims=claims)
    room = await _room(db, claims)
    size = await asyncio.to_thread(lambda: source.stat().st_size)
    try:
        await quota.reserve(
            db=db, limits=limits, room_id=claims.room_id, user_id=claims.user_id, size=size
        )
    except quota.QuotaExceeded:
        # Let the other uploads waiting for the lock go on at once.
        await db.rollback()
        raise
    document = Presentation(
        room_id=claims.room_id,
        filename=filename,
        kind=kind,
        size=size,
        uploaded_by=claims.participant_id,
        uploader_user_id=claims.user_id,
        uploader_name=row.display_name,
        status=WAITING,
        pages=0,
        done=0,
        sizes=[],
        downloadable=False,
        created_at=utcnow(),
    )
    db.add(document)
    await db.flush()
    target = files.original(root, claims.room_id, document.id)
    await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(shutil.move, source, target)
    await jobs.enqueue(
        db=db,
        kind=CONVERT_JOB,
        key=f"{CONVERT_JOB}:{document.id}",
        payload={"id": document.id},
        max_attempts=2,
    )
    if room.presenter == row.participant_id:
        current = await stage(db=db, room_id=claims.room_id)
        current.presentation_id = document.id
        current.page = 1
        current.visible = True
        current.updated_at = utcnow()
    try:
        await _changed(db, bus, claims.room_id)
    except Exception:
        await asyncio.to_thread(files.remove, root, claims.room_id, document.id)
        raise
    return document


async def set_downloadable(
    *, db: AsyncSession, bus: Bus, claims: JoinClaims, presentation_id: int, allowed: bool
) -> None:
    await presenter(db=db, claims=claims)
    document = await _presentation(db, claims.room_id, presentation_id)
    document.downloadable = allowed
    await _changed(db, bus, claims.room_id)


async def delete_presentation(
    *, db: AsyncSession, bus: Bus, claims: JoinClaims, presentation_id: int, root: Path
) -> None:
    await moderator(db=db, claims=claims)
    document = await _presentation(db, claims.room_id, presentation_id)
    await db.delete(document)
    row = await stage(db=db, room_id=claims.room_id)
    if row.presentation_id == presentation_id:
        row.presentation_id = None
        row.page = 1
    await _changed(db, bus, claims.room_id)
    # Removing a folder of rendered pages is disk work: a thread's, not the event loop's.
    await asyncio.to_thread(files.remove, root, claims.room_id, presentation_id)


def presentation_view(document: Presentation) -> dict[str, Any]:
    """What the browser is told of a presentation (its error still to be translated)."""
    return {
        "id": document.id,
        "name": document.filename,
        "kind": document.kind,
        "status": document.status,
        "pages": document.pages,
        "done": document.done,
        "sizes": document.sizes,
        "error": document.error,
        "error_params": document.error_params or {},
        "downloadable": document.downloadable,
        "uploader": document.uploader_name,
        "size": document.size,
    }


async def board_state(*, db: AsyncSession, room_id: int) -> dict[str, Any]:
    """The stage and the room's presentations, as every participant sees them."""
    room = await db.get(Room, room_id, populate_existing=True)
    row = await stage(db=db, room_id=room_id)
    items = [presentation_view(p) for p in await presentations(db=db, room_id=room_id)]
    view = {
        "visible": row.visible,
        "presentation": row.presentation_id,
        "page": row.page,
        "blank_pages": row.blank_pages,
        # The meeting's presenter: their pointer is shown to everyone.
        "presenter": room.presenter if room is not None and room.is_open else None,
    }
    await db.commit()
    return {"stage": view, "presentations": items}
