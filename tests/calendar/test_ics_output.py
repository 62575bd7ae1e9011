"""The iCalendar other programs read: cancellations, the CONFERENCE property, time zones
far in the future, and series with excluded days."""

from __future__ import annotations

import html
import io
from datetime import UTC, date, datetime, timedelta, tzinfo
from email.message import EmailMessage

import httpx
import pytest
from fastapi import FastAPI
from icalendar import Calendar, Event
from sqlalchemy import func, select

from parley.calendar.models import CalendarEvent
from parley.settings import Settings
from tests.calendar.helpers import calendar_of, wait_for_mail
from tests.factories import client_for, make_user
from tests.mailbox import Mailbox

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings, mailbox: Mailbox) -> Settings:
    return settings.model_copy(update={"smtp_port": mailbox.port})


async def _people(app: FastAPI) -> None:
    async with app.state.runtime.database() as db:
        await make_user(db, email="ada@example.org", name="Ada Lovelace")
        grace = await make_user(db, email="grace@example.org", name="Grace Hopper")
        grace.language = "fr"
        await db.commit()


MEETING = {
    "title": "Planning",
    "timezone": "Europe/Paris",
    "start": "2030-05-14T10:00",
    "end": "2030-05-14T11:00",
    # Two who read English (one cached attachment between them), one who reads French.
    "attendees": [
        {"email": "bob@example.net", "name": "Bob"},
        {"email": "carol@example.net", "name": "Carol"},
        {"email": "grace@example.org"},
    ],
}


def _listed(message: EmailMessage) -> set[str]:
    vevent = calendar_of(message).events[0]
    return {str(a).removeprefix("mailto:") for a in vevent.attendees}


async def test_every_cancellation_lists_every_attendee(app: FastAPI, mailbox: Mailbox) -> None:
    await _people(app)
    ada, headers = await client_for(app, "ada@example.org")
    try:
        event = (await ada.post("/api/v1/events", json=MEETING, headers=headers)).json()
        await wait_for_mail(mailbox, 3)
        everyone = {"bob@example.net", "carol@example.net", "grace@example.org"}
        for address in everyone:
            assert _listed(mailbox.to(address)[0]) == everyone

        # Two are uninvited: each of their cancellations names both of them, not the others.
        fewer = {**MEETING, "attendees": [{"email": "grace@example.org"}]}
        await ada.put(f"/api/v1/events/{event['id']}", json=fewer, headers=headers)
        # Only they hear of it: Grace's copy did not change.
        await wait_for_mail(mailbox, 5)
        removed = {"bob@example.net", "carol@example.net"}
        for address in removed:
            cancellation = calendar_of(mailbox.to(address)[-1])
            assert cancellation["METHOD"] == "CANCEL"
            assert _listed(mailbox.to(address)[-1]) == removed

        # The event is cancelled: the whole list again, in every copy.
        await ada.put(f"/api/v1/events/{event['id']}", json=MEETING, headers=headers)
        # Bob and Carol are invited again.
        await wait_for_mail(mailbox, 7)
        cancelled = await ada.post(f"/api/v1/events/{event['id']}/cancel", headers=headers)
        assert cancelled.status_code == 200
        await wait_for_mail(mailbox, 10)
        for address in everyone:
            last = mailbox.to(address)[-1]
            raw = calendar_of(last)
            assert raw["METHOD"] == "CANCEL"
            assert _listed(last) == everyone, address
    finally:
        await ada.aclose()


def _unfolded(data: bytes) -> list[str]:
    """The content lines of an .ics as RFC 5545 reads them (folds undone)."""
    return data.decode().replace("\r\n ", "").split("\r\n")


async def test_the_conference_features_are_a_comma_list(app: FastAPI) -> None:
    await _people(app)
    ada, headers = await client_for(app, "ada@example.org")
    try:
        made = await ada.post(
            "/api/v1/events",
            json={**MEETING, "attendees": [], "add_conference": True},
            headers=headers,
        )
        assert made.status_code == 201, made.text
        link = made.json()["conference"]["url"]
        feed = (await ada.post("/api/v1/calendar/feed", headers=headers)).json()["url"]
        for data in (
            (await ada.get(f"/api/v1/events/{made.json()['id']}/ics")).content,
            (await ada.get(feed.removeprefix("http://testserver"))).content,
        ):
            lines = [line for line in _unfolded(data) if line.startswith("CONFERENCE")]
            assert len(lines) == 1
            assert lines[0].endswith(":" + link)
            parameters = lines[0].removesuffix(":" + link).split(";")[1:]
            assert "FEATURE=AUDIO,VIDEO" in parameters
            assert "VALUE=URI" in parameters
            vevent = Calendar.from_ical(data).events[0]
            assert vevent["CONFERENCE"].params["FEATURE"] == ["AUDIO", "VIDEO"]
            assert [c.uri for c in vevent.conferences] == [link]
    finally:
        await ada.aclose()


