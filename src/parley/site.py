"""Site-wide settings that administrators change while Parley runs (not the deployment's
settings, which come from the environment: `parley.settings`).

Each part of the site keeps its settings as one typed section, a row of `site_settings`
under the section's key: sign-up here, room policies (`parley.rooms.policies`), the calendar's
links and texts (`parley.calendar.site`). Every domain reads and writes them with `load` and
`save`, whatever layer it is in; the administration pages only edit them.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import JSON, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base

log = logging.getLogger(__name__)


class SiteSetting(Base):
    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Section(BaseModel):
    """One section of the site's settings; its defaults hold until an administrator saves."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    KEY: ClassVar[str]

    @classmethod
    def from_stored(cls, value: Any) -> Self:
        return cls.model_validate(value if isinstance(value, dict) else {})

    def stored(self) -> Any:
        return self.model_dump(mode="json")


S = TypeVar("S", bound=Section)


async def load(db: AsyncSession, section: type[S]) -> S:
    """The section as saved, or its defaults (also for a row that no longer validates)."""
    row = await db.get(SiteSetting, section.KEY)
    if row is None:
        return section.from_stored(None)
    try:
        return section.from_stored(row.value)
    except ValidationError:
        log.warning("site settings unreadable, defaults used", extra={"section": section.KEY})
        return section.from_stored(None)


async def save(db: AsyncSession, section: Section) -> None:
    row = await db.get(SiteSetting, section.KEY)
    if row is None:
        db.add(SiteSetting(key=section.KEY, value=section.stored()))
    else:
        row.value = section.stored()
    await db.commit()


class Signup(Section):
    """Whether people may create their own account from the login page."""

    KEY = "signup_enabled"

    enabled: bool = False

    @classmethod
    def from_stored(cls, value: Any) -> Self:
        return cls(enabled=bool(value))

    def stored(self) -> Any:
        return self.enabled


class RoomPolicies(Section):
    """Per room setting: {"value": default for new rooms, "forced": whether rooms must use
    it} (see `parley.rooms.policies`)."""

    KEY = "room_policies"

    policies: dict[str, dict[str, Any]] = {}

    @classmethod
    def from_stored(cls, value: Any) -> Self:
        return cls(policies=value if isinstance(value, dict) else {})

    def stored(self) -> Any:
        return self.policies
