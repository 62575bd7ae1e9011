"""The calendar's pages without a browser: views, the form (also without scripts), the
details everyone invited sees, answers, import, feed, and the administrators' settings."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from parley.calendar import site as calendar_site
from parley.calendar.models import CalendarEvent
from tests.calendar.helpers import TEXT_EN, configure
from tests.factories import client_for, make_user

pytestmark = pytest.mark.anyio


async def _people(app: FastAPI) -> None:
    async with app.state.runtime.database() as db:
        await make_user(db, email="ada@example.org", name="Ada Lovelace", admin=True)
        await make_user(db, email="grace@example.org", name="Grace Hopper")


FORM = {
    "title": "Planning",
    "start_date": "2030-05-06",
    "start_time": "09:30",
    "end_date": "2030-05-06",
    "end_time": "10:30",
    "timezone": "Europe/Paris",
    "repeat": "none",
    "interval": "1",
    "ends": "never",
    "count": "10",
    "until": "",
    "location": "Room 2",
    "attendees": "grace@example.org, guest@example.net",
    "description": "",
    "conference_id": "",
}


async def test_the_form_the_views_and_the_details(app: FastAPI) -> None:
    await _people(app)
    await configure(app)
    ada, headers = await client_for(app, "ada@example.org")
    grace, grace_headers = await client_for(app, "grace@example.org")
    csrf = {"csrf_token": headers["x-csrf-token"]}
    ada.cookies.set("parley_tz", "Europe/Paris")
    try:
        page = await ada.get("/calendar/new?date=2030-05-06&hour=9")
        assert page.status_code == 200 and "Add a videoconference" in page.text
        assert 'value="Europe/Paris" selected' in page.text

        # Without scripts, the button makes the link and shows it before anything is saved.
        added = await ada.post("/calendar/new", data={**FORM, **csrf, "action": "add_conference"})
        assert added.status_code == 200
        link = re.search(r'id="conference-url"[^>]*value="([^"]+)"', added.text)
        assert link is not None and "/r/" in link.group(1)
        conference_id = re.search(r'name="conference_id"[^>]*value="(\d+)"', added.text)
        assert conference_id is not None
        assert (await ada.get(link.group(1).removeprefix("http://testserver"))).status_code == 200
        async with app.state.runtime.database() as db:
            assert await db.scalar(select(func.count()).select_from(CalendarEvent)) == 0

        # Wrong times: the form comes back with the message and what was typed.
        wrong = await ada.post(
            "/calendar/new",
            data={**FORM, **csrf, "end_time": "08:00", "conference_id": conference_id.group(1)},
        )
        assert wrong.status_code == 422
        assert "The event must end after it starts." in wrong.text and "Planning" in wrong.text
        bad_guest = await ada.post("/calendar/new", data={**FORM, **csrf, "attendees": "bob@"})
        assert "This is not an email address: bob@" in bad_guest.text

        saved = await ada.post(
            "/calendar/new", data={**FORM, **csrf, "conference_id": conference_id.group(1)}
        )
        assert saved.status_code == 303
        event_path = saved.headers["location"].split("?")[0]

        # The week, month and list views show it at its local time.
        for view in ("week", "month", "list"):
            shown = await ada.get(f"/calendar?view={view}&date=2030-05-06")
            assert shown.status_code == 200 and "Planning" in shown.text, view
            assert "Times in Europe/Paris" in shown.text
        week = await ada.get("/calendar?view=week&date=2030-05-06")
        assert 'data-top="570" data-bottom="630"' in week.text  # 09:30 to 10:30

        # The details (popup) show the link and the administrators' text to every attendee.
        grace.cookies.set("parley_tz", "Europe/Paris")
        popup = await grace.get(f"{event_path}?popup=1")
        assert popup.status_code == 200
        assert link.group(1) in popup.text and TEXT_EN in popup.text
        assert "Organised by Ada Lovelace" in popup.text and "Edit" not in popup.text
        answered = await grace.post(
            f"{event_path}/answer",
            data={"answer": "tentative", "csrf_token": grace_headers["x-csrf-token"]},
        )
        assert answered.status_code == 303
        organizer_view = await ada.get(event_path)
        assert "Maybe" in organizer_view.text and "No answer yet" in organizer_view.text

        # Grace may not edit; the edit page of the organiser shows the link to remove.
        assert (await grace.get(f"{event_path}/edit")).status_code == 403
        edit = await ada.get(f"{event_path}/edit")
        assert link.group(1) in edit.text
        removed = await ada.post(
            f"{event_path}/edit", data={**FORM, **csrf, "action": "remove_conference",
                                        "conference_id": conference_id.group(1)}
        )  # fmt: skip
        assert 'name="conference_id" id="f-conference_id" value=""' in removed.text
        await ada.post(f"{event_path}/edit", data={**FORM, **csrf, "conference_id": ""})
        assert link.group(1) not in (await grace.get(f"{event_path}?popup=1")).text
        # The link removed from the event still opens its room.
        assert (await ada.get(link.group(1).removeprefix("http://testserver"))).status_code == 200
    finally:
        await ada.aclose()
        await grace.aclose()


async def test_administrators_settings(app: FastAPI) -> None:
    await _people(app)
    ada, headers = await client_for(app, "ada@example.org")
    grace, grace_headers = await client_for(app, "grace@example.org")
    try:
        assert (await grace.get("/admin/calendar")).status_code == 403
        page = await ada.get("/admin/calendar")
        assert page.status_code == 200 and "Videoconference resource" in page.text
        form = {
            "csrf_token": headers["x-csrf-token"],
            "offer_parley": "on",
            "text_en": "Call us if the sound fails.",
            "text_fr": "Appelez-nous si le son ne passe pas.",
            "resource": "Visio@Example.org",
        }
        assert (await ada.post("/admin/calendar", data=form)).status_code == 200
        async with app.state.runtime.database() as db:
            saved = await calendar_site.load(db=db)
        assert saved.resource == "visio@example.org"
        assert saved.text("fr") == "Appelez-nous si le son ne passe pas."

        bad = await ada.post("/admin/calendar", data={**form, "resource": "visio@"})
        assert bad.status_code == 422 and "Enter a valid email address." in bad.text
        none_offered = await ada.post(
            "/admin/calendar", data={**form, "offer_parley": "", "provider": "999"}
        )
        assert none_offered.status_code == 422
        async with app.state.runtime.database() as db:
            assert (await calendar_site.load(db=db)).resource == "visio@example.org"
        refused = await grace.post(
            "/admin/calendar", data={**form, "csrf_token": grace_headers["x-csrf-token"]}
        )
        assert refused.status_code == 403
    finally:
        await ada.aclose()
        await grace.aclose()


async def test_import_and_feed_pages(app: FastAPI) -> None:
    await _people(app)
    ada, headers = await client_for(app, "ada@example.org")
    csrf = {"csrf_token": headers["x-csrf-token"]}
    try:
        page = await ada.get("/calendar/subscribe")
        assert "Make my calendar address" in page.text
        made = await ada.post("/calendar/feed", data={**csrf, "action": "new"})
        feed = re.search(r'id="feed-url"[^>]*value="([^"]+)"', made.text)
        assert feed is not None
        assert (await ada.get(feed.group(1).removeprefix("http://testserver"))).status_code == 200
        bad = await ada.post(
            "/calendar/import",
            data=csrf,
            files={"file": ("x.ics", b"nonsense", "text/calendar")},
        )
        assert bad.status_code == 422 and "not a valid iCalendar" in bad.text
        stopped = await ada.post("/calendar/feed", data={**csrf, "action": "stop"})
        assert "turned off" in stopped.text
        assert (await ada.get(feed.group(1).removeprefix("http://testserver"))).status_code == 404
    finally:
        await ada.aclose()
