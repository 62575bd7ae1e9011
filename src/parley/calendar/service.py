"""State changes of the calendar: events, their attendees and answers.

Only the organiser changes an event; attendees see it and answer. Every change attendees
must hear about raises the event's SEQUENCE and queues invitations (or cancellations) in
the durable outbox, in the same transaction as the change; the workers are woken after the
commit. A videoconference link comes from `parley.calendar.conference`, whose provider call
happens before anything is written. Times are read by `parley.calendar.times`, who sees what
by `parley.calendar.visibility`; import and feed have their own modules.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.accounts.models import User
from parley.calendar import conference as links
from parley.calendar import emails, recurrence
from parley.calendar import site as calendar_site
from parley.calendar.emails import rsvp_token
from parley.calendar.models import (
    ACCEPTED,
    CANCELLED,
    CONFIRMED,
    NEEDS_ACTION,
    Attendee,
    CalendarEvent,
    Conference,
)
from parley.calendar.schemas import AttendeeIn, EventIn, RecurrenceIn
from parley.calendar.times import Times, check_zone, parse_moment, read_times
from parley.calendar.visibility import require_organizer
from parley.db import utcnow
from parley.errors import N_, Conflict, Forbidden, Invalid, NotFound, ParleyError
from parley.jobs.worker import wake
from parley.runtime import Runtime
from parley.security import constant_time_equal
from parley.settings import Settings

log = logging.getLogger(__name__)


def _rule(data: RecurrenceIn | None) -> recurrence.Rule | None:
    if data is None:
        return None
    return recurrence.Rule(
        freq=data.freq, interval=data.interval, count=data.count, until=data.until
    )


# Changing events


@dataclass
class Saved:
    event: CalendarEvent
    # Why the videoconference link could not be made; the event is saved without it.
    conference_error: str | None = None
    emails: int = 0


@dataclass(frozen=True)
class Person:
    """An attendee as the event will store them."""

    email: str
    name: str
    user_id: int | None
    is_resource: bool


async def people_of(
    db: AsyncSession,
    wanted: Sequence[AttendeeIn],
    organizer: User,
    site: calendar_site.CalendarSite,
) -> list[Person]:
    """The attendees, once each, members recognised, the organiser left out."""
    emails_seen: dict[str, AttendeeIn] = {}
    for attendee in wanted:
        address = str(attendee.email).lower()
        if address != organizer.email.lower():
            emails_seen.setdefault(address, attendee)
    members = {}
    if emails_seen:
        rows = await db.scalars(select(User).where(func.lower(User.email).in_(list(emails_seen))))
        members = {u.email.lower(): u for u in rows if u.is_active and u.email_verified}
    people = []
    for address, attendee in emails_seen.items():
        member = members.get(address)
        resource = site.is_resource(address)
        name = attendee.name or (member.display_name if member is not None else "")
        if resource:
            name = name or i18n.gettext(N_("Videoconference"))
        people.append(
            Person(
                email=address,
                name=name,
                user_id=member.id if member is not None else None,
                is_resource=resource,
            )
        )
    return people


async def _link_for(
    *,
    db: AsyncSession,
    runtime: Runtime,
    organizer: User,
    data: EventIn,
    times: Times,
    current: Conference | None,
    wants_resource_link: bool,
) -> tuple[Conference | None, str | None]:
    """The link the event will carry, and why one the resource asked for could not be made."""
    if data.conference_id is not None:
        return await links.owned(db=db, owner=organizer, conference_id=data.conference_id), None
    if not data.add_conference and not (wants_resource_link and current is None):
        return (current if wants_resource_link else None), None
    minutes = int((times.ends_at - times.starts_at).total_seconds() // 60)
    try:
        made = await links.create(
            db=db,
            runtime=runtime.providers,
            owner=organizer,
            choice=data.provider if data.add_conference else None,
            title=data.title,
            start=None if times.all_day else times.starts_at,
            duration_minutes=minutes,
            timezone=times.timezone,
        )
    except ParleyError as exc:
        if data.add_conference:
            raise
        # A phone invited the resource: the event is still saved, and the answer says why
        # it has no link.
        log.warning("resource link failed", extra={"error": exc.code})
        return None, i18n.gettext(exc.message, **exc.params)
    return made, None


def new_uid(settings: Settings) -> str:
    """A UID no other calendar uses (RFC 5545 asks for one unique in the world)."""
    host = settings.effective_public_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return f"{secrets.token_hex(16)}@{host or 'parley'}"


def _apply(event: CalendarEvent, data: EventIn, times: Times) -> None:
    event.title = data.title
    event.description = data.description.strip()
    event.location = data.location
    event.timezone = times.timezone
    event.all_day = times.all_day
    event.starts_at = times.starts_at
    event.ends_at = times.ends_at
    event.recurrence = times.rule.to_json() if times.rule is not None else None
    event.repeats_until = times.repeats_until


def _snapshot(event: CalendarEvent) -> tuple[object, ...]:
    """What attendees must be told about when it changes."""
    return (
        event.title,
        event.description,
        event.location,
        event.timezone,
        event.all_day,
        event.starts_at,
        event.ends_at,
        event.recurrence,
        event.conference_id,
    )


def _when(event: CalendarEvent) -> tuple[object, ...]:
    return (event.starts_at, event.ends_at, event.all_day, event.timezone, event.recurrence)


def _times_of(data: EventIn) -> Times:
    return read_times(
        start=data.start,
        end=data.end,
        timezone=data.timezone,
        all_day=data.all_day,
        rule=_rule(data.recurrence),
    )


async def create(
    *, db: AsyncSession, runtime: Runtime, organizer: User, data: EventIn, uid: str | None = None
) -> Saved:
    """Save a new event of `organizer` and invite its attendees.

    `uid`: the one a calendar program chose (CalDAV); Parley makes one otherwise."""
    times = _times_of(data)
    site = await calendar_site.load(db=db)
    people = await people_of(db, data.attendees, organizer, site)
    conference, problem = await _link_for(
        db=db,
        runtime=runtime,
        organizer=organizer,
        data=data,
        times=times,
        current=None,
        wants_resource_link=any(p.is_resource for p in people),
    )
    event = CalendarEvent(
        uid=uid or new_uid(runtime.settings),
        organizer_id=organizer.id,
        sequence=0,
        status=CONFIRMED,
        conference=conference,
        attendees=[new_attendee(p) for p in people],
    )
    _apply(event, data, times)
    db.add(event)
    await db.flush()
    sent = await emails.invite(
        db=db, runtime=runtime, event=event, organizer=organizer, to=event.attendees
    )
    await db.commit()
    if sent:
        await wake(runtime.bus)
    log.info("event created", extra={"event": event.id, "attendees": len(people)})
    return Saved(event=event, conference_error=problem, emails=sent)


def new_attendee(person: Person) -> Attendee:
    """The stored attendee of `person`; the videoconference resource accepts by itself."""
    return Attendee(
        email=person.email,
        name=person.name,
        user_id=person.user_id,
        is_resource=person.is_resource,
        partstat=ACCEPTED if person.is_resource else NEEDS_ACTION,
    )


async def update(
    *, db: AsyncSession, runtime: Runtime, actor: User, event: CalendarEvent, data: EventIn
) -> Saved:
    """Change an event; attendees hear about what changed, removed ones get a cancellation."""
    require_organizer(actor, event)
    if event.status == CANCELLED:
        raise Conflict(N_("This event is cancelled: it cannot be changed."), code="cancelled")
    times = _times_of(data)
    site = await calendar_site.load(db=db)
    people = await people_of(db, data.attendees, actor, site)
    current = event.conference
    conference, problem = await _link_for(
        db=db,
        runtime=runtime,
        organizer=actor,
        data=data,
        times=times,
        current=current,
        wants_resource_link=any(p.is_resource for p in people),
    )
    # The provider call ended the transaction: read the event as it is now.
    await db.refresh(event)
    before, when_before = _snapshot(event), _when(event)
    _apply(event, data, times)
    event.conference = conference
    event.conference_id = conference.id if conference is not None else None
    wanted = {p.email: p for p in people}
    kept = [a for a in event.attendees if a.email in wanted]
    removed = [a for a in event.attendees if a.email not in wanted]
    existing = {a.email for a in kept}
    added = [new_attendee(p) for email, p in wanted.items() if email not in existing]
    for attendee in kept:
        person = wanted[attendee.email]
        attendee.name = person.name
        attendee.user_id = person.user_id
        attendee.is_resource = person.is_resource
    changed = _snapshot(event) != before
    if _when(event) != when_before:
        # A new time is a new question: everyone answers again.
        for attendee in kept:
            if not attendee.is_resource:
                attendee.partstat, attendee.answered_at = NEEDS_ACTION, None
    if changed or removed:
        event.sequence += 1
    event.updated_at = utcnow()
    for attendee in removed:
        event.attendees.remove(attendee)
    event.attendees.extend(added)
    await db.flush()
    sent = 0
    if removed:
        sent += await emails.cancel(
            db=db, runtime=runtime, event=event, organizer=actor, to=removed
        )
    sent += await emails.invite(
        db=db,
        runtime=runtime,
        event=event,
        organizer=actor,
        to=event.attendees if changed else added,
        updated=changed,
    )
    await db.commit()
    if sent:
        await wake(runtime.bus)
    log.info("event updated", extra={"event": event.id, "sequence": event.sequence})
    return Saved(event=event, conference_error=problem, emails=sent)


async def cancel(
    *, db: AsyncSession, runtime: Runtime, actor: User, event: CalendarEvent
) -> CalendarEvent:
    """Cancel the event: it stays, marked cancelled, and attendees get a cancellation."""
    require_organizer(actor, event)
    if event.status == CANCELLED:
        return event
    event.status = CANCELLED
    event.sequence += 1
    event.updated_at = utcnow()
    sent = await emails.cancel(
        db=db, runtime=runtime, event=event, organizer=actor, to=event.attendees
    )
    await db.commit()
    if sent:
        await wake(runtime.bus)
    log.info("event cancelled", extra={"event": event.id})
    return event


async def delete(*, db: AsyncSession, runtime: Runtime, actor: User, event: CalendarEvent) -> None:
    """Delete the event; attendees of one still to come get a cancellation first."""
    require_organizer(actor, event)
    sent = 0
    upcoming = event.repeats_until is None or event.repeats_until > utcnow()
    if event.status != CANCELLED and upcoming:
        event.sequence += 1
        sent = await emails.cancel(
            db=db, runtime=runtime, event=event, organizer=actor, to=event.attendees
        )
    await db.delete(event)
    await db.commit()
    if sent:
        await wake(runtime.bus)
    log.info("event deleted", extra={"event": event.id})


async def answer(*, db: AsyncSession, attendee: Attendee, value: str) -> Attendee:
    """Record an attendee's answer (accepted, declined or tentative)."""
    if attendee.is_resource:
        raise Forbidden(N_("The videoconference resource answers by itself."))
    attendee.partstat = value
    attendee.answered_at = utcnow()
    await db.commit()
    return attendee


