"""Where the week, month and list views put events: which days, which rows, which lanes.

The layout is computed without a database or a request; these tests give it occurrences as
the calendar query returns them and check what a person sees on the grid.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from parley.calendar import layout
from parley.calendar.models import CalendarEvent
from parley.calendar.visibility import Occurrence

PARIS = ZoneInfo("Europe/Paris")


def _timed(title: str, start: datetime, end: datetime) -> Occurrence:
    event = CalendarEvent(title=title, all_day=False, timezone="Europe/Paris")
    return Occurrence(
        event=event,
        starts_at=start.astimezone(UTC),
        ends_at=end.astimezone(UTC),
        role="organizer",
        my_answer=None,
    )


def _all_day(title: str, first: date, last: date) -> Occurrence:
    """An all-day event from `first` to `last` included, stored as UTC midnights."""
    event = CalendarEvent(title=title, all_day=True, timezone="Europe/Paris")
    return Occurrence(
        event=event,
        starts_at=datetime(first.year, first.month, first.day, tzinfo=UTC),
        ends_at=datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1),
        role="organizer",
        my_answer=None,
    )


def _week(anchor: date, found: list[Occurrence], tz: str = "Europe/Paris") -> list[layout.Day]:
    first, count = layout.period("week", anchor)
    return layout.days(found, first, count, tz)


def _rows(day: layout.Day) -> list[tuple[str, int, int]]:
    """The timed events of a day as (title, first minute, last minute) on the grid."""
    return [(s.occurrence.event.title, s.top, s.bottom) for s in day.segments]


def test_a_week_starts_on_monday_whatever_day_is_asked() -> None:
    assert layout.period("week", date(2026, 12, 6)) == (date(2026, 11, 30), 7)  # a Sunday
    assert layout.period("week", date(2026, 11, 30)) == (date(2026, 11, 30), 7)  # a Monday
    shown = _week(date(2026, 12, 3), [])
    assert [d.day.weekday() for d in shown] == [0, 1, 2, 3, 4, 5, 6]
    assert layout.shift("week", date(2026, 12, 3), 1) == date(2026, 12, 10)
    assert layout.shift("week", date(2026, 12, 3), -1) == date(2026, 11, 26)


def test_an_event_over_midnight_shows_on_both_days() -> None:
    late = _timed(
        "Night shift",
        datetime(2026, 6, 2, 22, 0, tzinfo=PARIS),
        datetime(2026, 6, 3, 2, 0, tzinfo=PARIS),
    )
    until_midnight = _timed(
        "Late call",
        datetime(2026, 6, 4, 23, 0, tzinfo=PARIS),
        datetime(2026, 6, 5, 0, 0, tzinfo=PARIS),
    )
    shown = {d.day: d for d in _week(date(2026, 6, 2), [late, until_midnight])}
    assert _rows(shown[date(2026, 6, 2)]) == [("Night shift", 22 * 60, 24 * 60)]
    assert _rows(shown[date(2026, 6, 3)]) == [("Night shift", 0, 2 * 60)]
    assert shown[date(2026, 6, 3)].timed == [late]
    # Ending at midnight is not being on the next day.
    assert _rows(shown[date(2026, 6, 4)]) == [("Late call", 23 * 60, 24 * 60)]
    assert _rows(shown[date(2026, 6, 5)]) == []


def test_the_same_instant_is_on_the_readers_day() -> None:
    """22:00 in Paris is the next morning in Tokyo: the reader's zone decides the day."""
    call = _timed(
        "Call",
        datetime(2026, 6, 2, 22, 0, tzinfo=PARIS),
        datetime(2026, 6, 2, 23, 0, tzinfo=PARIS),
    )
    shown = {d.day: d for d in _week(date(2026, 6, 2), [call], tz="Asia/Tokyo")}
    assert _rows(shown[date(2026, 6, 2)]) == []
    assert _rows(shown[date(2026, 6, 3)]) == [("Call", 5 * 60, 6 * 60)]


def test_all_day_events_show_on_each_of_their_dates_in_every_zone() -> None:
    holiday = _all_day("Holiday", date(2026, 6, 2), date(2026, 6, 4))
    for tz in ("Europe/Paris", "Pacific/Auckland", "America/Los_Angeles", "UTC"):
        shown = _week(date(2026, 6, 2), [holiday], tz=tz)
        on = [d.day for d in shown if holiday in d.all_day]
        assert on == [date(2026, 6, 2), date(2026, 6, 3), date(2026, 6, 4)], tz
        assert all(d.timed == [] and d.segments == [] for d in shown), tz