def _embedded_zone(data: bytes, name: str) -> tzinfo:
    """The zone as a reader that trusts the file's VTIMEZONE builds it (dateutil's tzical)."""
    from dateutil.tz import tzical  # type: ignore[import-untyped]

    text = "\r\n".join(_unfolded(data))
    begin = text.index(f"BEGIN:VTIMEZONE\r\nTZID:{name}\r\n")
    block = text[begin : text.index("END:VTIMEZONE", begin) + len("END:VTIMEZONE")]
    zone: tzinfo = tzical(io.StringIO(block)).get(name)
    return zone


@pytest.mark.parametrize(
    ("zone", "july", "january"),
    [
        ("Europe/Paris", timedelta(hours=2), timedelta(hours=1)),
        ("Australia/Sydney", timedelta(hours=10), timedelta(hours=11)),
        ("Asia/Tokyo", timedelta(hours=9), timedelta(hours=9)),
    ],
)
async def test_the_time_zone_written_holds_after_2038(
    app: FastAPI, zone: str, july: timedelta, january: timedelta
) -> None:
    await _people(app)
    ada, headers = await client_for(app, "ada@example.org")
    try:
        made = await ada.post(
            "/api/v1/events",
            json={
                **MEETING,
                "attendees": [],
                "timezone": zone,
                "start": "2040-07-15T10:00",
                "end": "2040-07-15T11:00",
                # Monthly until 2050: the last ones far past what a 2038 table could say.
                "recurrence": {"freq": "monthly", "until": "2050-01-31"},
            },
            headers=headers,
        )
        assert made.status_code == 201, made.text
        data = (await ada.get(f"/api/v1/events/{made.json()['id']}/ics")).content
        embedded = _embedded_zone(data, zone)
        vevent = Calendar.from_ical(data).events[0]
        assert vevent.start.replace(tzinfo=None) == datetime(2040, 7, 15, 10, 0)
        assert datetime(2040, 7, 15, 10, tzinfo=embedded).utcoffset() == july
        assert datetime(2040, 1, 15, 10, tzinfo=embedded).utcoffset() == january
        # What the API says the event is, in UTC, is what the file says with its own zone.
        at = datetime(2040, 7, 15, 10, tzinfo=embedded).astimezone(UTC)
        assert made.json()["starts_at"].startswith(at.strftime("%Y-%m-%dT%H:%M"))
        # And in the series' last months too.
        assert datetime(2049, 7, 15, 10, tzinfo=embedded).utcoffset() == july
        assert datetime(2050, 1, 15, 10, tzinfo=embedded).utcoffset() == january
        assert "only works" not in data.decode()
    finally:
        await ada.aclose()


