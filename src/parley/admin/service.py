"""Site-wide settings, with their defaults."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.admin.models import SiteSetting

DEFAULTS: dict[str, Any] = {
    # Whether people may create their own account from the login page.
    "signup_enabled": False,
    # Per room setting: {"value": default for new rooms, "forced": whether rooms must use it}.
    "room_policies": {},
}


async def get_setting(*, db: AsyncSession, key: str) -> Any:
    row = await db.get(SiteSetting, key)
    return DEFAULTS[key] if row is None else row.value


async def set_setting(*, db: AsyncSession, key: str, value: Any) -> None:
    if key not in DEFAULTS:
        raise KeyError(key)
    row = await db.get(SiteSetting, key)
    if row is None:
        db.add(SiteSetting(key=key, value=value))
    else:
        row.value = value
    await db.commit()
