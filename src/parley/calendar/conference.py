"""Videoconference links for events, made through the meeting providers.

The one place the calendar calls providers: which ones are offered (Parley's own rooms by
default, and the configurations administrators chose), and making a link for an event.
Links are never deleted from here: a link removed from an event keeps working.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.accounts.models import User
from parley.calendar import site as calendar_site
from parley.calendar.models import Conference
from parley.errors import N_, Invalid
from parley.providers import flows
from parley.providers import service as providers
from parley.providers.base import MeetingSpec, ProviderError
from parley.providers.service import ProviderRuntime

log = logging.getLogger(__name__)

# The choice that stands for Parley's built-in rooms (other choices are configuration ids).
BUILT_IN = "parley"


@dataclass(frozen=True)
class Choice:
    key: str
    name: str
    config_id: int | None


async def choices(*, db: AsyncSession) -> list[Choice]:
    """The providers people may choose for an event's link, the default first."""
    site = await calendar_site.load(db=db)
    found: list[Choice] = []
    if site.offer_parley:
        found.append(Choice(BUILT_IN, i18n.gettext(N_("Parley rooms")), None))
    enabled = {row.id: row for row in await providers.enabled_configs(db=db)}
    for config_id in site.provider_ids:
        if (row := enabled.get(config_id)) is not None:
            found.append(Choice(str(row.id), row.name, row.id))
    return found


async def create(
    *,
    db: AsyncSession,
    runtime: ProviderRuntime,
    owner: User,
    choice: str | None,
    title: str,
    start: datetime | None = None,
    duration_minutes: int = 60,
    timezone: str = "UTC",
) -> Conference:
    """Make a new link with the chosen provider (the default when None) and keep it.

    The link works as soon as this returns, whether or not an event is ever saved with it.
    Raises Invalid for a provider that is not offered, ProviderError when it fails.
    """
    offered = await choices(db=db)
    if not offered:
        raise Invalid(
            N_("The administrators have not set up any videoconference service."),
            code="no_provider",
        )
    picked = offered[0] if choice is None else next((c for c in offered if c.key == choice), None)
    if picked is None:
        raise Invalid(N_("This videoconference service is not offered."), code="bad_provider")
    if picked.config_id is None:
        provider = runtime.builtin()
    else:
        row = await providers.get(db=db, config_id=picked.config_id)
        assert row is not None
        provider = runtime.instance(row)
    spec = MeetingSpec(
        # Made before the event exists: a reference of its own, stable for the meeting's life.
        reference=f"event:link-{secrets.token_hex(8)}",
        title=title.strip() or i18n.gettext(N_("Videoconference")),
        organiser_id=owner.id,
        start=start,
        duration_minutes=max(1, duration_minutes),
        timezone=timezone,
    )
    # The provider may write through its own session: end this one's transaction first.
    await db.commit()
    meeting = await flows.create_meeting(provider=provider, spec=spec)
    # The organiser's start link may carry a credential: only the shareable link goes out.
    url = meeting.join_url
    if not url:
        raise ProviderError(
            N_("%(provider)s gives no link that can be shared in an invitation."),
            code="provider_unsupported",
            provider=picked.name,
        )
    conference = Conference(
        owner_id=owner.id,
        provider_config_id=picked.config_id,
        provider_name=picked.name,
        url=url,
        meeting=meeting.to_json(),
    )
    db.add(conference)
    await db.commit()
    log.info("event link made", extra={"conference": conference.id, "provider": picked.key})
    return conference


async def owned(*, db: AsyncSession, owner: User, conference_id: int) -> Conference:
    """A link `owner` made; any other is refused as unknown."""
    conference = await db.get(Conference, conference_id)
    if conference is None or conference.owner_id != owner.id:
        raise Invalid(N_("This videoconference link is unknown."), code="bad_conference")
    return conference
