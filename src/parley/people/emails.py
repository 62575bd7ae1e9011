"""Inviting people outside the organisation by email: the room's link, sent by Parley."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.accounts.models import User
from parley.errors import N_, Conflict, TooManyRequests
from parley.mail import compose, outbox
from parley.people.service import may_invite
from parley.ratelimit import RateLimiter
from parley.rooms import service as rooms
from parley.rooms.models import Room
from parley.settings import Settings


async def invite_guests(
    *,
    db: AsyncSession,
    settings: Settings,
    limiter: RateLimiter,
    inviter: User,
    room: Room,
    addresses: list[str],
    message: str,
) -> int:
    """Queue one email per address with the room's guest link; return how many."""
    await may_invite(db=db, user=inviter, room=room)
    room_settings = await rooms.effective_settings(db=db, room=room)
    if not room_settings["allow_guests"]:
        raise Conflict(
            N_("Guests may not join this room. A moderator can allow them in its settings."),
            code="guests_not_allowed",
        )
    if not await limiter.take(f"email-invitations:{inviter.id}", cost=len(addresses)):
        raise TooManyRequests(
            N_("You have sent many invitations in a short while. Please wait a little."),
            code="too_many_invitations",
        )
    link = f"{settings.effective_public_url}/r/{room.slug}"
    language = inviter.language or i18n.get_language()
    with i18n.using(language):
        subject = i18n.gettext(
            N_("%(name)s invites you to a meeting: %(room)s"),
            name=inviter.display_name,
            room=room.name,
        )
    context = {
        "inviter": inviter.display_name,
        "room": room.name,
        "link": link,
        "message": message.strip(),
        "access_code": room.access_code,
    }
    text, html = compose.render("guest_invitation", language, **context)
    for address in addresses:
        await outbox.queue(
            db=db,
            settings=settings,
            recipient=address,
            subject=subject,
            text=text,
            html=html,
            reply_to=inviter.email,
            topic=f"room:{room.id}:guest-invitation",
        )
    await db.commit()
    return len(addresses)
