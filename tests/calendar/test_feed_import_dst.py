"""The private feed, importing .ics files, and time zones across daylight-saving changes."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from icalendar import Calendar
from sqlalchemy import func, select

from parley.calendar.models import CalendarEvent
from tests.calendar.helpers import configure
from tests.factories import client_for, make_user

pytestmark = pytest.mark.anyio


async def _people(app: FastAPI) -> None:
    async with app.state.runtime.database() as db:
        await make_user(db, email="ada@example.org", name="Ada Lovelace")
        await make_user(db, email="grace@example.org", name="Grace Hopper")


WEEKLY_IN_PARIS = {
    "title": "Weekly sync",
    "timezone": "Europe/Paris",
    # Summer time ends in Paris on Sunday 25 October 2026.
    "start": "2026-10-13T10:00",
    "end": "2026-10-13T11:00",
    "recurrence": {"freq": "weekly", "count": 4},
    "attendees": [{"email": "grace@example.org"}],
}


async def test_a_weekly_event_keeps_its_local_time_across_the_change_of_time(
    app: FastAPI,
) -> None:
    await _people(app)
    ada, headers = await client_for(app, "ada@example.org")
    grace, _grace_headers = await client_for(app, "grace@example.org")
    try:
        created = await ada.post("/api/v1/events", json=WEEKLY_IN_PARIS, headers=headers)
        assert created.status_code == 201, created.text
        found = await grace.get(
            "/api/v1/events",
            params={"start": "2026-10-01", "end": "2026-11-30", "timezone": "Europe/Paris"},
        )
        assert found.status_code == 200, found.text
        occurrences = found.json()
        assert [o["start"] for o in occurrences] == [
            "2026-10-13T10:00:00",
            "2026-10-20T10:00:00",
            "2026-10-27T10:00:00",
            "2026-11-03T10:00:00",
        ]
        # In UTC the hour moves: 08:00 in summer time, 09:00 after.
        assert [o["starts_at"][11:16] for o in occurrences] == ["08:00", "08:00", "09:00", "09:00"]
        assert all(o["can_edit"] is False and o["my_answer"] == "needs-action" for o in occurrences)

        # Seen from New York (which changes a week later), the same instants.
        from_ny = await ada.get(
            "/api/v1/events",
            params={
                "start": "2026-10-26T00:00",
                "end": "2026-10-28T00:00",
                "timezone": "America/New_York",
            },
        )
        assert [o["starts_at"][:16] for o in from_ny.json()] == ["2026-10-27T09:00"]

        # The .ics says it in local time with its VTIMEZONE and the rule.
        ics = await ada.get(f"/api/v1/events/{created.json()['id']}/ics")
        assert ics.headers["content-type"].startswith("text/calendar")
        vevent = Calendar.from_ical(ics.content).events[0]
        assert str(vevent["DTSTART"].params["TZID"]) == "Europe/Paris"
        assert vevent["RRULE"]["COUNT"] == [4] and vevent["RRULE"]["FREQ"] == ["WEEKLY"]
        starts = [d.astimezone(UTC).hour for d in _expand(ics.content)]
        assert starts == [8, 8, 9, 9]

        # A time the clocks skip is refused; one they pass twice is the first of the two.
        skipped = {
            **WEEKLY_IN_PARIS,
            "start": "2027-03-28T02:30",
            "end": "2027-03-28T03:30",
            "recurrence": None,
        }
        refused = await ada.post("/api/v1/events", json=skipped, headers=headers)
        assert refused.status_code == 422 and refused.json()["code"] == "nonexistent_time"
        twice = {**skipped, "start": "2026-10-25T02:30", "end": "2026-10-25T04:00"}
        doubled = await ada.post("/api/v1/events", json=twice, headers=headers)
        assert doubled.status_code == 201
        assert doubled.json()["starts_at"].startswith("2026-10-25T00:30")
        # 02:30 summer time to 04:00 winter time: two and a half hours.
        assert doubled.json()["ends_at"].startswith("2026-10-25T03:00")

        # An all-day event covers its days whatever the reader's zone.
        holiday = {
            "title": "Holiday",
            "all_day": True,
            "start": "2026-10-26",
            "end": "2026-10-27",
            "timezone": "Europe/Paris",
        }
        made = await ada.post("/api/v1/events", json=holiday, headers=headers)
        assert made.json()["start"] == "2026-10-26" and made.json()["end"] == "2026-10-27"
        for zone in ("Pacific/Auckland", "America/Los_Angeles"):
            days = await ada.get(
                "/api/v1/events",
                params={"start": "2026-10-26", "end": "2026-10-27", "timezone": zone},
            )
            assert [o["title"] for o in days.json() if o["all_day"]] == ["Holiday"]
            # Not on the day before nor the day after its two days, in any zone.
            for start, end in (("2026-10-25", "2026-10-26"), ("2026-10-28", "2026-10-29")):
                other = await ada.get(
                    "/api/v1/events", params={"start": start, "end": end, "timezone": zone}
                )
                assert [o["title"] for o in other.json() if o["all_day"]] == []
    finally:
        await ada.aclose()
        await grace.aclose()


def _expand(data: bytes) -> list[datetime]:
    # The rule as a calendar program reads it (dateutil, from the file alone).
    from dateutil.rrule import rrulestr  # type: ignore[import-untyped]

    vevent = Calendar.from_ical(data).events[0]
    rule = vevent["RRULE"].to_ical().decode()
    return list(rrulestr(rule, dtstart=vevent.start))


async def test_the_private_feed(app: FastAPI) -> None:
    await _people(app)
    ada, headers = await client_for(app, "ada@example.org")
    grace, grace_headers = await client_for(app, "grace@example.org")
    try:
        mine = await ada.post("/api/v1/events", json=WEEKLY_IN_PARIS, headers=headers)
        theirs = {**WEEKLY_IN_PARIS, "title": "Grace's review", "attendees": [], "recurrence": None}
        await grace.post("/api/v1/events", json=theirs, headers=grace_headers)
        assert (await grace.get("/api/v1/calendar/feed")).json() == {"url": None}
        made = await grace.post("/api/v1/calendar/feed", headers=grace_headers)
        url = made.json()["url"]
        assert url.startswith("http://testserver/calendar/feed/") and url.endswith(".ics")
        path = url.removeprefix("http://testserver")

        # No login: the address is the secret. It holds her events and those she is invited to.
        anonymous = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        feed = await anonymous.get(path)
        assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
        calendar = Calendar.from_ical(feed.content)
        titles = sorted(str(e["SUMMARY"]) for e in calendar.events)
        assert titles == ["Grace's review", "Weekly sync"]
        assert {str(e["UID"]) for e in calendar.events} >= {mine.json()["uid"]}
        assert calendar.timezones

        # A guessed or altered address gives nothing.
        assert (await anonymous.get(path[:-8] + "0000.ics")).status_code == 404
        assert (await anonymous.get("/calendar/feed/1-1-x.ics")).status_code == 404

        # A new address revokes the old one; turning it off revokes both.
        renewed = (await grace.post("/api/v1/calendar/feed", headers=grace_headers)).json()["url"]
        assert renewed != url
        assert (await anonymous.get(path)).status_code == 404
        new_path = renewed.removeprefix("http://testserver")
        assert (await anonymous.get(new_path)).status_code == 200
        stopped = await grace.delete("/api/v1/calendar/feed", headers=grace_headers)
        assert stopped.status_code == 204
        assert (await anonymous.get(new_path)).status_code == 404
        await anonymous.aclose()
    finally:
        await ada.aclose()
        await grace.aclose()


ONE_EVENT = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example//Phone//EN\r
BEGIN:VEVENT\r
UID:phone-1@example.net\r
DTSTAMP:20261101T080000Z\r
DTSTART;TZID=Europe/Paris:20261116T140000\r
DTEND;TZID=Europe/Paris:20261116T150000\r
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3\r
SUMMARY:Budget\\, second round\r
LOCATION:Room 4\r
ATTENDEE;CN=Grace Hopper:mailto:grace@example.org\r
ATTENDEE;CUTYPE=RESOURCE:mailto:visio@example.org\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:phone-2@example.net\r
DTSTAMP:20261101T080000Z\r
DTSTART;VALUE=DATE:20261124\r
SUMMARY:Team day\r
END:VEVENT\r
END:VCALENDAR\r
"""


