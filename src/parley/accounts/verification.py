"""Proving an email address: a signed link sent there, and the notes sign-up sends instead.

A sign-up makes an account whose address is not yet proven: invitations sent to that address
reach it only once the person opens the link mailed there (`accounts.service.mark_verified`).
Sign-up tells no one whether an address has an account: the answer is the same either way,
and the owner of a taken address is told by mail instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.accounts import service as accounts
from parley.accounts.models import User
from parley.db import utcnow
from parley.errors import N_, Conflict
from parley.mail import compose, outbox
from parley.ratelimit import RateLimiter
from parley.security import constant_time_equal, hash_password, sign
from parley.settings import Settings

LINK_HOURS = 48
# Emails Parley sends to one address to prove it (links and notes), and asks for "send again".
EMAILS_PER_ADDRESS = "5/hour"
_PURPOSE = "email-verification"
_MAX_ID = 2**31 - 1


class BadLink(Exception):
    """The link was not made by Parley for this account (changed, cut, or made up)."""


class ExpiredLink(Exception):
    """The link was right, but is older than `LINK_HOURS`."""


def _signature(secret: str, user_id: int, email: str, expires: int) -> str:
    # Bound to the address: a link sent to an earlier address proves nothing about a later one.
    return sign(secret, _PURPOSE, f"{user_id}:{email}:{expires}")[:40]


def link_token(secret: str, user: User, *, now: datetime | None = None) -> str:
    """The secret part of `user`'s verification link, valid `LINK_HOURS` from `now`."""
    expires = int(((now or utcnow()) + timedelta(hours=LINK_HOURS)).timestamp())
    return f"{user.id}.{expires}.{_signature(secret, user.id, user.email, expires)}"


def _parts(token: str) -> tuple[int, int, str]:
    user_part, expires_part, signature = [*token.split("."), "", ""][:3]
    if not (user_part.isascii() and user_part.isdecimal() and expires_part.isascii()):
        raise BadLink
    if not expires_part.isdecimal() or len(user_part) > 10 or len(expires_part) > 12:
        raise BadLink
    user_id = int(user_part)
    # Beyond the database's integer range no account can have that id (and asking would fail).
    if user_id > _MAX_ID:
        raise BadLink
    return user_id, int(expires_part), signature


async def user_for_link(*, db: AsyncSession, secret: str, token: str) -> User:
    """The account whose address this link proves; BadLink or ExpiredLink otherwise."""
    user_id, expires, signature = _parts(token)
    user = await db.get(User, user_id)
    if user is None or not constant_time_equal(
        signature, _signature(secret, user.id, user.email, expires)
    ):
        raise BadLink
    if expires <= utcnow().timestamp():
        raise ExpiredLink
    return user


def _link(settings: Settings, secret: str, user: User) -> str:
    return f"{settings.effective_public_url}/verify-email/{link_token(secret, user)}"


async def may_send(limiter: RateLimiter, address: str) -> bool:
    """Count one email to `address`; tell whether it is within `EMAILS_PER_ADDRESS`."""
    return await limiter.take(f"verify-email:{address.lower()}")


async def send_link(
    *, db: AsyncSession, settings: Settings, secret: str, user: User, language: str | None
) -> None:
    """Queue the email with `user`'s verification link; it goes when the caller commits."""
    language = user.language or language
    with i18n.using(language):
        subject = i18n.gettext(N_("Confirm your email address for Parley"))
    text, html = compose.render(
        "verify_email",
        language,
        name=user.display_name,
        link=_link(settings, secret, user),
        hours=LINK_HOURS,
    )
    await outbox.queue(
        db=db,
        settings=settings,
        recipient=user.email,
        subject=subject,
        text=text,
        html=html,
        topic=f"user:{user.id}:verify-email",
    )


async def send_taken_note(
    *, db: AsyncSession, settings: Settings, owner: User, language: str | None
) -> None:
    """Queue the note telling `owner` that someone tried to sign up with their address."""
    language = owner.language or language
    with i18n.using(language):
        subject = i18n.gettext(N_("Someone tried to create a Parley account with your address"))
    text, html = compose.render(
        "signup_address_taken",
        language,
        name=owner.display_name,
        email=owner.email,
        login_link=f"{settings.effective_public_url}/login",
    )
    await outbox.queue(
        db=db,
        settings=settings,
        recipient=owner.email,
        subject=subject,
        text=text,
        html=html,
        topic=f"user:{owner.id}:signup-taken",
    )


async def sign_up(
    *,
    db: AsyncSession,
    settings: Settings,
    secret: str,
    limiter: RateLimiter,
    email: str,
    display_name: str,
    password: str,
    language: str | None,
) -> None:
    """Make an account with an unproven address and mail its link, or, when the address has an
    account already, mail its owner a note and make nothing.

    The caller answers the same in both cases; the password is hashed in both, so the time
    taken tells nothing either. Past `EMAILS_PER_ADDRESS`, the email is silently left out.
    """
    email = email.strip().lower()
    owner = await accounts.get_by_email(db=db, email=email)
    if owner is not None:
        await hash_password(password)
        if await may_send(limiter, email):
            await send_taken_note(db=db, settings=settings, owner=owner, language=language)
            await db.commit()
        return
    try:
        user = await accounts.create(
            db=db,
            email=email,
            display_name=display_name,
            password=password,
            language=None,
            verified=False,
        )
    except (Conflict, IntegrityError):
        # Another sign-up took the address a moment ago: this one makes nothing.
        await db.rollback()
        return
    if await may_send(limiter, email):
        await send_link(db=db, settings=settings, secret=secret, user=user, language=language)
        await db.commit()


async def send_again(
    *,
    db: AsyncSession,
    settings: Settings,
    secret: str,
    limiter: RateLimiter,
    user: User,
    language: str | None,
) -> bool:
    """Mail `user` a fresh link unless their address is proven; False past the rate limit."""
    if user.email_verified:
        return True
    if not await may_send(limiter, user.email):
        return False
    await send_link(db=db, settings=settings, secret=secret, user=user, language=language)
    await db.commit()
    return True
