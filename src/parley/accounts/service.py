"""State changes of accounts: users, login sessions, API tokens. Keyword-only, session passed in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import ApiToken, LoginSession, User
from parley.db import utcnow
from parley.errors import N_, Conflict, Forbidden, NotFound
from parley.security import hash_password, new_token, token_hash, verify_password

API_TOKEN_PREFIX = "parley_"  # noqa: S105 - a label, not a secret


async def count_admins(*, db: AsyncSession) -> int:
    result = await db.scalar(select(func.count()).select_from(User).where(User.is_admin))
    return int(result or 0)


async def get(*, db: AsyncSession, user_id: int) -> User | None:
    return await db.get(User, user_id)


async def get_by_email(*, db: AsyncSession, email: str) -> User | None:
    return await db.scalar(select(User).where(User.email == email.strip().lower()))


async def list_users(*, db: AsyncSession) -> Sequence[User]:
    return (await db.scalars(select(User).order_by(User.display_name, User.id))).all()


async def create(
    *,
    db: AsyncSession,
    email: str,
    display_name: str,
    password: str | None,
    is_admin: bool = False,
    language: str | None = None,
    verified: bool = True,
) -> User:
    """Create an active account; refuse an address already taken.

    `verified`: whether the address is known to be this person's. Administrators and the
    command line vouch for the addresses they type; a sign-up passes False and proves the
    address by mail (`mark_verified`).
    """
    email = email.strip().lower()
    if await get_by_email(db=db, email=email) is not None:
        raise Conflict(N_("An account with this email address already exists."), code="email_taken")
    user = User(
        email=email,
        display_name=display_name,
        password_hash=await hash_password(password) if password else None,
        is_admin=is_admin,
        is_active=True,
        language=language,
        email_verified_at=utcnow() if verified else None,
    )
    db.add(user)
    await db.commit()
    return user


async def mark_verified(*, db: AsyncSession, user: User) -> None:
    """Record that the person read the mail sent to their address (kept from the first time)."""
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        await db.commit()


async def create_first_admin(
    *, db: AsyncSession, email: str, display_name: str, password: str, language: str | None
) -> User:
    """Create the first administrator, only while there is none."""
    if await count_admins(db=db) > 0:
        raise Conflict(N_("Parley is already set up."), code="already_set_up")
    return await create(
        db=db,
        email=email,
        display_name=display_name,
        password=password,
        is_admin=True,
        language=language,
    )


async def _release_connection(db: AsyncSession) -> None:
    """End the session's read-only transaction, giving its connection back to the pool.

    A password check waits its turn behind the others of a burst: holding a connection all
    that time would leave none for the pages and the health check.
    """
    await db.commit()


async def authenticate(*, db: AsyncSession, email: str, password: str) -> User | None:
    """Return the active account these credentials open, or None."""
    user = await get_by_email(db=db, email=email)
    await _release_connection(db)
    ok = await verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        return None
    return user


async def start_session(*, db: AsyncSession, user: User, days: int, user_agent: str = "") -> str:
    """Open a login session and return the token for its cookie."""
    token = new_token()
    now = utcnow()
    db.add(
        LoginSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(days=days),
            user_agent=user_agent[:255],
        )
    )
    user.last_login_at = now
    await db.commit()
    return token


async def user_for_session(*, db: AsyncSession, token: str) -> User | None:
    row = await db.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    if row is None or row.expires_at <= utcnow():
        return None
    user = await db.get(User, row.user_id)
    return user if user is not None and user.is_active else None


async def end_session(*, db: AsyncSession, token: str) -> None:
    await db.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    await db.commit()


async def update_profile(
    *, db: AsyncSession, user: User, display_name: str | None, language: str | None
) -> User:
    if display_name is not None:
        user.display_name = display_name
    if language is not None:
        user.language = language or None
    await db.commit()
    return user


async def change_password(
    *, db: AsyncSession, user: User, current: str, new: str, keep_session: str | None = None
) -> None:
    """Change the password once the current one is confirmed, and end every other login.

    Whoever knew the old password may be logged in somewhere: only the login session whose
    token is `keep_session` (the browser making the change) stays open.
    """
    await _release_connection(db)
    if not await verify_password(user.password_hash, current):
        raise Forbidden(N_("The current password is not right."), code="bad_password")
    user.password_hash = await hash_password(new)
    others = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep_session:
        others = others.where(LoginSession.token_hash != token_hash(keep_session))
    await db.execute(others)
    await db.commit()


async def set_roles(
    *,
    db: AsyncSession,
    actor: User,
    user: User,
    is_admin: bool | None = None,
    is_active: bool | None = None,
) -> User:
    """Promote, demote, disable or enable `user`; an administrator cannot lock themself out."""
    if user.id == actor.id and (is_admin is False or is_active is False):
        raise Forbidden(
            N_("You cannot remove your own administrator rights or disable yourself."),
            code="self_lockout",
        )
    if is_admin is not None:
        user.is_admin = is_admin
    if is_active is not None:
        user.is_active = is_active
        if not is_active:
            # A disabled account is logged out everywhere at once.
            await db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
            await db.execute(
                update(ApiToken)
                .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
    await db.commit()
    return user


async def create_api_token(*, db: AsyncSession, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token; the plain token is returned this once only."""
    token = new_token(API_TOKEN_PREFIX)
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(token), prefix=token[:12])
    db.add(row)
    await db.commit()
    return row, token


async def list_api_tokens(*, db: AsyncSession, user: User) -> Sequence[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return (await db.scalars(query)).all()


async def revoke_api_token(*, db: AsyncSession, user: User, token_id: int) -> ApiToken:
    row = await db.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(N_("No such token."))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await db.commit()
    return row


async def user_for_api_token(*, db: AsyncSession, token: str) -> User | None:
    if not token.startswith(API_TOKEN_PREFIX):
        return None
    row = await db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = await db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    row.last_used_at = utcnow()
    await db.commit()
    return user
