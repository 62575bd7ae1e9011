"""What administrators set for the calendar: the videoconference providers offered, the text
sent with every link (per language), and the address of the videoconference resource."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.admin.models import SiteSetting

KEY = "calendar"
TEXT_MAX = 2000


@dataclass(frozen=True)
class CalendarSite:
    # Parley's own rooms are offered (and the default) unless administrators turn them off.
    offer_parley: bool = True
    # Provider configurations offered besides, in this order (disabled ones are left out).
    provider_ids: list[int] = field(default_factory=list)
    # The text added with the link to invitations and event details, per language.
    texts: dict[str, str] = field(default_factory=dict)
    # Inviting this address to an event makes the server add a link (phones cannot press
    # the button). Empty: no resource.
    resource: str = ""

    def text(self, language: str | None) -> str:
        """The administrators' text in `language`, else in any language they wrote it in."""
        wanted = language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
        return self.texts.get(wanted, "").strip() or next(
            (value.strip() for value in self.texts.values() if value.strip()), ""
        )

    def is_resource(self, email: str) -> bool:
        return bool(self.resource) and email.strip().lower() == self.resource


async def load(*, db: AsyncSession) -> CalendarSite:
    row = await db.get(SiteSetting, KEY)
    stored: dict[str, Any] = row.value if row is not None and isinstance(row.value, dict) else {}
    return CalendarSite(
        offer_parley=bool(stored.get("offer_parley", True)),
        provider_ids=[int(i) for i in stored.get("provider_ids") or []],
        texts={str(k): str(v) for k, v in (stored.get("texts") or {}).items()},
        resource=str(stored.get("resource") or "").lower(),
    )


async def save(*, db: AsyncSession, site: CalendarSite) -> None:
    row = await db.get(SiteSetting, KEY)
    if row is None:
        db.add(SiteSetting(key=KEY, value=asdict(site)))
    else:
        row.value = asdict(site)
    await db.commit()
