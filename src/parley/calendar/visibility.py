"""Who sees which event, and the occurrences of a series a reader's calendar shows.

The organiser and the attendees (by account or by email address) see an event; anyone else
is told it does not exist. A repeating event is expanded into its occurrences for the
window asked, all-day events counting by the reader's dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import User
from parley.calendar import recurrence
from parley.calendar.models import Attendee, CalendarEvent
from parley.errors import N_, Forbidden, Invalid, NotFound

# A calendar query covers at most this many days.
MAX_WINDOW_DAYS = 400

Role = Literal["organizer", "attendee"]


# An invitation by address reaches an account only once its owner has shown they read mail
# there: anyone may sign up with someone else's address, and must not see that person's events.


def visible_to(user: User) -> ColumnElement[bool]:
    """The events `user` organises or is invited to, as a query condition."""
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
        visible_to(user),
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
            skipped=recurrence.skipped_days(event.exdates or ()),
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
