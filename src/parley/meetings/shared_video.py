"""The video the presenter shares in a meeting: everyone's player follows theirs.

The room keeps where the video stood and when (`position` seconds at server time `at`,
`playing`, `rate`): any page computes where it is now, so a late joiner starts at the right
place, and every page corrects its drift against it. Only the meeting's presenter shares,
drives and stops it (a moderator who does not present is refused too).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.bus import Bus
from parley.media import video_links
from parley.meetings import access, events
from parley.meetings.events import Changes
from parley.meetings.service import current_video
from parley.rooms.service import JoinClaims


async def share(
    *, db: AsyncSession, bus: Bus, claims: JoinClaims, url: str, peertube_hosts: list[str]
) -> None:
    room = await access.current_room(db, claims)
    me = await access.presenter(db, claims, room)
    found = video_links.parse(url, peertube_hosts=peertube_hosts)
    room.video = {
        **found,
        "meeting": room.meeting_number,
        "by": me.participant_id,
        "by_name": me.display_name,
        "playing": False,
        "position": 0.0,
        "rate": 1.0,
        "at": time.time(),
    }
    await _publish(db, bus, room.id, room.video)


async def control(
    *, db: AsyncSession, bus: Bus, claims: JoinClaims, playing: bool, position: float, rate: float
) -> None:
    room = await access.current_room(db, claims)
    await access.presenter(db, claims, room)
    shown = current_video(room)
    if shown is None:
        return
    room.video = {
        **shown,
        "playing": playing,
        "position": position,
        "rate": rate,
        "at": time.time(),
    }
    await _publish(db, bus, room.id, room.video)


async def stop(*, db: AsyncSession, bus: Bus, claims: JoinClaims) -> None:
    room = await access.current_room(db, claims)
    await access.presenter(db, claims, room)
    room.video = None
    await _publish(db, bus, room.id, None)


async def _publish(db: AsyncSession, bus: Bus, room_id: int, video: dict[str, Any] | None) -> None:
    changes = Changes(db, room_id)
    await changes.add(events.Video(video=video))
    await changes.commit(bus)
