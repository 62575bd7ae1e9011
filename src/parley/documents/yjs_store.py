"""Yjs documents in the database: a compacted state, and the updates written since.

Every accepted update is appended (in small merged batches) by the process that received it;
`compact` folds the updates into the state, so a document's rows stay few whatever its age.
Compacting locks the document's row (PostgreSQL), so two processes never fold twice.
"""

from __future__ import annotations

import logging
from typing import Any

from pycrdt import Doc
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db import utcnow
from parley.documents.models import SharedDocument, SharedUpdate

log = logging.getLogger(__name__)


async def document(*, db: AsyncSession, room_id: int, name: str) -> SharedDocument:
    """The room's document `name`, made empty (and unlocked) the first time it is asked for."""
    row = await db.get(SharedDocument, (room_id, name))
    if row is not None:
        return row
    # Participants may draw on the board only once the presenter lets them.
    row = SharedDocument(
        room_id=room_id, name=name, state=b"", locked=name == "board", updated_at=utcnow()
    )
    try:
        async with db.begin_nested():
            db.add(row)
    except IntegrityError:
        # Another process made it between the two statements.
        found = await db.get(SharedDocument, (room_id, name), populate_existing=True)
        if found is None:
            raise
        return found
    return row


async def load(*, db: AsyncSession, room_id: int, name: str) -> list[bytes]:
    """The document's state and every update since, in order: apply them all to a Doc."""
    row = await document(db=db, room_id=room_id, name=name)
    updates = await db.scalars(
        select(SharedUpdate.data)
        .where(SharedUpdate.room_id == room_id, SharedUpdate.name == name)
        .order_by(SharedUpdate.id)
    )
    return [part for part in [row.state, *updates.all()] if part]


async def append(*, db: AsyncSession, room_id: int, name: str, update: bytes) -> int:
    """Write one update; return how many are waiting to be compacted."""
    db.add(SharedUpdate(room_id=room_id, name=name, data=update, created_at=utcnow()))
    await db.flush()
    count = await db.scalar(
        select(func.count())
        .select_from(SharedUpdate)
        .where(SharedUpdate.room_id == room_id, SharedUpdate.name == name)
    )
    await db.commit()
    return int(count or 0)


async def compact(*, db: AsyncSession, room_id: int, name: str) -> int:
    """Fold the document's updates into its state; return the state's size in bytes."""
    await document(db=db, room_id=room_id, name=name)
    await db.commit()
    row = await db.scalar(
        select(SharedDocument)
        .where(SharedDocument.room_id == room_id, SharedDocument.name == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    rows = (
        await db.execute(
            select(SharedUpdate.id, SharedUpdate.data)
            .where(SharedUpdate.room_id == room_id, SharedUpdate.name == name)
            .order_by(SharedUpdate.id)
        )
    ).all()
    if not rows:
        await db.commit()
        return len(row.state)
    doc = build([row.state, *(data for _, data in rows)])
    row.state = doc.get_update()
    row.updated_at = utcnow()
    await db.execute(
        delete(SharedUpdate).where(
            SharedUpdate.room_id == room_id,
            SharedUpdate.name == name,
            SharedUpdate.id <= rows[-1][0],
        )
    )
    await db.commit()
    return len(row.state)


def build(parts: list[bytes]) -> Doc[Any]:
    """A Doc holding `parts` (as `load` returns them)."""
    doc: Doc[Any] = Doc()
    for part in parts:
        if not part:
            continue
        try:
            doc.apply_update(part)
        except ValueError:
            # Updates are checked before they are stored; one that is not readable is skipped
            # rather than keep the whole document from opening.
            log.exception("skipped an unreadable stored update")
    return doc
