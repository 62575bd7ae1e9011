"""State changes of the calendar: events, answers, imports and feeds.

Only the organiser changes an event; attendees see it and answer. Every change attendees
must hear about raises the event's SEQUENCE and queues invitations (or cancellations) in
the durable outbox, in the same transaction as the change; the workers are woken after the
commit. A videoconference link comes from `parley.calendar.conference`, whose provider call
happens before anything is written.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.accounts.models import User
from parley.calendar import conference as links
from parley.calendar import emails, ics, recurrence
from parley.calendar import site as calendar_site
from parley.calendar.context import Services
from parley.calendar.emails import rsvp_token
from parley.calendar.models import (
    ACCEPTED,
    CANCELLED,
    CONFIRMED,
    NEEDS_ACTION,
    Attendee,
    CalendarEvent,
    CalendarFeed,
    Conference,
)
from parley.calendar.schemas import AttendeeIn, EventIn, RecurrenceIn
from parley.db import utcnow
from parley.errors import N_, Conflict, Forbidden, Invalid, NotFound, ParleyError
from parley.jobs.worker import wake
from parley.security import constant_time_equal, sign
from parley.settings import Settings

log = logging.getLogger(__name__)

# Years outside this span are typing mistakes (and keep date arithmetic far from its limits).
FIRST_YEAR = 1970
LAST_YEAR = 2199
# A calendar query covers at most this many days.
MAX_WINDOW_DAYS = 400
# The feed holds what ended less than this long ago, and everything after.
FEED_PAST_DAYS = 92
FEED_MAX_EVENTS = 2000

Role = Literal["organizer", "attendee"]


def check_zone(name: str) -> str:
    if name not in recurrence.zone_names():
        raise Invalid(N_("This time zone is unknown."), code="bad_timezone")
    return name


# Reading times people typed


def _year_ok(value: date) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise Invalid(
            N_("Dates must be between %(first)s and %(last)s."),
            code="bad_date",
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )


def parse_day(text: str) -> date:
    try:
        value = date.fromisoformat(text.strip()[:10])
    except ValueError as exc:
        raise Invalid(N_("This date is not valid: %(value)s"), code="bad_date", value=text) from exc
    _year_ok(value)
    return value


def parse_moment(text: str, timezone: str) -> datetime:
    """A local time in `timezone` (or a time with an offset) as an aware UTC datetime.

    A wall-clock time the clocks skip (02:30 on the night summer time starts) is refused;
    one they pass twice is the first of the two.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise Invalid(
            N_("This date and time is not valid: %(value)s"), code="bad_date", value=text
        ) from exc
    _year_ok(value.date())
    tz = recurrence.zone(timezone)
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    local = value.replace(tzinfo=tz)
    moment = local.astimezone(UTC)
    if moment.astimezone(tz).replace(tzinfo=None) != value:
        raise Invalid(
            N_("%(time)s does not exist in %(zone)s: the clocks change that night."),
            code="nonexistent_time",
            time=value.strftime("%Y-%m-%d %H:%M"),
            zone=timezone,
        )
    return moment


@dataclass(frozen=True)
class Times:
    starts_at: datetime
    ends_at: datetime
    timezone: str
    all_day: bool
    rule: recurrence.Rule | None
    repeats_until: datetime | None


def _rule(data: RecurrenceIn | None) -> recurrence.Rule | None:
    if data is None:
        return None
    return recurrence.Rule(
        freq=data.freq, interval=data.interval, count=data.count, until=data.until
    )


