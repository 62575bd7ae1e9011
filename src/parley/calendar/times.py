"""Times people write for events: zones, dates and local times, and their checks.

An event's times are stored as UTC instants with the IANA zone the organiser wrote them in;
all-day events as the UTC midnights of their dates. This module turns what a form or a
client sent into those values (refusing what cannot be meant, with a clear message) and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from parley.calendar import recurrence
from parley.calendar.models import CalendarEvent
from parley.errors import N_, Invalid

# Years outside this span are typing mistakes (and keep date arithmetic far from its limits).
FIRST_YEAR = 1970
LAST_YEAR = 2199


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


def local_text(event: CalendarEvent, value: datetime, *, end: bool = False) -> str:
    """A stored time as people wrote it: a local time, or the (last) day of an all-day event."""
    if event.all_day:
        return (value - timedelta(days=1) if end else value).date().isoformat()
    return value.astimezone(recurrence.zone(event.timezone)).replace(tzinfo=None).isoformat()
