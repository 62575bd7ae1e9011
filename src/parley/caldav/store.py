"""A member's calendar as CalDAV objects, read and written through the calendar service.

Every object is an event the member organises or is invited to, as `parley.calendar.ics`
writes it; its ETag is a hash of those bytes, so any change (from the pages, the API,
an import, an answer, CalDAV) gives a new one. A PUT becomes `service.create` or
`service.update`, so invitations go out and the videoconference resource adds its link
as with the event form; a DELETE is `service.delete`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, unquote

from icalendar import Calendar, Event
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.accounts.models import User
from parley.caldav.models import ObjectName, SyncState
from parley.calendar import ics, recurrence, service
from parley.calendar import site as calendar_site
from parley.calendar.models import CalendarEvent
from parley.calendar.schemas import MAX_ATTENDEES, AttendeeIn, EventIn, RecurrenceIn
from parley.calendar.visibility import visible_to
from parley.errors import Invalid
from parley.runtime import Runtime

# Sync states kept per member: a client with an older token starts over (RFC 6578 3.2).
KEPT_SYNC_STATES = 50
MAX_OBJECTS = 2000


@dataclass
class CalendarObject:
    name: str
    event: CalendarEvent
    body: bytes
    etag: str


class BadCalendarData(ValueError):
    """A PUT body that is not one event; `condition` is the CalDAV precondition."""

    def __init__(self, condition: str, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.condition = condition
        self.reason = reason
        self.status = status


def default_name(event: CalendarEvent) -> str:
    return quote(event.uid, safe="@.-_") + ".ics"


def render(event: CalendarEvent, site: calendar_site.CalendarSite) -> bytes:
    component = ics.event_component(event, event.organizer, text=site.text(i18n.get_language()))
    # The stamp is the last change, not the time of reading: the same event gives the same
    # bytes, hence the same ETag.
    component.pop("DTSTAMP")
    component.add("DTSTAMP", event.updated_at)
    # A VCALENDAR is given a new UID of its own each time it is written: leave it out.
    whole = Calendar.from_ical(ics.calendar([component]))
    whole.pop("UID", None)
    data: bytes = whole.to_ical()
    return data


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def objects(*, db: AsyncSession, user: User) -> list[CalendarObject]:
    """Every object of `user`'s calendar."""
    events = (
        await db.scalars(
            select(CalendarEvent)
            .where(visible_to(user))
            .order_by(CalendarEvent.id)
            .limit(MAX_OBJECTS)
        )
    ).all()
    names = {
        row.event_id: row.name
        for row in await db.scalars(select(ObjectName).where(ObjectName.user_id == user.id))
    }
    site = await calendar_site.load(db=db)
    found = []
    for event in events:
        body = render(event, site)
        found.append(
            CalendarObject(
                name=names.get(event.id) or default_name(event),
                event=event,
                body=body,
                etag=etag_of(body),
            )
        )
    return found


async def find(*, db: AsyncSession, user: User, name: str) -> CalendarObject | None:
    """The object called `name` in `user`'s calendar."""
    row = await db.scalar(
        select(ObjectName).where(ObjectName.user_id == user.id, ObjectName.name == name)
    )
    query = select(CalendarEvent).where(visible_to(user))
    if row is not None:
        query = query.where(CalendarEvent.id == row.event_id)
    elif name.endswith(".ics"):
        query = query.where(CalendarEvent.uid == unquote(name[:-4]))
    else:
        return None
    event = await db.scalar(query.order_by(CalendarEvent.id).limit(1))
    if event is None:
        return None
    if row is None:
        # An event with a name of the client's own is reached by that name only.
        named = await db.scalar(
            select(ObjectName).where(ObjectName.user_id == user.id, ObjectName.event_id == event.id)
        )
        if named is not None:
            return None
    body = render(event, await calendar_site.load(db=db))
    return CalendarObject(name=name, event=event, body=body, etag=etag_of(body))


def overlaps(event: CalendarEvent, start: datetime | None, end: datetime | None) -> bool:
    """Whether the event (or an occurrence of its series) meets [start, end)."""
    low = start or datetime.min.replace(tzinfo=event.starts_at.tzinfo)
    high = end or datetime.max.replace(tzinfo=event.starts_at.tzinfo)
    rule = recurrence.Rule.from_json(event.recurrence)
    if rule is None:
        return event.starts_at < high and event.ends_at > low
    length = event.ends_at - event.starts_at
    first = next(
        recurrence.starts(
            rule=rule,
            starts_at=event.starts_at,
            timezone=event.timezone,
            all_day=event.all_day,
            after=max(low - length, event.starts_at - timedelta(seconds=1)),
            before=high,
        ),
        None,
    )
    return first is not None


# Writing


def read_body(data: bytes) -> Event:
    """The one VEVENT of a PUT body (RFC 4791 4.1: one UID per object)."""
    try:
        calendars = Calendar.from_ical(data, multiple=True)
    except Exception as exc:
        raise BadCalendarData("valid-calendar-data", "The body is not iCalendar data.") from exc
    if len(calendars) != 1:
        raise BadCalendarData("valid-calendar-data", "The body must hold one VCALENDAR.")
    events = [c for c in calendars[0].walk("VEVENT") if isinstance(c, Event)]
    if not events:
        raise BadCalendarData(
            "supported-calendar-component", "This calendar holds events (VEVENT) only.", 415
        )
    uids = {str(c.get("UID") or "").strip() for c in events}
    if len(uids) != 1 or "" in uids:
        raise BadCalendarData(
            "valid-calendar-object-resource", "An object holds one event: one UID, not empty."
        )
    return events[0]


