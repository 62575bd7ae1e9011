"""The iCalendar other programs read: cancellations, the CONFERENCE property, time zones
far in the future, and series with excluded days."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, tzinfo
from email.message import EmailMessage

import pytest
from fastapi import FastAPI
from icalendar import Calendar

from parley.settings import Settings
from tests.calendar.helpers import calendar_of, wait_for_mail
from tests.factories import client_for, make_user
from tests.mailbox import Mailbox

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings, mailbox: Mailbox) -> Settings:
    return settings.model_copy(update={"smtp_port": mailbox.port})


async def _people(app: FastAPI) -> None:
    async with app.state.sessionmaker() as db:
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