# Answers from the links in emails


async def attendee_for_token(
    *, db: AsyncSession, secret: str, attendee_id: int, token: str
) -> tuple[Attendee, CalendarEvent]:
    attendee = await db.get(Attendee, attendee_id)
    event = await db.get(CalendarEvent, attendee.event_id) if attendee is not None else None
    if (
        attendee is None
        or event is None
        or not constant_time_equal(token, rsvp_token(secret, attendee, event))
    ):
        raise NotFound(N_("This invitation link is not valid (any more)."), code="bad_rsvp")
    return attendee, event


# Making links before an event is saved


async def make_link(
    *,
    db: AsyncSession,
    runtime: Runtime,
    owner: User,
    provider: str | None,
    title: str,
    start: str,
    end: str,
    timezone: str,
) -> Conference:
    """Make a link for the event being written; rough times help some providers only."""
    moment: datetime | None = None
    minutes = 60
    try:
        check_zone(timezone)
        moment = parse_moment(start, timezone) if start else None
        if moment is not None and end:
            minutes = max(1, int((parse_moment(end, timezone) - moment).total_seconds() // 60))
    except Invalid:
        # The form's times are checked when the event is saved; the link does not need them.
        moment, timezone = None, "UTC"
    return await links.create(
        db=db,
        runtime=runtime.providers,
        owner=owner,
        choice=provider,
        title=title,
        start=moment,
        duration_minutes=min(minutes, 24 * 60),
        timezone=timezone,
    )
