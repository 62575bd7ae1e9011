"""The private feed: a secret address per person that calendar programs subscribe to.

The address carries the person's id, the feed's version and a signature; a new address
raises the version, so every address given before stops working.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import User
from parley.calendar.models import CalendarEvent, CalendarFeed
from parley.calendar.visibility import visible_to
from parley.db import utcnow
from parley.runtime import Runtime
from parley.security import constant_time_equal, sign

# The feed holds what ended less than this long ago, and everything after.
FEED_PAST_DAYS = 92
FEED_MAX_EVENTS = 2000


def feed_token(secret: str, feed: CalendarFeed) -> str:
    signature = sign(secret, "calendar-feed", f"{feed.user_id}:{feed.version}")[:40]
    return f"{feed.user_id}-{feed.version}-{signature}"


async def feed_of(*, db: AsyncSession, user: User) -> CalendarFeed | None:
    feed = await db.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    return feed if feed is not None and feed.enabled else None


async def new_feed_address(*, db: AsyncSession, user: User) -> CalendarFeed:
    """Turn the feed on with a new address; the previous address stops working."""
    feed = await db.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        feed = CalendarFeed(user_id=user.id, version=1, enabled=True)
        db.add(feed)
    else:
        feed.version += 1
        feed.enabled = True
    await db.commit()
    return feed


async def stop_feed(*, db: AsyncSession, user: User) -> None:
    feed = await db.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is not None:
        feed.enabled = False
        feed.version += 1
        await db.commit()


async def user_for_feed(*, db: AsyncSession, secret: str, token: str) -> User | None:
    user_part, _, rest = token.partition("-")
    version_part, _, _signature = rest.partition("-")
    if not (user_part.isdigit() and version_part.isdigit()):
        return None
    feed = await db.scalar(select(CalendarFeed).where(CalendarFeed.user_id == int(user_part)))
    if feed is None or not feed.enabled:
        return None
    if not constant_time_equal(token, feed_token(secret, feed)):
        return None
    user = await db.get(User, feed.user_id)
    return user if user is not None and user.is_active else None


async def feed_events(*, db: AsyncSession, user: User) -> Sequence[CalendarEvent]:
    """What the feed holds: recent and coming events, series that still run."""
    since = utcnow() - timedelta(days=FEED_PAST_DAYS)
    query = (
        select(CalendarEvent)
        .where(
            visible_to(user),
            or_(CalendarEvent.repeats_until.is_(None), CalendarEvent.repeats_until > since),
        )
        .order_by(CalendarEvent.starts_at)
        .limit(FEED_MAX_EVENTS)
    )
    return (await db.scalars(query)).all()


def feed_url(runtime: Runtime, token: str) -> str:
    return f"{runtime.settings.effective_public_url}/calendar/feed/{token}.ics"
