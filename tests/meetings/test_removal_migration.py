"""The upgrade that puts chat and bans per meeting keeps every row, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from parley import db, migrations

pytestmark = pytest.mark.anyio

BEFORE = "0015"


def _at(hour: int) -> datetime:
    return datetime(2026, 12, 1, hour, tzinfo=UTC)


def _row(table: sa.Table, **values: Any) -> sa.Insert:
    """An insert of `values`, with a plain value for every other required column."""
    filler = {bool: False, int: 0, str: "x", datetime: _at(8)}
    for column in table.columns:
        required = not (column.nullable or column.primary_key or column.server_default)
        if required and column.name not in values:
            values[column.name] = filler[column.type.python_type]
    return table.insert().values(**values)


async def _fill_the_old_schema(connection: AsyncConnection) -> None:
    metadata = sa.MetaData()
    await connection.run_sync(lambda sync: metadata.reflect(sync))
    users, rooms, chat = (metadata.tables[n] for n in ("users", "rooms", "chat_messages"))
    await connection.execute(_row(users, id=1, email="ada@example.org"))
    for room_id, is_open, banned in ((1, True, ["g1", "u2", "g1"]), (2, False, ["g9"])):
        await connection.execute(
            _row(
                rooms,
                id=room_id,
                slug=f"room-{room_id}",
                owner_id=1,
                is_open=is_open,
                meeting_number=3,
                opened_at=_at(10),
                banned=banned,
            )
        )
    for number, (room_id, hour) in enumerate(((1, 9), (1, 11), (2, 11)), 1):
        await connection.execute(
            _row(chat, id=number, room_id=room_id, sender_name="Ada", created_at=_at(hour))
        )


async def test_chat_and_bans_go_to_their_meeting_and_nothing_is_lost(database_url: str) -> None:
    engine = db.create_engine(database_url)
    try:
        await migrations.downgrade(engine, BEFORE)
        async with engine.begin() as connection:
            await _fill_the_old_schema(connection)
        await migrations.upgrade(engine)
        async with engine.connect() as connection:
            chat = await connection.execute(
                sa.text("SELECT id, meeting_number FROM chat_messages ORDER BY id")
            )
            # Only what was written in the open room's current meeting belongs to it.
            assert chat.all() == [(1, 0), (2, 3), (3, 0)]
            bans = await connection.execute(
                sa.text(
                    "SELECT room_id, meeting_number, participant_id, banned"
                    " FROM meeting_removals ORDER BY participant_id"
                )
            )
            assert [tuple(row) for row in bans] == [(1, 3, "g1", True), (1, 3, "u2", True)]
            rooms = await connection.execute(sa.text("SELECT count(*) FROM rooms"))
            assert rooms.scalar() == 2
    finally:
        await engine.dispose()
