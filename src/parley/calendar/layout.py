"""Where occurrences go on the week, month and list views: days, rows and side-by-side lanes.

Pure computation from the occurrences, the days shown and the reader's zone: no database,
no request, no words (the pages format dates and times in the reader's language). Weeks
start on Monday; timed events are placed by the reader's wall clock, so on the day the clocks
change an event still sits at the hours it shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from parley.calendar import recurrence
from parley.calendar.visibility import Occurrence

VIEWS = ("week", "month", "list")
# The list view shows this many days from the chosen one.
LIST_DAYS = 30
# A month grid is six weeks: every month fits, and the grid keeps its height.
MONTH_GRID_DAYS = 42
# A short event still gets a segment tall enough to read (minutes).
MIN_SEGMENT_MINUTES = 15
DAY_MINUTES = 24 * 60


@dataclass
class Segment:
    """The part of an occurrence shown in one day of the week view."""

    occurrence: Occurrence
    top: int  # minutes from midnight
    bottom: int
    lane: int = 0
    lanes: int = 1


@dataclass
class Day:
    day: date
    all_day: list[Occurrence] = field(default_factory=list)
    timed: list[Occurrence] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)


def period(view: str, anchor: date) -> tuple[date, int]:
    """The first day shown and how many days, for a view around `anchor`."""
    if view == "week":
        return anchor - timedelta(days=anchor.weekday()), 7
    if view == "month":
        first = anchor.replace(day=1)
        return first - timedelta(days=first.weekday()), MONTH_GRID_DAYS
    return anchor, LIST_DAYS


def shift(view: str, anchor: date, step: int) -> date:
    """The anchor of the view `step` periods before (negative) or after this one."""
    if view == "week":
        return anchor + timedelta(days=7 * step)
    if view == "month":
        month = anchor.month - 1 + step
        return date(anchor.year + month // 12, month % 12 + 1, 1)
    return anchor + timedelta(days=LIST_DAYS * step)


def window(first: date, count: int, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants the shown days cover: from the first midnight to the one after the last."""
    zone = recurrence.zone(timezone)
    after = datetime.combine(first, time(), tzinfo=zone).astimezone(UTC)
    before = datetime.combine(first + timedelta(days=count), time(), tzinfo=zone).astimezone(UTC)
    return after, before


def days(found: list[Occurrence], first: date, count: int, timezone: str) -> list[Day]:
    """The `count` days from `first`, each with the occurrences it shows.

    An all-day event shows on each of its dates; a timed one on each day it touches in
    `timezone`, cut at midnight (one that ends at midnight does not show on the next day).
    """
    shown = [Day(first + timedelta(days=n)) for n in range(count)]
    by_date = {d.day: d for d in shown}
    zone = recurrence.zone(timezone)
    for occurrence in found:
        if occurrence.all_day:
            _place_all_day(occurrence, by_date)
        else:
            _place_timed(occurrence, by_date, zone)
    for day in shown:
        _lanes(day.segments)
    return shown


def weeks(shown: list[Day]) -> list[list[Day]]:
    """The days in rows of seven, as the month grid shows them."""
    return [shown[i : i + 7] for i in range(0, len(shown), 7)]


def _place_all_day(occurrence: Occurrence, by_date: dict[date, Day]) -> None:
    day = occurrence.starts_at.date()
    while day < occurrence.ends_at.date():
        if day in by_date:
            by_date[day].all_day.append(occurrence)
        day += timedelta(days=1)


def _place_timed(occurrence: Occurrence, by_date: dict[date, Day], zone: tzinfo) -> None:
    start = occurrence.starts_at.astimezone(zone)
    end = occurrence.ends_at.astimezone(zone)
    day = start.date()
    while day <= end.date():
        if day in by_date and (day < end.date() or end.time() != time()):
            # Same tzinfo on both sides: the difference is in wall-clock minutes.
            day_start = datetime.combine(day, time(), tzinfo=zone)
            top = max(0, int((start - day_start).total_seconds() // 60))
            bottom = min(DAY_MINUTES, int((end - day_start).total_seconds() // 60))
            by_date[day].timed.append(occurrence)
            by_date[day].segments.append(
                Segment(occurrence, top, max(bottom, top + MIN_SEGMENT_MINUTES))
            )
        day += timedelta(days=1)


def _lanes(segments: list[Segment]) -> None:
    """Put overlapping segments side by side (greedy, per group of overlaps)."""
    segments.sort(key=lambda s: (s.top, -s.bottom))
    group: list[Segment] = []
    ends: list[int] = []
    group_end = -1
    for segment in [*segments, None]:
        if segment is None or segment.top >= group_end:
            for member in group:
                member.lanes = len(ends)
            if segment is None:
                break
            group, ends, group_end = [], [], -1
        lane = next((i for i, end in enumerate(ends) if end <= segment.top), None)
        if lane is None:
            ends.append(segment.bottom)
            lane = len(ends) - 1
        else:
            ends[lane] = segment.bottom
        segment.lane = lane
        group.append(segment)
        group_end = max(group_end, segment.bottom)