def test_an_all_day_event_that_started_before_the_week_shows_on_its_remaining_days() -> None:
    trip = _all_day("Trip", date(2026, 5, 28), date(2026, 6, 2))
    shown = _week(date(2026, 6, 3), [trip])
    assert [d.day for d in shown if d.all_day] == [date(2026, 6, 1), date(2026, 6, 2)]


def test_the_month_grid_is_six_weeks_from_the_monday_before_the_first() -> None:
    # 1 September 2024 is a Sunday: the grid opens on Monday 26 August.
    first, count = layout.period("month", date(2024, 9, 15))
    assert (first, count) == (date(2024, 8, 26), 42)
    rows = layout.weeks(layout.days([], first, count, "UTC"))
    assert len(rows) == 6
    assert all(len(row) == 7 and row[0].day.weekday() == 0 for row in rows)
    assert rows[-1][-1].day == date(2024, 10, 6)
    # 1 February 2021 is a Monday: no padding before it, and the grid still has six rows.
    assert layout.period("month", date(2021, 2, 27)) == (date(2021, 2, 1), 42)


def test_months_move_across_years() -> None:
    assert layout.shift("month", date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert layout.shift("month", date(2026, 1, 31), -1) == date(2025, 12, 1)
    assert layout.shift("month", date(2026, 3, 15), 13) == date(2027, 4, 1)


def test_the_list_shows_thirty_days_from_the_chosen_one() -> None:
    assert layout.period("list", date(2026, 6, 3)) == (date(2026, 6, 3), layout.LIST_DAYS)
    assert layout.shift("list", date(2026, 6, 3), 1) == date(2026, 7, 3)


def test_the_week_the_clocks_go_forward_in_paris() -> None:
    """29 March 2026: 02:00 becomes 03:00. Events stay at the hours the clock shows."""
    first, count = layout.period("week", date(2026, 3, 29))
    after, before = layout.window(first, count, "Europe/Paris")
    assert after == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)
    assert before == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert before - after == timedelta(days=7, hours=-1)
    saturday_nine = _timed(
        "Stand-up",
        datetime(2026, 3, 28, 9, 0, tzinfo=PARIS),
        datetime(2026, 3, 28, 9, 30, tzinfo=PARIS),
    )
    sunday_nine = _timed(
        "Stand-up",
        datetime(2026, 3, 29, 9, 0, tzinfo=PARIS),
        datetime(2026, 3, 29, 9, 30, tzinfo=PARIS),
    )
    # One real hour, across the skipped one: 01:30 winter time to 03:30 summer time.
    across = _timed(
        "Night",
        datetime(2026, 3, 29, 1, 30, tzinfo=PARIS),
        datetime(2026, 3, 29, 3, 30, tzinfo=PARIS),
    )
    assert across.ends_at - across.starts_at == timedelta(hours=1)
    shown = {
        d.day: d
        for d in layout.days([saturday_nine, across, sunday_nine], first, count, "Europe/Paris")
    }
    assert _rows(shown[date(2026, 3, 28)]) == [("Stand-up", 9 * 60, 9 * 60 + 30)]
    assert _rows(shown[date(2026, 3, 29)]) == [
        ("Night", 90, 210),
        ("Stand-up", 9 * 60, 9 * 60 + 30),
    ]


def test_the_week_the_clocks_go_back_in_paris() -> None:
    """25 October 2026: 03:00 becomes 02:00 again; the week has an hour more."""
    first, count = layout.period("week", date(2026, 10, 25))
    after, before = layout.window(first, count, "Europe/Paris")
    assert before - after == timedelta(days=7, hours=1)
    evening = _timed(
        "Film",
        datetime(2026, 10, 25, 20, 0, tzinfo=PARIS),
        datetime(2026, 10, 25, 22, 0, tzinfo=PARIS),
    )
    shown = {d.day: d for d in layout.days([evening], first, count, "Europe/Paris")}
    assert _rows(shown[date(2026, 10, 25)]) == [("Film", 20 * 60, 22 * 60)]


def test_overlapping_events_sit_side_by_side_and_short_ones_stay_readable() -> None:
    day = date(2026, 6, 3)

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)

    first = _timed("A", at(9), at(11))
    second = _timed("B", at(10), at(12))
    later = _timed("C", at(14), at(15))
    brief = _timed("D", at(16), at(16, 5))
    shown = {d.day: d for d in _week(day, [later, second, first, brief])}
    lanes = {s.occurrence.event.title: (s.lane, s.lanes) for s in shown[day].segments}
    assert lanes == {"A": (0, 2), "B": (1, 2), "C": (0, 1), "D": (0, 1)}
    assert ("D", 16 * 60, 16 * 60 + 15) in _rows(shown[day])