SERIES_WITH_EXDATES = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example//Desktop//EN\r
BEGIN:VEVENT\r
UID:series-1@example.net\r
DTSTAMP:20261101T080000Z\r
DTSTART;TZID=Europe/Paris:20261116T140000\r
DTEND;TZID=Europe/Paris:20261116T150000\r
RRULE:FREQ=WEEKLY;COUNT=6\r
EXDATE;TZID=Europe/Paris:20261123T140000\r
EXDATE:20261207T130000Z\r
EXDATE;TZID=Europe/Paris:20261130T090000\r
SUMMARY:Weekly review\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:series-1@example.net\r
DTSTAMP:20261101T080000Z\r
RECURRENCE-ID;TZID=Europe/Paris:20261214T140000\r
DTSTART;TZID=Europe/Paris:20261214T140000\r
DTEND;TZID=Europe/Paris:20261214T150000\r
STATUS:CANCELLED\r
SUMMARY:Weekly review\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:days-1@example.net\r
DTSTAMP:20261101T080000Z\r
DTSTART;VALUE=DATE:20261124\r
RRULE:FREQ=WEEKLY;COUNT=3\r
EXDATE;VALUE=DATE:20261201\r
SUMMARY:Office day\r
END:VEVENT\r
END:VCALENDAR\r
"""


async def _import(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes
) -> httpx.Response:
    return await client.post(
        "/api/v1/calendar/import",
        files={"file": ("agenda.ics", content, "text/calendar")},
        data={"timezone": "Europe/Paris"},
        headers=headers,
    )


def _expanded(vevent: Event) -> list[date | datetime]:
    """The occurrences as a calendar program reads them from the file (dateutil's rruleset)."""
    from dateutil.rrule import rruleset, rrulestr  # type: ignore[import-untyped]

    series = rruleset()
    series.rrule(rrulestr(vevent["RRULE"].to_ical().decode(), dtstart=_as_datetime(vevent.start)))
    for excluded in vevent.exdates:
        series.exdate(_as_datetime(excluded))
    return list(series)


def _as_datetime(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time())


async def test_an_imported_series_keeps_the_days_it_skips(app: FastAPI) -> None:
    await _people(app)
    ada, headers = await client_for(app, "ada@example.org")
    ada.cookies.set("parley_tz", "Europe/Paris")
    try:
        imported = await _import(ada, headers, SERIES_WITH_EXDATES)
        assert imported.status_code == 200, imported.text
        assert imported.json()["created"] == 2
        listed = (
            await ada.get(
                "/api/v1/events",
                params={"start": "2026-11-16", "end": "2027-01-01", "timezone": "Europe/Paris"},
            )
        ).json()
        review = [o["start"] for o in listed if o["title"] == "Weekly review"]
        # 23 November and 7 December are skipped (a Paris time and a UTC time), 14 December
        # was cancelled on its own; 09:00 on 30 November matches no occurrence.
        assert review == [
            "2026-11-16T14:00:00",
            "2026-11-30T14:00:00",
            "2026-12-21T14:00:00",
        ]
        days = [o["start"] for o in listed if o["title"] == "Office day"]
        assert days == ["2026-11-24", "2026-12-08"]

        # The week page shows nothing of the series in the week it skips.
        event_id = next(o["event_id"] for o in listed if o["title"] == "Weekly review")
        shown = await ada.get("/calendar?view=week&date=2026-11-16")
        skipped = await ada.get("/calendar?view=week&date=2026-11-23")
        assert shown.text.count(f'data-event="{event_id}"') == 1
        assert skipped.text.count(f'data-event="{event_id}"') == 0

        # Exported, the series says the same to another program.
        exported = await ada.get(f"/api/v1/events/{event_id}/ics")
        vevent = Calendar.from_ical(exported.content).events[0]
        assert sorted(d.replace(tzinfo=None) for d in vevent.exdates) == [
            datetime(2026, 11, 23, 14, 0),
            datetime(2026, 12, 7, 14, 0),
            datetime(2026, 12, 14, 14, 0),
        ]
        assert all(str(d.tzinfo) == "Europe/Paris" for d in vevent.exdates)
        assert [d.strftime("%Y-%m-%dT%H:%M:%S") for d in _expanded(vevent)] == review
        office = next(o["event_id"] for o in listed if o["title"] == "Office day")
        office_ics = Calendar.from_ical((await ada.get(f"/api/v1/events/{office}/ics")).content)
        assert office_ics.events[0].exdates == [date(2026, 12, 1)]
        assert "EXDATE;VALUE=DATE:20261201" in "\r\n".join(_unfolded(office_ics.to_ical()))

        # The feed, read again by Parley, keeps them too.
        feed = (await ada.post("/api/v1/calendar/feed", headers=headers)).json()["url"]
        again = await ada.get(feed.removeprefix("http://testserver"))
        assert (await _import(ada, headers, again.content)).json()["updated"] == 2
        relisted = (
            await ada.get(
                "/api/v1/events",
                params={"start": "2026-11-16", "end": "2027-01-01", "timezone": "Europe/Paris"},
            )
        ).json()
        assert [o["start"] for o in relisted if o["title"] == "Weekly review"] == review
    finally:
        await ada.aclose()


MOVED_OCCURRENCE = (
    SERIES_WITH_EXDATES.replace(b"STATUS:CANCELLED\r\n", b"")
    .replace(
        b"DTSTART;TZID=Europe/Paris:20261214T140000", b"DTSTART;TZID=Europe/Paris:20261215T160000"
    )
    .replace(b"DTEND;TZID=Europe/Paris:20261214T150000", b"DTEND;TZID=Europe/Paris:20261215T170000")
)


async def test_an_import_that_would_change_a_series_is_refused_clearly(app: FastAPI) -> None:
    await _people(app)
    ada, headers = await client_for(app, "ada@example.org")
    try:
        moved = await _import(ada, headers, MOVED_OCCURRENCE)
        assert moved.status_code == 422, moved.text
        assert moved.json()["code"] == "bad_ics"
        assert moved.json()["detail"] == (
            "The event “Weekly review” changes single occurrences of its series"
            " (RECURRENCE-ID), which Parley cannot import yet: nothing was imported."
        )
        added = SERIES_WITH_EXDATES.replace(
            b"SUMMARY:Office day\r\n", b"SUMMARY:Office day\r\nRDATE;VALUE=DATE:20261126\r\n"
        )
        refused = await _import(ada, headers, added)
        assert refused.status_code == 422
        assert refused.json()["detail"].startswith(
            "The event “Office day” adds dates to its series (RDATE)"
        )
        # In French on the import page, and nothing saved.
        csrf = {"csrf_token": headers["x-csrf-token"]}
        page = await ada.post(
            "/calendar/import",
            data=csrf,
            files={"file": ("agenda.ics", MOVED_OCCURRENCE, "text/calendar")},
            headers={"accept-language": "fr"},
        )
        assert page.status_code == 422
        assert "modifie des occurrences isolées de sa série" in html.unescape(page.text)
        async with app.state.runtime.database() as db:
            assert await db.scalar(select(func.count()).select_from(CalendarEvent)) == 0
    finally:
        await ada.aclose()
