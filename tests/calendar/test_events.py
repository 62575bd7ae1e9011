"""Events through the API: invitations a mail program understands, updates, answers,
cancellation, who may do what, and the resource attendee that adds a link by itself."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from parley.accounts.models import User
from parley.calendar import site as calendar_site
from parley.calendar.models import CalendarEvent
from parley.mail.models import OutgoingEmail
from parley.providers.models import ProviderConfig
from parley.settings import Settings
from tests.calendar.helpers import (
    TEXT_EN,
    calendar_of,
    configure,
    wait_for_mail,
)
from tests.factories import client_for, make_user
from tests.mailbox import Mailbox, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings, mailbox: Mailbox) -> Settings:
    return settings.model_copy(update={"smtp_port": mailbox.port})


async def _people(app: FastAPI) -> None:
    async with app.state.runtime.database() as db:
        await make_user(db, email="ada@example.org", name="Ada Lovelace")
        grace = await make_user(db, email="grace@example.org", name="Grace Hopper")
        await make_user(db, email="linus@example.org", name="Linus")
        # Grace reads Parley in French: her invitations come in French.
        grace.language = "fr"
        await db.commit()


EVENT = {
    "title": "Design review",
    "description": "Bring the mock-ups.",
    "timezone": "Europe/Paris",
    "start": "2030-03-12T10:00",
    "end": "2030-03-12T11:30",
    "attendees": [{"email": "grace@example.org"}, {"email": "Bob@Example.NET", "name": "Bob"}],
    "add_conference": True,
}


async def test_invitations_updates_answers_and_cancellation(app: FastAPI, mailbox: Mailbox) -> None:
    await _people(app)
    await configure(app)
    ada, headers = await client_for(app, "ada@example.org")
    grace, grace_headers = await client_for(app, "grace@example.org")
    linus, linus_headers = await client_for(app, "linus@example.org")
    try:
        created = await ada.post("/api/v1/events", json=EVENT, headers=headers)
        assert created.status_code == 201, created.text
        event = created.json()
        link = event["conference"]["url"]
        assert link.startswith("http://testserver/r/")
        assert event["conference"]["text"] == TEXT_EN
        assert event["start"] == "2030-03-12T10:00:00"
        assert event["starts_at"].startswith("2030-03-12T09:00:00")  # UTC+1 in March
        assert [a["email"] for a in event["attendees"]] == ["grace@example.org", "bob@example.net"]
        # The link works now: it leads to a Parley room named after the event.
        room = await ada.get(link.removeprefix("http://testserver"))
        assert room.status_code == 200 and "Design review" in room.text

        messages = await wait_for_mail(mailbox, 2)
        assert {str(m["To"]) for m in messages} == {"grace@example.org", "bob@example.net"}
        to_bob = mailbox.to("bob@example.net")[0]
        assert to_bob["Subject"] == "Invitation: Design review"
        assert to_bob["Reply-To"] == "ada@example.org"
        body = text_of(to_bob)
        assert link in body and TEXT_EN in body and "March 12, 2030" in body
        assert "/calendar/rsvp/" in body
        html = to_bob.get_body(preferencelist=("html",))
        assert html is not None and link in str(html.get_content())
        # Grace is a member who reads French: her email is in French (dates included).
        assert "12 mars 2030" in text_of(mailbox.to("grace@example.org")[0])

        invitation = calendar_of(to_bob)
        assert invitation["METHOD"] == "REQUEST"
        vevent = invitation.events[0]
        assert str(vevent["UID"]) == event["uid"]
        assert vevent["SEQUENCE"] == 0 and "DTSTAMP" in vevent
        assert str(vevent["ORGANIZER"]) == "mailto:ada@example.org"
        attendees = {str(a): a.params for a in vevent.attendees}
        assert attendees["mailto:bob@example.net"]["PARTSTAT"] == "NEEDS-ACTION"
        assert attendees["mailto:bob@example.net"]["RSVP"] == "TRUE"
        assert str(vevent["URL"]) == link and str(vevent["LOCATION"]) == link
        assert link in str(vevent["DESCRIPTION"]) and TEXT_EN in str(vevent["DESCRIPTION"])
        assert [c.uri for c in vevent.conferences] == [link]
        assert vevent.start.tzinfo is not None and str(vevent.start.tzinfo) == "Europe/Paris"
        assert vevent.start.hour == 10 and invitation.timezones  # VTIMEZONE included

        # Only the organiser changes the event; attendees see it; others do not.
        event_url = f"/api/v1/events/{event['id']}"
        seen = await grace.get(event_url)
        assert seen.status_code == 200 and seen.json()["can_edit"] is False
        assert seen.json()["conference"]["url"] == link
        refused = await grace.put(event_url, json=EVENT, headers=grace_headers)
        assert refused.status_code == 403
        assert (await linus.get(event_url)).status_code == 404
        assert (await linus.post(f"{event_url}/cancel", headers=linus_headers)).status_code == 404

        # Grace accepts in Parley; Bob declines from the link in his email.
        answered = await grace.put(
            f"{event_url}/answer", json={"answer": "accepted"}, headers=grace_headers
        )
        assert answered.status_code == 200 and answered.json()["my_answer"] == "accepted"
        rsvp = next(line for line in body.splitlines() if "answer=declined" in line).split()[-1]
        page = await linus.get(rsvp.removeprefix("http://testserver"))
        assert page.status_code == 200 and "Design review" in page.text
        declined = await linus.post(
            rsvp.split("?")[0].removeprefix("http://testserver"),
            data={"answer": "declined", "csrf_token": linus_headers["x-csrf-token"]},
        )
        assert declined.status_code == 200
        # A link whose secret was tampered with answers nothing.
        forged = await linus.get(rsvp.split("?")[0][:-3].removeprefix("http://testserver") + "abc")
        assert forged.status_code == 404
        answers = {a["email"]: a["answer"] for a in (await ada.get(event_url)).json()["attendees"]}
        assert answers == {"grace@example.org": "accepted", "bob@example.net": "declined"}

        # A new time: SEQUENCE 1, everyone is asked again, the same link is kept.
        changed = {**EVENT, "start": "2030-03-12T14:00", "end": "2030-03-12T15:00"}
        changed.pop("add_conference")
        changed["conference_id"] = event["conference"]["id"]
        updated = await ada.put(event_url, json=changed, headers=headers)
        assert updated.status_code == 200, updated.text
        assert updated.json()["sequence"] == 1
        assert {a["answer"] for a in updated.json()["attendees"]} == {"needs-action"}
        await wait_for_mail(mailbox, 4)
        update = calendar_of(mailbox.to("bob@example.net")[-1]).events[0]
        assert update["SEQUENCE"] == 1 and update.start.hour == 14
        assert str(update["UID"]) == event["uid"]
        assert mailbox.to("bob@example.net")[-1]["Subject"] == "Updated invitation: Design review"

        # Saving without a change sends nothing more.
        again = await ada.put(event_url, json=changed, headers=headers)
        assert again.json()["sequence"] == 1

        # Cancelled: both get METHOD:CANCEL with a higher SEQUENCE.
        cancelled = await ada.post(f"{event_url}/cancel", headers=headers)
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        await wait_for_mail(mailbox, 6)
        cancel = calendar_of(mailbox.to("grace@example.org")[-1])
        assert cancel["METHOD"] == "CANCEL"
        assert cancel.events[0]["SEQUENCE"] == 2
        assert str(cancel.events[0]["STATUS"]) == "CANCELLED"
        assert str(cancel.events[0]["UID"]) == event["uid"]
        # A cancelled event cannot be changed any more.
        late = await ada.put(event_url, json=changed, headers=headers)
        assert late.status_code == 409
        assert len(mailbox.messages) == 6
    finally:
        for client in (ada, grace, linus):
            await client.aclose()


async def test_removing_an_attendee_and_deleting_send_cancellations(
    app: FastAPI, mailbox: Mailbox
) -> None:
    await _people(app)
    ada, headers = await client_for(app, "ada@example.org")
    try:
        plain = {**EVENT, "add_conference": False}
        event = (await ada.post("/api/v1/events", json=plain, headers=headers)).json()
        assert event["conference"] is None
        await wait_for_mail(mailbox, 2)
        fewer = {**plain, "attendees": [{"email": "grace@example.org"}]}
        updated = await ada.put(f"/api/v1/events/{event['id']}", json=fewer, headers=headers)
        assert updated.json()["sequence"] == 1
        await wait_for_mail(mailbox, 3)
        assert calendar_of(mailbox.to("bob@example.net")[-1])["METHOD"] == "CANCEL"
        # Grace's copy did not change: she gets nothing for Bob's removal.
        assert len(mailbox.to("grace@example.org")) == 1

        deleted = await ada.delete(f"/api/v1/events/{event['id']}", headers=headers)
        assert deleted.status_code == 204
        await wait_for_mail(mailbox, 4)
        assert calendar_of(mailbox.to("grace@example.org")[-1])["METHOD"] == "CANCEL"
        assert (await ada.get(f"/api/v1/events/{event['id']}")).status_code == 404
    finally:
        await ada.aclose()


async def test_the_videoconference_resource_makes_the_server_add_a_link(
    app: FastAPI, mailbox: Mailbox
) -> None:
    await _people(app)
    await configure(app, resource="visio@example.org")
    ada, headers = await client_for(app, "ada@example.org")
    try:
        # A phone's calendar cannot press the button: it invites the resource instead.
        phone = {
            "title": "Stand-up",
            "timezone": "Europe/Paris",
            "start": "2030-03-13T09:00",
            "end": "2030-03-13T09:15",
            "attendees": [{"email": "VISIO@example.org"}, {"email": "grace@example.org"}],
        }
        created = await ada.post("/api/v1/events", json=phone, headers=headers)
        assert created.status_code == 201, created.text
        event = created.json()
        link = event["conference"]["url"]
        assert link.startswith("http://testserver/r/") and event["conference_error"] is None
        resource = next(a for a in event["attendees"] if a["is_resource"])
        assert resource["email"] == "visio@example.org" and resource["answer"] == "accepted"
        assert (await ada.get(link.removeprefix("http://testserver"))).status_code == 200

        # Only Grace gets an email; her invitation carries the link and the resource.
        await wait_for_mail(mailbox, 1)
        invitation = calendar_of(mailbox.to("grace@example.org")[0]).events[0]
        assert [c.uri for c in invitation.conferences] == [link]
        people = {str(a): a.params for a in invitation.attendees}
        assert people["mailto:visio@example.org"]["CUTYPE"] == "RESOURCE"
        assert people["mailto:visio@example.org"]["PARTSTAT"] == "ACCEPTED"

        # Saved again with the resource still invited: the same link, not a new one.
        again = await ada.put(f"/api/v1/events/{event['id']}", json=phone, headers=headers)
        assert again.json()["conference"]["url"] == link
        # Without the resource and without the link: the link leaves the event (and works).
        alone = {**phone, "attendees": [{"email": "grace@example.org"}]}
        removed = await ada.put(f"/api/v1/events/{event['id']}", json=alone, headers=headers)
        assert removed.json()["conference"] is None
        assert (await ada.get(link.removeprefix("http://testserver"))).status_code == 200
        assert len(mailbox.to("visio@example.org")) == 0
    finally:
        await ada.aclose()


async def test_bad_input_is_refused_clearly_and_changes_nothing(app: FastAPI) -> None:
    await _people(app)
    ada, headers = await client_for(app, "ada@example.org")
    linus, linus_headers = await client_for(app, "linus@example.org")
    try:
        cases = [
            (
                {"end": "2030-03-12T09:00"},
                "end_before_start",
                "The event must end after it starts.",
            ),
            ({"start": "2030-02-30T10:00"}, "bad_date", None),
            ({"start": "tomorrow"}, "bad_date", None),
            ({"timezone": "Mars/Olympus"}, "bad_timezone", "This time zone is unknown."),
            (
                {"recurrence": {"freq": "daily", "count": 100000}},
                "too_many_occurrences",
                "An event may repeat between 1 and 730 times.",
            ),
            (
                {"recurrence": {"freq": "weekly", "until": "2090-01-01"}},
                "too_many_occurrences",
                None,
            ),
            ({"recurrence": {"freq": "daily", "interval": 0}}, "bad_recurrence", None),
            ({"recurrence": {"freq": "daily", "until": "2030-01-01"}}, "bad_recurrence", None),
            ({"recurrence": {"freq": "hourly"}}, "invalid", None),
            ({"start": "9999-12-31T10:00", "end": "9999-12-31T11:00"}, "bad_date", None),
            ({"provider": "zoom"}, "bad_provider", "This videoconference service is not offered."),
            ({"attendees": [{"email": "not an address"}]}, "invalid", None),
        ]
        for change, code, message in cases:
            response = await ada.post("/api/v1/events", json={**EVENT, **change}, headers=headers)
            assert response.status_code == 422, (change, response.text)
            assert response.json()["code"] == code, (change, response.json())
            if message:
                assert response.json()["detail"] == message
        # Linus may not attach a link Ada made to his own event.
        link = await ada.post("/api/v1/calendar/conferences", json={"title": "x"}, headers=headers)
        assert link.status_code == 201
        stolen = await linus.post(
            "/api/v1/events",
            json={**EVENT, "add_conference": False, "conference_id": link.json()["id"]},
            headers=linus_headers,
        )
        assert stolen.status_code == 422 and stolen.json()["code"] == "bad_conference"
        no_csrf = await ada.post("/api/v1/events", json=EVENT)
        assert no_csrf.status_code == 403
        wide = await ada.get("/api/v1/events?start=2030-01-01&end=2032-01-01")
        assert wide.status_code == 422 and wide.json()["code"] == "window_too_wide"
        async with app.state.runtime.database() as db:
            assert await db.scalar(select(func.count()).select_from(CalendarEvent)) == 0
            assert await db.scalar(select(func.count()).select_from(OutgoingEmail)) == 0
            assert await db.scalar(select(func.count()).select_from(User)) == 3
    finally:
        await ada.aclose()
        await linus.aclose()


async def test_a_failing_provider_is_explained_and_the_event_still_saved(
    app: FastAPI, mailbox: Mailbox
) -> None:
    await _people(app)
    async with app.state.runtime.database() as db:
        # A configuration whose provider is not installed (a package removed, say).
        broken = ProviderConfig(kind="gone", name="Old system", enabled=True, config={}, secrets={})
        db.add(broken)
        await db.commit()
        await calendar_site.save(
            db=db,
            site=calendar_site.CalendarSite(
                offer_parley=False, provider_ids=[broken.id], resource="visio@example.org"
            ),
        )
    ada, headers = await client_for(app, "ada@example.org")
    try:
        offered = (await ada.get("/api/v1/calendar/providers")).json()
        assert offered == [{"key": str(broken.id), "name": "Old system"}]
        refused = await ada.post(
            "/api/v1/calendar/conferences", json={"title": "x"}, headers=headers
        )
        assert refused.status_code == 502
        assert refused.json()["detail"] == "The provider gone of Old system is not installed."
        # Asked for explicitly, the failure stops the save; asked by the resource, it does not.
        asked = await ada.post("/api/v1/events", json=EVENT, headers=headers)
        assert asked.status_code == 502
        phone = {**EVENT, "add_conference": False, "attendees": [{"email": "visio@example.org"}]}
        saved = await ada.post("/api/v1/events", json=phone, headers=headers)
        assert saved.status_code == 201
        assert saved.json()["conference"] is None
        assert (
            saved.json()["conference_error"] == "The provider gone of Old system is not installed."
        )
        async with app.state.runtime.database() as db:
            assert await db.scalar(select(func.count()).select_from(CalendarEvent)) == 1
    finally:
        await ada.aclose()
