"""Storage quotas: what a room's documents, and one member's uploads, may take on disk.

A document counts for its size as uploaded (`Presentation.size`); its rendered pages are not
counted, their size being known only once the upload is accepted. Deleting a document frees
its space at once. An upload is checked twice: before its body is read, from the size it
declares (so a file that cannot fit is not received at all), and, authoritatively, under a
lock just before it is recorded, so that uploads sent at the same moment cannot together go
past a quota: on PostgreSQL the room's and the member's rows are locked (`FOR UPDATE`), on
SQLite the database's write lock is taken, and the lock is held until the upload's
transaction ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from babel.numbers import format_decimal
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.accounts.models import User
from parley.db import dialect
from parley.documents.models import Presentation
from parley.errors import N_, ParleyError
from parley.rooms.models import Room
from parley.settings import Settings

MB = 1024 * 1024
# How many rooms and members the administration's page lists, the largest first.
LISTED = 200


class QuotaExceeded(ParleyError):
    status_code = 413
    code = "quota_exceeded"


@dataclass(frozen=True)
class Limits:
    """The quotas in bytes; None: no limit."""

    room: int | None
    member: int | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            room=settings.room_storage_mb * MB or None,
            member=settings.member_storage_mb * MB or None,
        )


@dataclass(frozen=True)
class Usage:
    used: int
    limit: int | None

    def fits(self, size: int) -> bool:
        return self.limit is None or self.used + size <= self.limit


def megabytes(size: int) -> str:
    """A size in MB as the current language writes it: one decimal below 10 MB, none above.

    Never "0" for something that takes space, so that a small file does not read as nothing.
    """
    value = size / MB
    if 0 < value < 0.1:
        value = 0.1
    pattern = "#,##0.#" if value < 10 else "#,##0"
    return format_decimal(value, format=pattern, locale=i18n.get_language())


async def room_used(*, db: AsyncSession, room_id: int) -> int:
    total = await db.scalar(
        select(func.coalesce(func.sum(Presentation.size), 0)).where(Presentation.room_id == room_id)
    )
    return int(total or 0)


async def member_used(*, db: AsyncSession, user_id: int) -> int:
    total = await db.scalar(
        select(func.coalesce(func.sum(Presentation.size), 0)).where(
            Presentation.uploader_user_id == user_id
        )
    )
    return int(total or 0)


async def usage(
    *, db: AsyncSession, limits: Limits, room_id: int, user_id: int | None
) -> tuple[Usage, Usage | None]:
    """The room's usage, and the member's (None for a guest)."""
    room = Usage(await room_used(db=db, room_id=room_id), limits.room)
    if user_id is None:
        return room, None
    return room, Usage(await member_used(db=db, user_id=user_id), limits.member)


def check(room: Usage, member: Usage | None, size: int) -> None:
    """Refuse an upload of `size` bytes that does not fit, saying what is used of what."""
    if not room.fits(size):
        raise _exceeded(
            "room",
            room,
            size,
            N_(
                "This room uses %(used)s MB of %(limit)s MB: this file of %(size)s MB does "
                "not fit. Delete a document of the room to make space."
            ),
        )
    if member is not None and not member.fits(size):
        raise _exceeded(
            "member",
            member,
            size,
            N_(
                "Your documents use %(used)s MB of your %(limit)s MB: this file of %(size)s MB "
                "does not fit. Delete one of your documents to make space."
            ),
        )


def _exceeded(scope: str, usage: Usage, size: int, message: str) -> QuotaExceeded:
    assert usage.limit is not None
    refusal = QuotaExceeded(
        message, used=megabytes(usage.used), limit=megabytes(usage.limit), size=megabytes(size)
    )
    # For programs: which quota, and the figures in bytes.
    refusal.extra = {"quota": scope, "used": usage.used, "limit": usage.limit, "size": size}
    return refusal


async def lock(*, db: AsyncSession, room_id: int, user_id: int | None) -> None:
    """Hold every other upload to this room or by this member until this transaction ends.

    Always the room first, then the member: two uploads never wait for each other in a circle.
    """
    if dialect(db) == "postgresql":
        await db.execute(select(Room.id).where(Room.id == room_id).with_for_update())
        if user_id is not None:
            await db.execute(select(User.id).where(User.id == user_id).with_for_update())
        return
    # SQLite has one writer at a time: a write (that changes nothing) takes the database's
    # write lock, waiting for the upload that holds it, in any process.
    await db.execute(text("UPDATE rooms SET id = id WHERE id = :room"), {"room": room_id})


async def reserve(
    *, db: AsyncSession, limits: Limits, room_id: int, user_id: int | None, size: int
) -> None:
    """Lock, then refuse `size` more bytes past a quota; the lock lasts until the commit."""
    if limits.room is None and (limits.member is None or user_id is None):
        return
    await lock(db=db, room_id=room_id, user_id=user_id)
    room, member = await usage(db=db, limits=limits, room_id=room_id, user_id=user_id)
    check(room, member, size)


def usage_lines(room: Usage, member: Usage | None) -> list[str]:
    """What the meeting's Documents box says of the space used, translated."""
    lines = [
        i18n.gettext(N_("Room: %(used)s MB of %(limit)s MB used"), **_shown(room))
        if room.limit is not None
        else i18n.gettext(N_("Room: %(used)s MB used, no limit"), used=megabytes(room.used))
    ]
    if member is not None:
        lines.append(
            i18n.gettext(N_("Your documents: %(used)s MB of %(limit)s MB used"), **_shown(member))
            if member.limit is not None
            else i18n.gettext(
                N_("Your documents: %(used)s MB used, no limit"), used=megabytes(member.used)
            )
        )
    return lines


def _shown(usage: Usage) -> dict[str, str]:
    assert usage.limit is not None
    return {"used": megabytes(usage.used), "limit": megabytes(usage.limit)}


# The administration's view


@dataclass(frozen=True)
class RoomUsage:
    room_id: int
    name: str
    owner: str
    documents: int
    used: int


@dataclass(frozen=True)
class MemberUsage:
    user_id: int
    name: str
    email: str
    documents: int
    used: int


async def rooms_by_usage(*, db: AsyncSession) -> Sequence[RoomUsage]:
    """Rooms holding documents, the largest first."""
    used = func.sum(Presentation.size)
    result = await db.execute(
        select(Room.id, Room.name, User.display_name, func.count(Presentation.id), used)
        .join(Presentation, Presentation.room_id == Room.id)
        .join(User, User.id == Room.owner_id)
        .group_by(Room.id, Room.name, User.display_name)
        .order_by(used.desc(), Room.id)
        .limit(LISTED)
    )
    return [RoomUsage(*row) for row in result.all()]


async def members_by_usage(*, db: AsyncSession) -> Sequence[MemberUsage]:
    """Members who uploaded documents, the largest total first."""
    used = func.sum(Presentation.size)
    result = await db.execute(
        select(User.id, User.display_name, User.email, func.count(Presentation.id), used)
        .join(Presentation, Presentation.uploader_user_id == User.id)
        .group_by(User.id, User.display_name, User.email)
        .order_by(used.desc(), User.id)
        .limit(LISTED)
    )
    return [MemberUsage(*row) for row in result.all()]
