"""Import of an .ics file into a person's calendar.

No invitation is sent: the file holds events the person already knows about. Links the
videoconference resource asks for are made before anything is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.accounts.models import User
from parley.calendar import conference as links
from parley.calendar import ics, recurrence
from parley.calendar import site as calendar_site
from parley.calendar.models import CANCELLED, CONFIRMED, CalendarEvent, Conference
from parley.calendar.schemas import AttendeeIn
from parley.calendar.service import new_attendee, new_uid, people_of
from parley.calendar.times import check_zone
from parley.db import utcnow
from parley.errors import ParleyError
from parley.runtime import Runtime

log = logging.getLogger(__name__)

# An .ics file larger than this is not a calendar a person imports by hand.
MAX_IMPORT_BYTES = 2 * 1024 * 1024


@dataclass
class Imported:
    created: int = 0
    updated: int = 0
    conference_errors: list[str] = field(default_factory=list)


async def import_file(
    *, db: AsyncSession, runtime: Runtime, user: User, data: bytes, timezone: str
) -> Imported:
    """Add the events of an .ics file to `user`'s calendar; no invitation is sent.

    All or nothing: a file with one bad event changes nothing. An event whose UID is already
    in the calendar is updated rather than added twice.
    """
    parsed = ics.parse(data, default_timezone=check_zone(timezone))
    site = await calendar_site.load(db=db)
    result = Imported()
    prepared = []
    for item in parsed:
        wanted = [AttendeeIn(email=email, name=name[:100]) for email, name in item.attendees]
        people = await people_of(db, wanted[:200], user, site)
        prepared.append((item, people))
    # Links the resource asks for are made first: a provider call ends the transaction.
    made: dict[int, Conference] = {}
    for position, (item, people) in enumerate(prepared):
        if not any(p.is_resource for p in people):
            continue
        uid = item.uid
        existing = (
            await db.scalar(
                select(CalendarEvent).where(
                    CalendarEvent.organizer_id == user.id, CalendarEvent.uid == uid
                )
            )
            if uid
            else None
        )
        if existing is not None and existing.conference_id is not None:
            continue
        try:
            made[position] = await links.create(
                db=db,
                runtime=runtime.providers,
                owner=user,
                choice=None,
                title=item.title,
                start=None if item.all_day else item.starts_at,
                duration_minutes=int((item.ends_at - item.starts_at).total_seconds() // 60),
                timezone=item.timezone,
            )
        except ParleyError as exc:
            result.conference_errors.append(
                f"{item.title}: {i18n.gettext(exc.message, **exc.params)}"
            )
    for position, (item, people) in enumerate(prepared):
        event = None
        if item.uid:
            event = await db.scalar(
                select(CalendarEvent).where(
                    CalendarEvent.organizer_id == user.id, CalendarEvent.uid == item.uid
                )
            )
        if event is None:
            event = CalendarEvent(
                uid=item.uid or new_uid(runtime.settings),
                organizer_id=user.id,
                sequence=0,
                attendees=[],
            )
            db.add(event)
            result.created += 1
        else:
            event.sequence += 1
            event.updated_at = utcnow()
            result.updated += 1
        event.title = item.title
        event.description = item.description
        event.location = item.location
        event.timezone = item.timezone
        event.all_day = item.all_day
        event.starts_at, event.ends_at = item.starts_at, item.ends_at
        event.recurrence = item.rule.to_json() if item.rule is not None else None
        event.exdates = [day.isoformat() for day in item.excluded]
        event.repeats_until = recurrence.last_end(
            rule=item.rule,
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            timezone=item.timezone,
            all_day=item.all_day,
        )
        event.status = CANCELLED if item.cancelled else CONFIRMED
        if position in made:
            event.conference = made[position]
        known = {a.email: a for a in event.attendees}
        event.attendees[:] = [known.get(p.email) or new_attendee(p) for p in people]
    await db.commit()
    log.info(
        "calendar imported",
        extra={
            "user": user.id,
            # Not "created": that is the log record's own time, and logging refuses it.
            "events_created": result.created,
            "events_updated": result.updated,
        },
    )
    return result