async def test_importing_ics_files(app: FastAPI) -> None:
    await _people(app)
    await configure(app, resource="visio@example.org")
    ada, headers = await client_for(app, "ada@example.org")

    async def upload(content: bytes) -> httpx.Response:
        return await ada.post(
            "/api/v1/calendar/import",
            files={"file": ("agenda.ics", content, "text/calendar")},
            data={"timezone": "Europe/Paris"},
            headers=headers,
        )

    try:
        imported = await upload(ONE_EVENT)
        assert imported.status_code == 200, imported.text
        assert imported.json() == {"created": 2, "updated": 0, "conference_errors": []}
        found = (
            await ada.get(
                "/api/v1/events",
                params={"start": "2026-11-16", "end": "2026-12-01", "timezone": "Europe/Paris"},
            )
        ).json()
        budget = [o for o in found if o["title"] == "Budget, second round"]
        assert [o["start"] for o in budget] == [
            "2026-11-16T14:00:00",
            "2026-11-23T14:00:00",
            "2026-11-30T14:00:00",
        ]
        # The resource was invited: the server added a link that works.
        assert budget[0]["conference_url"].startswith("http://testserver/r/")
        link = budget[0]["conference_url"].removeprefix("http://testserver")
        assert (await ada.get(link)).status_code == 200
        team_day = next(o for o in found if o["title"] == "Team day")
        assert team_day["all_day"] and team_day["start"] == "2026-11-24"

        # The same file again updates the events instead of adding them twice.
        again = await upload(ONE_EVENT)
        assert again.json() == {"created": 0, "updated": 2, "conference_errors": []}
        event = (await ada.get(f"/api/v1/events/{budget[0]['event_id']}")).json()
        assert event["conference"]["url"] == budget[0]["conference_url"]
        assert sorted(a["email"] for a in event["attendees"]) == [
            "grace@example.org",
            "visio@example.org",
        ]

        # Bad files change nothing and say why.
        bad_files = {
            b"this is not a calendar": "This file is not a valid iCalendar (.ics) file.",
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n": "This file holds no event.",
            ONE_EVENT.replace(b"COUNT=3", b"COUNT=100000"): None,
            ONE_EVENT.replace(b"FREQ=WEEKLY;BYDAY=MO", b"FREQ=SECONDLY"): None,
            ONE_EVENT.replace(b"DTEND;TZID=Europe/Paris:20261116T150000", b"DTEND:2026x"): (
                "The event “Budget, second round” has no valid start or end."
            ),
            ONE_EVENT.replace(b"20261116T150000", b"20261116T120000"): (
                "The event “Budget, second round” ends before it starts."
            ),
        }
        for content, message in bad_files.items():
            refused = await upload(content.replace(b"phone-", b"other-"))
            assert refused.status_code == 422, (content, refused.text)
            assert refused.json()["code"] == "bad_ics"
            if message:
                assert refused.json()["detail"] == message
        too_many = await upload(
            ONE_EVENT.replace(b"phone-", b"other-").replace(b"COUNT=3", b"COUNT=100000")
        )
        assert "730" in too_many.json()["detail"]
        async with app.state.runtime.database() as db:
            assert await db.scalar(select(func.count()).select_from(CalendarEvent)) == 2
    finally:
        await ada.aclose()


async def test_an_import_answers_what_it_saved_when_the_log_records_it(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    # Servers log at INFO: the import's own log line must not turn its success into an error.
    caplog.set_level(logging.INFO, logger="parley")
    await _people(app)
    ada, headers = await client_for(app, "ada@example.org")
    try:
        content = ONE_EVENT.replace(b"ATTENDEE;CUTYPE=RESOURCE:mailto:visio@example.org\r\n", b"")
        imported = await ada.post(
            "/api/v1/calendar/import",
            files={"file": ("agenda.ics", content, "text/calendar")},
            data={"timezone": "Europe/Paris"},
            headers=headers,
        )
        assert imported.status_code == 200, imported.text
        assert imported.json() == {"created": 2, "updated": 0, "conference_errors": []}
        logged = [r for r in caplog.records if r.getMessage() == "calendar imported"]
        assert [(r.events_created, r.events_updated) for r in logged] == [(2, 0)]  # type: ignore[attr-defined]
    finally:
        await ada.aclose()
