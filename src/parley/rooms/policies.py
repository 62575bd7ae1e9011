"""Room settings, their defaults, and what administrators force for the whole site."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley import site
from parley.errors import N_

WAITING_ROOM_CHOICES = ("off", "guests", "everyone")


@dataclass(frozen=True)
class RoomSetting:
    key: str
    label: str
    help: str
    default: Any


ROOM_SETTINGS = (
    RoomSetting(
        "allow_guests",
        N_("Guests may join"),
        N_("People without an account join with just a name."),
        True,
    ),
    RoomSetting(
        "waiting_room",
        N_("Waiting room"),
        N_("A moderator lets people in one by one."),
        "off",
    ),
    RoomSetting(
        "mute_on_join",
        N_("Mute on join"),
        N_("Microphones are off when people come in."),
        False,
    ),
    RoomSetting(
        "all_moderators",
        N_("Everyone joins as moderator"),
        N_("Every participant can moderate the meeting."),
        False,
    ),
    RoomSetting(
        "anyone_can_open",
        N_("Any member may open the room"),
        N_("Otherwise only its owner and the members it is shared with."),
        False,
    ),
    RoomSetting(
        "media_server",
        N_("Always use the media server"),
        N_(
            "Audio and video go through the media server from the first person on, "
            "not only once the meeting grows. Only where the site has one."
        ),
        False,
    ),
    RoomSetting(
        "webinar",
        N_("Webinar"),
        N_("Only moderators and the people they bring on stage are seen and heard."),
        False,
    ),
)
SETTING_KEYS = tuple(s.key for s in ROOM_SETTINGS)


@dataclass(frozen=True)
class Policy:
    """For one setting: the default for new rooms, and whether every room must use it."""

    value: Any
    forced: bool


async def load(*, db: AsyncSession) -> dict[str, Policy]:
    stored = (await site.load(db, site.RoomPolicies)).policies
    policies = {}
    for setting in ROOM_SETTINGS:
        entry = stored.get(setting.key) or {}
        policies[setting.key] = Policy(
            value=entry.get("value", setting.default), forced=bool(entry.get("forced", False))
        )
    return policies


async def save(*, db: AsyncSession, policies: dict[str, Policy]) -> None:
    stored = {k: {"value": p.value, "forced": p.forced} for k, p in policies.items()}
    await site.save(db, site.RoomPolicies(policies=stored))
