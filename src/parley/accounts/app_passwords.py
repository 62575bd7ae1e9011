"""App passwords: made and revoked on the profile page, checked on every request of a
calendar program (CalDAV).

A member's account password never opens CalDAV: a program keeps what it is given, and a
password it keeps must be one the member can revoke on its own.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import AppPassword, User
from parley.db import utcnow
from parley.errors import N_, NotFound
from parley.security import hash_password, verify_password

PREFIX_LENGTH = 8


def _new_password() -> str:
    # Letters and digits only, in groups, so a person can type it into a phone.
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(24))
    return "-".join(raw[i : i + 4] for i in range(0, 24, 4))


async def create(*, db: AsyncSession, user: User, label: str) -> tuple[AppPassword, str]:
    """Make an app password for `user`; the plain password is returned this once only."""
    password = _new_password()
    row = AppPassword(
        user_id=user.id,
        label=label,
        prefix=password.replace("-", "")[:PREFIX_LENGTH],
        password_hash=await hash_password(password),
    )
    db.add(row)
    await db.commit()
    return row, password


async def list_for(*, db: AsyncSession, user: User) -> Sequence[AppPassword]:
    query = select(AppPassword).where(AppPassword.user_id == user.id).order_by(AppPassword.id)
    return (await db.scalars(query)).all()


async def revoke(*, db: AsyncSession, user: User, password_id: int) -> AppPassword:
    row = await db.get(AppPassword, password_id)
    if row is None or row.user_id != user.id:
        raise NotFound(N_("No such app password."))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await db.commit()
    return row


def basic_credentials(header: str) -> tuple[str, str] | None:
    """The email and password of an `Authorization: Basic` header, or None."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    email, colon, password = decoded.partition(":")
    return (email.strip(), password) if colon else None


async def authenticate(*, db: AsyncSession, email: str, password: str) -> User | None:
    """The active member whose app password this is; None for anything else."""
    prefix = password.replace("-", "")[:PREFIX_LENGTH]
    user = await db.scalar(select(User).where(func.lower(User.email) == email.lower()))
    row = None
    if user is not None and len(prefix) == PREFIX_LENGTH:
        row = await db.scalar(
            select(AppPassword).where(
                AppPassword.user_id == user.id,
                AppPassword.prefix == prefix,
                AppPassword.revoked_at.is_(None),
            )
        )
    # Always hash once, so a wrong address answers as slowly as a wrong password.
    valid = await verify_password(row.password_hash if row is not None else None, password)
    if not valid or row is None or user is None or not user.is_active:
        return None
    row.last_used_at = utcnow()
    await db.commit()
    return user