def read_times(
    *,
    start: str,
    end: str,
    timezone: str,
    all_day: bool,
    rule: recurrence.Rule | None,
) -> Times:
    """Check an event's times and repetition together; Invalid with a clear message if wrong."""
    check_zone(timezone)
    if all_day:
        first, last = parse_day(start), parse_day(end)
        if last < first:
            raise Invalid(N_("The event cannot end before it starts."), code="end_before_start")
        starts_at = datetime.combine(first, time(), tzinfo=UTC)
        ends_at = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)
    else:
        starts_at, ends_at = parse_moment(start, timezone), parse_moment(end, timezone)
        if ends_at <= starts_at:
            raise Invalid(N_("The event must end after it starts."), code="end_before_start")
    if ends_at - starts_at > timedelta(days=366):
        raise Invalid(N_("An event may last a year at most."), code="too_long")
    first_day = (
        starts_at.date() if all_day else starts_at.astimezone(recurrence.zone(timezone)).date()
    )
    rule = recurrence.check(rule, first_day=first_day)
    if rule is not None and ends_at - starts_at > _period(rule):
        raise Invalid(
            N_("A repeating event must end before it happens again."), code="overlapping_repeats"
        )
    return Times(
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=timezone,
        all_day=all_day,
        rule=rule,
        repeats_until=recurrence.last_end(
            rule=rule, starts_at=starts_at, ends_at=ends_at, timezone=timezone, all_day=all_day
        ),
    )


def _period(rule: recurrence.Rule) -> timedelta:
    days = {"daily": 1, "weekly": 7, "monthly": 28}[rule.freq]
    return timedelta(days=days * rule.interval)


# Reading events


# An invitation by address reaches an account only once its owner has shown they read mail
# there: anyone may sign up with someone else's address, and must not see that person's events.


def _visible_to(user: User) -> ColumnElement[bool]:
    mine = Attendee.user_id == user.id
    if user.email_verified:
        mine = or_(mine, func.lower(Attendee.email) == user.email.lower())
    invited = select(Attendee.event_id).where(mine)
    return or_(CalendarEvent.organizer_id == user.id, CalendarEvent.id.in_(invited))


def attendee_of(user: User, event: CalendarEvent) -> Attendee | None:
    email = user.email.lower() if user.email_verified else None
    return next(
        (a for a in event.attendees if a.user_id == user.id or a.email.lower() == email), None
    )


def role_of(user: User, event: CalendarEvent) -> Role | None:
    if event.organizer_id == user.id:
        return "organizer"
    return "attendee" if attendee_of(user, event) is not None else None


async def get_visible(*, db: AsyncSession, user: User, event_id: int) -> tuple[CalendarEvent, Role]:
    """The event and how `user` takes part in it; others are told it does not exist."""
    event = await db.get(CalendarEvent, event_id)
    role = role_of(user, event) if event is not None else None
    if event is None or role is None:
        raise NotFound(N_("No such event."))
    return event, role


def require_organizer(user: User, event: CalendarEvent) -> None:
    if event.organizer_id != user.id:
        raise Forbidden(N_("Only the organiser may change this event."), code="organizer_only")


@dataclass(frozen=True)
class Occurrence:
    """One time an event happens, as a calendar shows it."""

    event: CalendarEvent
    starts_at: datetime
    ends_at: datetime
    role: Role
    my_answer: str | None

    @property
    def all_day(self) -> bool:
        return self.event.all_day

    def local_start(self, tz: str) -> datetime:
        return self.starts_at if self.all_day else self.starts_at.astimezone(recurrence.zone(tz))

    def local_end(self, tz: str) -> datetime:
        return self.ends_at if self.all_day else self.ends_at.astimezone(recurrence.zone(tz))


