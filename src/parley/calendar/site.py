"""What administrators set for the calendar: the videoconference providers offered, the text
sent with every link (per language), and the address of the videoconference resource."""

from __future__ import annotations

from pydantic import Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley import site as site_settings

TEXT_MAX = 2000


class CalendarSite(site_settings.Section):
    KEY = "calendar"

    # Parley's own rooms are offered (and the default) unless administrators turn them off.
    offer_parley: bool = True
    # Provider configurations offered besides, in this order (disabled ones are left out).
    provider_ids: list[int] = Field(default_factory=list)
    # The text added with the link to invitations and event details, per language.
    texts: dict[str, str] = Field(default_factory=dict)
    # Inviting this address to an event makes the server add a link (phones cannot press
    # the button). Empty: no resource.
    resource: str = ""

    @field_validator("resource")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    def text(self, language: str | None) -> str:
        """The administrators' text in `language`, else in any language they wrote it in."""
        wanted = language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
        return self.texts.get(wanted, "").strip() or next(
            (value.strip() for value in self.texts.values() if value.strip()), ""
        )

    def is_resource(self, email: str) -> bool:
        return bool(self.resource) and email.strip().lower() == self.resource


async def load(*, db: AsyncSession) -> CalendarSite:
    return await site_settings.load(db, CalendarSite)


async def save(*, db: AsyncSession, site: CalendarSite) -> None:
    await site_settings.save(db, site)
