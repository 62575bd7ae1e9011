"""VTIMEZONEs that hold for every date Parley accepts, and after.

A reader that trusts the VTIMEZONE sent with an event (rather than its own copy of the
zone) places the event by it alone, so the zone must be right for as long as the event
repeats. Each zone is written as the changes of offset from the calendar's first year to
the year from which the zone follows one yearly rule, then as that rule: a STANDARD and a
DAYLIGHT with an RRULE, as RFC 5545's own examples write them. The rule is read from
zoneinfo's answers and checked against them for every year up to LAST_YEAR_COVERED; a
zone whose changes follow no such rule has them all listed up to that year.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

from parley.calendar import recurrence

# Past the last year an event may start in (2199) and the ten years a series may then last.
LAST_YEAR_COVERED = 2215
# Offsets are looked up this far apart, then each change found to the second. Two changes
# closer than this would hide each other: the closest since 1970 in the time zone database
# are 6.9 days apart (Gaza's summer time stopped for Ramadan, Cambridge Bay in 1999).
STEP = timedelta(days=3)
SECOND = timedelta(seconds=1)

State = tuple[timedelta, str, bool]
Kind = tuple[timedelta, timedelta, str, bool]


@dataclass(frozen=True)
class Change:
    """A change of a zone's offset or name."""

    # The wall-clock time just before the change: RFC 5545's DTSTART of an observance.
    local: datetime
    before: timedelta
    after: timedelta
    name: str
    dst: bool

    @property
    def kind(self) -> Kind:
        return (self.before, self.after, self.name, self.dst)


@dataclass(frozen=True)
class YearlyRule:
    """When a change happens each year: a weekday of a month, or a fixed day."""

    month: int
    at: time
    weekday: int | None
    # The change falls on `weekday` on or after this day (or on this very day without
    # weekday); None: on the month's last `weekday`.
    first_day: int | None

    def on(self, year: int) -> datetime | None:
        """The change's wall-clock time in `year` (None if the day does not exist then)."""
        length = calendar.monthrange(year, self.month)[1]
        if self.weekday is None:
            if self.first_day is None or self.first_day > length:
                return None
            day = date(year, self.month, self.first_day)
        elif self.first_day is None:
            last = date(year, self.month, length)
            day = last - timedelta(days=(last.weekday() - self.weekday) % 7)
        else:
            first = date(year, self.month, self.first_day)
            day = first + timedelta(days=(self.weekday - first.weekday()) % 7)
        return datetime.combine(day, self.at)

    def to_ical(self) -> dict[str, Any]:
        recur: dict[str, Any] = {"FREQ": "YEARLY", "BYMONTH": self.month}
        if self.weekday is None:
            recur["BYMONTHDAY"] = self.first_day
            return recur
        weekday = recurrence.ICAL_WEEKDAYS[self.weekday]
        if self.first_day is None:
            recur["BYDAY"] = f"-1{weekday}"
        elif self.first_day % 7 == 1:
            recur["BYDAY"] = f"{self.first_day // 7 + 1}{weekday}"
        else:
            recur["BYDAY"] = weekday
            recur["BYMONTHDAY"] = list(range(self.first_day, self.first_day + 7))
        return recur


def _state(tz: tzinfo, instant: datetime) -> State:
    local = instant.astimezone(tz)
    return (local.utcoffset() or timedelta(), local.tzname() or "", bool(local.dst()))