def _local_days(after: datetime, before: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The reader's days the window touches, as the UTC midnights all-day events use."""
    tz = recurrence.zone(timezone)
    first = after.astimezone(tz).date()
    last_moment = before.astimezone(tz)
    last = last_moment.date() + (timedelta(days=1) if last_moment.time() != time() else timedelta())
    return datetime.combine(first, time(), tzinfo=UTC), datetime.combine(last, time(), tzinfo=UTC)


async def occurrences(
    *, db: AsyncSession, user: User, after: datetime, before: datetime, timezone: str = "UTC"
) -> list[Occurrence]:
    """Everything `user` organises or is invited to that happens in [after, before).

    All-day events count by date: those on the days the window touches in `timezone`.
    """
    if before <= after:
        raise Invalid(N_("The end must be after the start."), code="bad_window")
    if before - after > timedelta(days=MAX_WINDOW_DAYS):
        raise Invalid(
            N_("Ask for %(days)s days at most."), code="window_too_wide", days=MAX_WINDOW_DAYS
        )
    first_day, end_day = _local_days(after, before, timezone)
    # All-day events are stored in UTC days: a day either side covers every reader's zone.
    query = select(CalendarEvent).where(
        _visible_to(user),
        CalendarEvent.starts_at < before + timedelta(days=1),
        or_(
            CalendarEvent.repeats_until.is_(None),
            CalendarEvent.repeats_until > after - timedelta(days=1),
        ),
    )
    found: list[Occurrence] = []
    for event in (await db.scalars(query)).all():
        role = role_of(user, event)
        if role is None:
            continue
        mine = attendee_of(user, event) if role == "attendee" else None
        duration = event.ends_at - event.starts_at
        low, high = (first_day, end_day) if event.all_day else (after, before)
        for start in recurrence.starts(
            rule=recurrence.Rule.from_json(event.recurrence),
            starts_at=event.starts_at,
            timezone=event.timezone,
            all_day=event.all_day,
            after=low - duration,
            before=high,
        ):
            if start + duration <= low:
                continue
            found.append(
                Occurrence(
                    event=event,
                    starts_at=start,
                    ends_at=start + duration,
                    role=role,
                    my_answer=mine.partstat if mine is not None else None,
                )
            )
    found.sort(key=lambda o: (o.starts_at, not o.all_day, o.event.title.lower(), o.event.id))
    return found


# Changing events


@dataclass
class Saved:
    event: CalendarEvent
    # Why the videoconference link could not be made; the event is saved without it.
    conference_error: str | None = None
    emails: int = 0


@dataclass(frozen=True)
class _Person:
    email: str
    name: str
    user_id: int | None
    is_resource: bool


async def _people(
    db: AsyncSession,
    wanted: Sequence[AttendeeIn],
    organizer: User,
    site: calendar_site.CalendarSite,
) -> list[_Person]:
    """The attendees, once each, members (by a verified address) recognised, organiser left out."""
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
            _Person(
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
    services: Services,
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
            runtime=services.runtime,
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


def _new_uid(settings: Settings) -> str:
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


async def create(*, db: AsyncSession, services: Services, organizer: User, data: EventIn) -> Saved:
    """Save a new event of `organizer` and invite its attendees."""
    times = _times_of(data)
    site = await calendar_site.load(db=db)
    people = await _people(db, data.attendees, organizer, site)
    conference, problem = await _link_for(
        db=db,
        services=services,
        organizer=organizer,
        data=data,
        times=times,
        current=None,
        wants_resource_link=any(p.is_resource for p in people),
    )
    event = CalendarEvent(
        uid=_new_uid(services.settings),
        organizer_id=organizer.id,
        sequence=0,
        status=CONFIRMED,
        conference=conference,
        attendees=[_attendee(p) for p in people],
    )
    _apply(event, data, times)
    db.add(event)
    await db.flush()
    sent = await emails.invite(
        db=db, services=services, event=event, organizer=organizer, to=event.attendees
    )
    await db.commit()
    if sent:
        await wake(services.bus)
    log.info("event created", extra={"event": event.id, "attendees": len(people)})
    return Saved(event=event, conference_error=problem, emails=sent)


def _attendee(person: _Person) -> Attendee:
    return Attendee(
        email=person.email,
        name=person.name,
        user_id=person.user_id,
        is_resource=person.is_resource,
        partstat=ACCEPTED if person.is_resource else NEEDS_ACTION,
    )


async def update(
    *, db: AsyncSession, services: Services, actor: User, event: CalendarEvent, data: EventIn
) -> Saved:
    """Change an event; attendees hear about what changed, removed ones get a cancellation."""
    require_organizer(actor, event)
    if event.status == CANCELLED:
        raise Conflict(N_("This event is cancelled: it cannot be changed."), code="cancelled")
    times = _times_of(data)
    site = await calendar_site.load(db=db)
    people = await _people(db, data.attendees, actor, site)
    current = event.conference
    conference, problem = await _link_for(
        db=db,
        services=services,
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
    added = [_attendee(p) for email, p in wanted.items() if email not in existing]
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
            db=db, services=services, event=event, organizer=actor, to=removed
        )
    sent += await emails.invite(
        db=db,
        services=services,
        event=event,
        organizer=actor,
        to=event.attendees if changed else added,
        updated=changed,
    )
    await db.commit()
    if sent:
        await wake(services.bus)
    log.info("event updated", extra={"event": event.id, "sequence": event.sequence})
    return Saved(event=event, conference_error=problem, emails=sent)


async def cancel(
    *, db: AsyncSession, services: Services, actor: User, event: CalendarEvent
) -> CalendarEvent:
    """Cancel the event: it stays, marked cancelled, and attendees get a cancellation."""
    require_organizer(actor, event)
    if event.status == CANCELLED:
        return event
    event.status = CANCELLED
    event.sequence += 1
    event.updated_at = utcnow()
    sent = await emails.cancel(
        db=db, services=services, event=event, organizer=actor, to=event.attendees
    )
    await db.commit()
    if sent:
        await wake(services.bus)
    log.info("event cancelled", extra={"event": event.id})
    return event


async def delete(
    *, db: AsyncSession, services: Services, actor: User, event: CalendarEvent
) -> None:
    """Delete the event; attendees of one still to come get a cancellation first."""
    require_organizer(actor, event)
    sent = 0
    upcoming = event.repeats_until is None or event.repeats_until > utcnow()
    if event.status != CANCELLED and upcoming:
        event.sequence += 1
        sent = await emails.cancel(
            db=db, services=services, event=event, organizer=actor, to=event.attendees
        )
    await db.delete(event)
    await db.commit()
    if sent:
        await wake(services.bus)
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
    services: Services,
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
        runtime=services.runtime,
        owner=owner,
        choice=provider,
        title=title,
        start=moment,
        duration_minutes=min(minutes, 24 * 60),
        timezone=timezone,
    )


# Importing a file


@dataclass
class Imported:
    created: int = 0
    updated: int = 0
    conference_errors: list[str] = field(default_factory=list)


async def import_file(
    *, db: AsyncSession, services: Services, user: User, data: bytes, timezone: str
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
        people = await _people(db, wanted[:200], user, site)
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
                runtime=services.runtime,
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
                uid=item.uid or _new_uid(services.settings),
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
        event.attendees[:] = [known.get(p.email) or _attendee(p) for p in people]
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


# The private feed


def feed_token(secret: str, feed: CalendarFeed) -> str:
    signature = sign(secret, "calendar-feed", f"{feed.user_id}:{feed.version}")[:40]
    return f"{feed.user_id}-{feed.version}-{signature}"


async def feed_of(*, db: AsyncSession, user: User) -> CalendarFeed | None:
    feed = await db.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    return feed if feed is not None and feed.enabled else None


async def new_feed_address(*, db: AsyncSession, user: User) -> CalendarFeed:
    """Turn the feed on with a new address; the previous address stops working."""
    feed = await db.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        feed = CalendarFeed(user_id=user.id, version=1, enabled=True)
        db.add(feed)
    else:
        feed.version += 1
        feed.enabled = True
    await db.commit()
    return feed


async def stop_feed(*, db: AsyncSession, user: User) -> None:
    feed = await db.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is not None:
        feed.enabled = False
        feed.version += 1
        await db.commit()


async def user_for_feed(*, db: AsyncSession, secret: str, token: str) -> User | None:
    user_part, _, rest = token.partition("-")
    version_part, _, _signature = rest.partition("-")
    if not (user_part.isdigit() and version_part.isdigit()):
        return None
    feed = await db.scalar(select(CalendarFeed).where(CalendarFeed.user_id == int(user_part)))
    if feed is None or not feed.enabled:
        return None
    if not constant_time_equal(token, feed_token(secret, feed)):
        return None
    user = await db.get(User, feed.user_id)
    return user if user is not None and user.is_active else None


async def feed_events(*, db: AsyncSession, user: User) -> Sequence[CalendarEvent]:
    """What the feed holds: recent and coming events, series that still run."""
    since = utcnow() - timedelta(days=FEED_PAST_DAYS)
    query = (
        select(CalendarEvent)
        .where(
            _visible_to(user),
            or_(CalendarEvent.repeats_until.is_(None), CalendarEvent.repeats_until > since),
        )
        .order_by(CalendarEvent.starts_at)
        .limit(FEED_MAX_EVENTS)
    )
    return (await db.scalars(query)).all()