def event_in(data: bytes, *, timezone: str) -> tuple[EventIn, str, list[str]]:
    """The event form's data for a PUT body, its UID and the days its series skips."""
    component = read_body(data)
    try:
        (parsed,) = ics.parse(data, default_timezone=timezone)
    except Invalid as exc:
        raise BadCalendarData(
            "valid-calendar-data", i18n.gettext(exc.message, **exc.params)
        ) from exc
    except ValueError as exc:
        raise BadCalendarData("valid-calendar-object-resource", "More than one event.") from exc
    zone = recurrence.zone(parsed.timezone)
    if parsed.all_day:
        start = parsed.starts_at.date().isoformat()
        end = (parsed.ends_at - timedelta(days=1)).date().isoformat()
    else:
        start = parsed.starts_at.astimezone(zone).replace(tzinfo=None).isoformat()
        end = parsed.ends_at.astimezone(zone).replace(tzinfo=None).isoformat()
    rule = parsed.rule
    try:
        form = EventIn(
            title=parsed.title,
            description=_without_link_block(parsed.description, component),
            location=_without_link(parsed.location, component),
            timezone=parsed.timezone,
            all_day=parsed.all_day,
            start=start,
            end=end,
            attendees=[
                AttendeeIn(email=email, name=name[:100])
                for email, name in parsed.attendees[:MAX_ATTENDEES]
            ],
            recurrence=RecurrenceIn(
                freq=rule.freq, interval=rule.interval, count=rule.count, until=rule.until
            )
            if rule is not None
            else None,
        )
    except ValueError as exc:
        raise BadCalendarData("valid-calendar-data", str(exc).splitlines()[0]) from exc
    return form, parsed.uid, [day.isoformat() for day in parsed.excluded]


def _link_of(component: Event) -> str:
    return str(component.get("URL") or "").strip()


def _without_link(location: str, component: Event) -> str:
    """The place, without the link Parley put there when the event had none."""
    link = _link_of(component)
    return "" if link and location.strip() == link else location


def _without_link_block(description: str, component: Event) -> str:
    """The description as the organiser wrote it, without the lines Parley adds."""
    link = _link_of(component)
    marker = i18n.gettext("Videoconference: %(url)s", url=link) if link else ""
    if marker and marker in description:
        description = description.split(marker, 1)[0]
    return description.strip()


async def put(
    *,
    db: AsyncSession,
    runtime: Runtime,
    user: User,
    name: str,
    current: CalendarObject | None,
    data: bytes,
) -> CalendarEvent:
    """Save a PUT body as a Parley event, through the calendar service."""
    form, uid, skipped = event_in(data, timezone="UTC")
    if current is None:
        taken = await db.scalar(
            select(CalendarEvent.id).where(
                CalendarEvent.organizer_id == user.id, CalendarEvent.uid == uid
            )
        )
        if taken is not None:
            raise BadCalendarData("no-uid-conflict", "Another object has this UID.", 409)
        # The client chose the UID: the invitations carry it, and it reads the same one back.
        saved = await service.create(db=db, runtime=runtime, organizer=user, data=form, uid=uid)
        event = saved.event
        if name != default_name(event):
            db.add(ObjectName(user_id=user.id, event_id=event.id, name=name))
    else:
        if current.event.uid != uid:
            raise BadCalendarData("no-uid-conflict", "An object keeps its UID.", 409)
        saved = await service.update(
            db=db, runtime=runtime, actor=user, event=current.event, data=form
        )
        event = saved.event
    event.exdates = skipped
    await db.commit()
    await db.refresh(event)
    return event


async def remove(
    *, db: AsyncSession, runtime: Runtime, user: User, current: CalendarObject
) -> None:
    await service.delete(db=db, runtime=runtime, actor=user, event=current.event)


# Sync tokens

SYNC_URI = "http://parley.invalid/ns/sync/"


def token_of(state: SyncState) -> str:
    return f"{SYNC_URI}{state.id}"


async def current_state(
    *, db: AsyncSession, user: User, found: Sequence[CalendarObject]
) -> SyncState:
    """The sync state of the calendar now (the last one, when nothing changed since)."""
    etags = {item.name: item.etag for item in found}
    last = await db.scalar(
        select(SyncState).where(SyncState.user_id == user.id).order_by(SyncState.id.desc()).limit(1)
    )
    if last is not None and last.etags == etags:
        return last
    state = SyncState(user_id=user.id, etags=etags)
    db.add(state)
    await db.flush()
    old = (
        await db.scalars(
            select(SyncState.id)
            .where(SyncState.user_id == user.id)
            .order_by(SyncState.id.desc())
            .offset(KEPT_SYNC_STATES)
        )
    ).all()
    if old:
        await db.execute(delete(SyncState).where(SyncState.id.in_(old)))
    await db.commit()
    return state


async def state_for_token(*, db: AsyncSession, user: User, token: str) -> SyncState | None:
    if not token.startswith(SYNC_URI) or not token[len(SYNC_URI) :].isdigit():
        return None
    state = await db.get(SyncState, int(token[len(SYNC_URI) :]))
    return state if state is not None and state.user_id == user.id else None