def _changes(tz: tzinfo, start: datetime, end: datetime) -> list[Change]:
    """Every change of `tz` in [start, end) (UTC instants)."""
    found = []
    cursor, state = start, _state(tz, start)
    while cursor < end:
        ahead = min(cursor + STEP, end)
        if _state(tz, ahead) == state:
            cursor = ahead
            continue
        low, high = cursor, ahead
        while high - low > SECOND:
            middle = low + timedelta(seconds=(high - low) // SECOND // 2)
            low, high = (middle, high) if _state(tz, middle) == state else (low, middle)
        offset, name, dst = _state(tz, high)
        found.append(
            Change(
                local=(high + state[0]).replace(tzinfo=None),
                before=state[0],
                after=offset,
                name=name,
                dst=dst,
            )
        )
        cursor, state = high, (offset, name, dst)
    return found


def _candidates(local: datetime) -> list[YearlyRule]:
    """The yearly rules a change at `local` may follow, the simplest first."""
    month, weekday, day, at = local.month, local.weekday(), local.day, local.time()
    rules = [YearlyRule(month=month, at=at, weekday=weekday, first_day=None)]
    shortest = 28 if month == 2 else calendar.monthrange(2001, month)[1]
    firsts = [first for first in range(max(1, day - 6), day + 1) if first + 6 <= shortest]
    # "The second Sunday" (on or after the 8th) before "the Sunday on or after the 10th".
    firsts.sort(key=lambda first: first % 7 != 1)
    rules += [YearlyRule(month=month, at=at, weekday=weekday, first_day=f) for f in firsts]
    rules.append(YearlyRule(month=month, at=at, weekday=None, first_day=day))
    return rules


def _holds_since(
    rule: YearlyRule, kind: Kind, by_year: dict[int, list[Change]], first_year: int
) -> int:
    """The first year from which `rule` gives the change of `kind` every year to the last."""
    year = LAST_YEAR_COVERED
    while year >= first_year:
        same = [c for c in by_year.get(year, []) if c.kind == kind]
        if len(same) != 1 or same[0].local != rule.on(year):
            break
        year -= 1
    return year + 1


# Parley takes no date before this year: every zone is read from it, once.
FIRST_YEAR = 1970
EARLIEST_YEAR = 1900


@dataclass(frozen=True)
class Pattern:
    """A zone as its changes before the year `since` and its yearly rules from then on."""

    changes: tuple[Change, ...]
    since: int
    rules: tuple[tuple[YearlyRule, Change], ...]


@lru_cache(maxsize=1024)
def pattern(name: str, first_year: int = FIRST_YEAR) -> Pattern:
    """How zone `name` changes from `first_year` to LAST_YEAR_COVERED, and after."""
    tz = recurrence.zone(name)
    start = datetime(first_year, 1, 1, tzinfo=tz).astimezone(UTC)
    end = datetime(LAST_YEAR_COVERED + 1, 1, 1, tzinfo=UTC)
    changes = _changes(tz, start, end)
    by_year: dict[int, list[Change]] = defaultdict(list)
    for change in changes:
        by_year[change.local.year].append(change)
    last = by_year.get(LAST_YEAR_COVERED, [])
    rules: list[tuple[YearlyRule, Change]] = []
    since = LAST_YEAR_COVERED + 1
    if last and len({c.kind for c in last}) == len(last):
        since = first_year
        for change in last:
            best = min(
                _candidates(change.local),
                key=lambda r: _holds_since(r, change.kind, by_year, first_year),
            )
            since = max(since, _holds_since(best, change.kind, by_year, first_year))
            rules.append((best, change))
        # No other change may happen in the years the rules alone describe.
        for year in range(since, LAST_YEAR_COVERED + 1):
            if len(by_year.get(year, [])) != len(rules):
                since = year + 1
        if since > LAST_YEAR_COVERED:
            rules = []
    return Pattern(changes=tuple(changes), since=since, rules=tuple(rules))


def _observance(
    dst: bool, *, before: timedelta, after: timedelta, name: str, starts: datetime
) -> TimezoneStandard | TimezoneDaylight:
    observance = TimezoneDaylight() if dst else TimezoneStandard()
    observance.add("DTSTART", starts)
    observance.add("TZOFFSETFROM", before)
    observance.add("TZOFFSETTO", after)
    if name:
        observance.add("TZNAME", name)
    return observance


def vtimezone(name: str, *, first_year: int) -> Timezone:
    """The VTIMEZONE of zone `name`, right from `first_year` on."""
    # An imported file may hold any year; zoneinfo says nothing useful before 1900.
    first_year = max(first_year, EARLIEST_YEAR)
    found = pattern(name, min(first_year, FIRST_YEAR))
    since = max(found.since, first_year)
    tz = recurrence.zone(name)
    local_start = datetime(first_year, 1, 1)
    offset, tzname, dst = _state(tz, local_start.replace(tzinfo=tz))
    zone = Timezone()
    zone.add("TZID", name)
    zone.add_component(
        _observance(dst, before=offset, after=offset, name=tzname, starts=local_start)
    )
    groups: dict[Kind, list[Change]] = defaultdict(list)
    for change in found.changes:
        if first_year <= change.local.year < since:
            groups[change.kind].append(change)
    for (before, after, tzname, dst), changes in groups.items():
        observance = _observance(
            dst, before=before, after=after, name=tzname, starts=changes[0].local
        )
        if len(changes) > 1:
            observance.add("RDATE", [c.local for c in changes[1:]])
        zone.add_component(observance)
    for rule, change in found.rules:
        first = rule.on(since)
        assert first is not None
        observance = _observance(
            change.dst, before=change.before, after=change.after, name=change.name, starts=first
        )
        observance.add("RRULE", vRecur(rule.to_ical()))
        zone.add_component(observance)
    return zone
