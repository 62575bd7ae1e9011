"""Repeating events: the rules Parley accepts, and their occurrences in a window of time.

A rule repeats daily, weekly or monthly, every `interval` periods, until a date or for a
number of times (or forever). Occurrences keep the wall-clock time of the first one in the
event's time zone, so a weekly 10:00 in Paris is still at 10:00 after the clocks change.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, available_timezones

# python-dateutil ships no type information.
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule  # type: ignore[import-untyped]

from parley.errors import N_, Invalid

Frequency = Literal["daily", "weekly", "monthly"]
FREQUENCIES: dict[str, int] = {"daily": DAILY, "weekly": WEEKLY, "monthly": MONTHLY}
ICAL_FREQUENCIES = {"DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly"}
# Beyond these a rule is a mistake, not a plan: two years of daily meetings, a series that
# ends more than ten years on, a period of more than 99 days, weeks or months.
MAX_COUNT = 730
MAX_YEARS = 10
MAX_INTERVAL = 99
# However wide the window asked for, one event never yields more occurrences than this.
MAX_OCCURRENCES = 1000
ICAL_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Rule:
    freq: Frequency
    interval: int = 1
    count: int | None = None
    until: date | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"freq": self.freq, "interval": self.interval}
        if self.count is not None:
            data["count"] = self.count
        if self.until is not None:
            data["until"] = self.until.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Rule | None:
        if not data:
            return None
        until = data.get("until")
        return cls(
            freq=data["freq"],
            interval=int(data.get("interval") or 1),
            count=data.get("count"),
            until=date.fromisoformat(until) if until else None,
        )


def check(rule: Rule | None, *, first_day: date) -> Rule | None:
    """Refuse a rule that makes no sense or would repeat absurdly; return it otherwise."""
    if rule is None:
        return None
    if rule.freq not in FREQUENCIES:
        raise Invalid(N_("Repeat daily, weekly or monthly."), code="bad_recurrence")
    if not 1 <= rule.interval <= MAX_INTERVAL:
        raise Invalid(
            N_("The repetition interval must be between 1 and %(max)s."),
            code="bad_recurrence",
            max=MAX_INTERVAL,
        )
    if rule.count is not None and rule.until is not None:
        raise Invalid(
            N_("End the repetition after a number of times or on a date, not both."),
            code="bad_recurrence",
        )
    if rule.count is not None and not 1 <= rule.count <= MAX_COUNT:
        raise Invalid(
            N_("An event may repeat between 1 and %(max)s times."),
            code="too_many_occurrences",
            max=MAX_COUNT,
        )
    if rule.until is not None:
        if rule.until < first_day:
            raise Invalid(
                N_("The repetition cannot end before the event starts."), code="bad_recurrence"
            )
        if rule.until > first_day + timedelta(days=366 * MAX_YEARS):
            raise Invalid(
                N_("A repetition may last %(years)s years at most."),
                code="too_many_occurrences",
                years=MAX_YEARS,
            )
    return rule


@cache
def zone_names() -> frozenset[str]:
    """Every IANA time zone name this server knows (reading them all takes a while: once)."""
    return frozenset(available_timezones() | {"UTC"})


def zone(name: str) -> tzinfo:
    return UTC if name == "UTC" else ZoneInfo(name)


def _dateutil_rule(rule: Rule, dtstart: datetime, tz: tzinfo | None) -> rrule:
    until = None
    if rule.until is not None:
        until = datetime.combine(rule.until, time(23, 59, 59), tzinfo=tz)
    return rrule(
        FREQUENCIES[rule.freq],
        dtstart=dtstart,
        interval=rule.interval,
        count=rule.count,
        until=until,
    )


def _first(starts_at: datetime, timezone: str, all_day: bool) -> tuple[datetime, tzinfo | None]:
    """The first start as rrule wants it: local wall-clock time, or a naive midnight."""
    if all_day:
        return starts_at.replace(tzinfo=None), None
    tz = zone(timezone)
    return starts_at.astimezone(tz), tz


def starts(
    *,
    rule: Rule | None,
    starts_at: datetime,
    timezone: str,
    all_day: bool,
    after: datetime,
    before: datetime,
    skipped: Collection[date] = (),
) -> Iterator[datetime]:
    """The starts (UTC) of the occurrences that begin in [after, before), at most MAX_OCCURRENCES.

    For an all-day event the starts are midnights UTC standing for dates. A series skips
    the occurrences on the days of `skipped` (in the event's zone), as EXDATE says.
    """
    if rule is None:
        if after <= starts_at < before:
            yield starts_at
        return
    first, tz = _first(starts_at, timezone, all_day)
    series = _dateutil_rule(rule, first, tz)
    if all_day:
        low, high = after.replace(tzinfo=None), before.replace(tzinfo=None)
    else:
        low, high = after, before
    found = series.xafter(low, count=MAX_OCCURRENCES, inc=True)
    for start in itertools.takewhile(lambda s: s < high, found):
        if start.date() in skipped:
            continue
        yield start.replace(tzinfo=UTC) if all_day else start.astimezone(UTC)


def skipped_days(values: Collection[str]) -> frozenset[date]:
    """The days a series skips, from what the event stores."""
    return frozenset(date.fromisoformat(value) for value in values)


def last_end(
    *, rule: Rule | None, starts_at: datetime, ends_at: datetime, timezone: str, all_day: bool
) -> datetime | None:
    """When the last occurrence ends (UTC), or None for a series without end."""
    if rule is None:
        return ends_at
    if rule.count is None and rule.until is None:
        return None
    first, tz = _first(starts_at, timezone, all_day)
    last: datetime = _dateutil_rule(rule, first, tz)[-1]
    last_utc = last.replace(tzinfo=UTC) if all_day else last.astimezone(UTC)
    return last_utc + (ends_at - starts_at)


def occurrence_count(
    rule: Rule | None, *, starts_at: datetime, timezone: str, all_day: bool
) -> int:
    """How many times a bounded series happens (1 for a single event)."""
    if rule is None:
        return 1
    first, tz = _first(starts_at, timezone, all_day)
    total: int = _dateutil_rule(rule, first, tz).count()
    return total


# iCalendar's RRULE


def to_ical(rule: Rule, *, timezone: str, all_day: bool) -> dict[str, Any]:
    """The rule as icalendar's vRecur mapping; UNTIL in UTC (or a date), as RFC 5545 asks."""
    recur: dict[str, Any] = {"FREQ": rule.freq.upper()}
    if rule.interval != 1:
        recur["INTERVAL"] = rule.interval
    if rule.count is not None:
        recur["COUNT"] = rule.count
    if rule.until is not None:
        if all_day:
            recur["UNTIL"] = rule.until
        else:
            local = datetime.combine(rule.until, time(23, 59, 59), tzinfo=zone(timezone))
            recur["UNTIL"] = local.astimezone(UTC)
    return recur


def from_ical(recur: Any, *, first: datetime | date, tz: tzinfo | None) -> Rule:
    """Read an RRULE; parts that only restate the first occurrence are accepted, others refused."""

    def one(name: str) -> Any:
        values = recur.get(name) or []
        return values[0] if values else None

    def unsupported() -> Invalid:
        return Invalid(
            N_("This repetition is not supported: Parley repeats daily, weekly or monthly."),
            code="unsupported_recurrence",
        )

    freq = ICAL_FREQUENCIES.get(str(one("FREQ") or "").upper())
    if freq is None:
        raise unsupported()
    known = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYMONTHDAY"}
    if set(recur) - known:
        raise unsupported()
    first_day = first if not isinstance(first, datetime) else first.date()
    byday = [str(day).upper() for day in recur.get("BYDAY") or []]
    if byday and (freq != "weekly" or byday != [ICAL_WEEKDAYS[first_day.weekday()]]):
        raise unsupported()
    bymonthday = [int(day) for day in recur.get("BYMONTHDAY") or []]
    if bymonthday and (freq != "monthly" or bymonthday != [first_day.day]):
        raise unsupported()
    until_value = one("UNTIL")
    until: date | None = None
    if isinstance(until_value, datetime):
        local = until_value if until_value.tzinfo is None else until_value.astimezone(tz or UTC)
        until = local.date()
    elif isinstance(until_value, date):
        until = until_value
    count = one("COUNT")
    try:
        rule = Rule(
            freq=freq,  # type: ignore[arg-type]
            interval=int(one("INTERVAL") or 1),
            count=int(count) if count is not None else None,
            until=until,
        )
    except (TypeError, ValueError) as exc:
        raise unsupported() from exc
    checked = check(rule, first_day=first_day)
    assert checked is not None
    return checked
