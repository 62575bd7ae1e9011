"""The PyPI `caldav` client against a running Parley: discovery, both ways, ETags, sync."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from caldav.lib import error
from icalendar import Calendar

import caldav
from tests.browser.server import ParleyServer
from tests.caldav.conftest import RESOURCE, Member

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


OPEN: list[caldav.DAVClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def client(server: ParleyServer, member: Member, password: str | None = None) -> caldav.DAVClient:
    made = caldav.DAVClient(
        url=f"{server.url}/.well-known/caldav",
        username=member.email,
        password=password or member.app_password,
    )
    OPEN.append(made)
    return made


def the_calendar(server: ParleyServer, member: Member) -> caldav.Calendar:
    calendars = client(server, member).principal().calendars()
    assert len(calendars) == 1
    return calendars[0]


def ics(uid: str, title: str, start: datetime, *, attendees: tuple[str, ...] = ()) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//caldav//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{datetime.now(UTC):%Y%m%dT%H%M%SZ}",
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
        f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{title}",
        *[f"ATTENDEE;CN=Someone:mailto:{a}" for a in attendees],
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def parley_events(member: Member, start: datetime) -> list[dict[str, object]]:
    """The member's events as Parley's own API lists them (with the session cookie)."""
    answer = member.web.get(
        "/api/v1/events",
        params={
            "start": start.date().isoformat(),
            "end": (start + timedelta(days=2)).date().isoformat(),
        },
    )
    assert answer.status_code == 200, answer.text
    events: list[dict[str, object]] = answer.json()
    return events


def test_discovery_from_the_well_known_address(server: ParleyServer, ada: Member) -> None:
    principal = client(server, ada).principal()
    calendars = principal.calendars()
    assert principal.url.path.startswith("/dav/principals/")
    home = principal.url.path.replace("/principals/", "/calendars/")
    assert [c.url.path for c in calendars] == [f"{home}calendar/"]
    assert calendars[0].get_display_name() == "Parley"


def test_an_event_saved_by_the_client_is_a_parley_event(server: ParleyServer, ada: Member) -> None:
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    uid = f"{uuid.uuid4()}@client"
    the_calendar(server, ada).save_event(ics(uid, "Planning from the phone", start))
    titles = [e["title"] for e in parley_events(ada, start)]
    assert "Planning from the phone" in titles
    read = the_calendar(server, ada).event_by_uid(uid)
    assert Calendar.from_ical(read.data).walk("VEVENT")[0]["SUMMARY"] == "Planning from the phone"


def test_an_event_made_in_parley_reaches_the_client(server: ParleyServer, ada: Member) -> None:
    page = ada.web.get("/profile").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    made = ada.web.post(
        "/api/v1/events",
        json={"title": "Made in Parley", "start": "2027-03-02T10:00", "end": "2027-03-02T11:00"},
        headers={"X-CSRF-Token": csrf},
    )
    assert made.status_code == 201, made.text
    found = the_calendar(server, ada).search(
        start=datetime(2027, 3, 2, tzinfo=UTC), end=datetime(2027, 3, 3, tzinfo=UTC), event=True
    )
    uids = [Calendar.from_ical(e.data).walk("VEVENT")[0]["UID"] for e in found]
    assert made.json()["uid"] in uids
    # The time range is honoured: a day without it finds none of it.
    other = the_calendar(server, ada).search(
        start=datetime(2027, 4, 2, tzinfo=UTC), end=datetime(2027, 4, 3, tzinfo=UTC), event=True
    )
    assert made.json()["uid"] not in [
        Calendar.from_ical(e.data).walk("VEVENT")[0]["UID"] for e in other
    ]


def test_a_stale_etag_is_refused_and_delete_removes(server: ParleyServer, ada: Member) -> None:
    start = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)
    uid = f"{uuid.uuid4()}@client"
    calendar = the_calendar(server, ada)
    event = calendar.save_event(ics(uid, "First title", start))
    event.load()
    url, old_etag = str(event.url), event.props.get("{DAV:}getetag")
    auth = (ada.email, ada.app_password)
    fresh = httpx.get(url, auth=auth)
    assert fresh.headers["etag"]
    changed = httpx.put(
        url,
        content=ics(uid, "Second title", start),
        headers={"If-Match": fresh.headers["etag"], "Content-Type": "text/calendar"},
        auth=auth,
    )
    assert changed.status_code == 204
    stale = httpx.put(
        url,
        content=ics(uid, "Lost update", start),
        headers={"If-Match": fresh.headers["etag"], "Content-Type": "text/calendar"},
        auth=auth,
    )
    assert stale.status_code == 412
    assert "Second title" in httpx.get(url, auth=auth).text
    titles = [e["title"] for e in parley_events(ada, start)]
    assert "Second title" in titles and "Lost update" not in titles
    assert old_etag is None or old_etag != httpx.get(url, auth=auth).headers["etag"]
    refused = httpx.delete(url, headers={"If-Match": fresh.headers["etag"]}, auth=auth)
    assert refused.status_code == 412
    calendar.event_by_uid(uid).delete()
    with pytest.raises(error.NotFoundError):
        calendar.event_by_uid(uid)
    assert "Second title" not in [e["title"] for e in parley_events(ada, start)]


def test_sync_collection_returns_only_what_changed(server: ParleyServer, ada: Member) -> None:
    calendar = the_calendar(server, ada)
    start = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)
    kept = calendar.save_event(ics(f"{uuid.uuid4()}@client", "Stays", start))
    objects = calendar.objects(load_objects=False)
    token = objects.sync_token
    new_uid = f"{uuid.uuid4()}@client"
    calendar.save_event(ics(new_uid, "New one", start + timedelta(hours=2)))
    kept.delete()
    changes = calendar.objects_by_sync_token(sync_token=token, load_objects=True)
    changed = [o for o in changes if o.data]
    assert [Calendar.from_ical(o.data).walk("VEVENT")[0]["UID"] for o in changed] == [new_uid]
    assert [str(o.url) for o in changes if not o.data] == [str(kept.url)]
    # Nothing more happened: the next sync from the new token is empty.
    again = calendar.objects_by_sync_token(sync_token=changes.sync_token, load_objects=True)
    assert list(again) == []


def test_the_resource_attendee_gets_its_link_at_once(server: ParleyServer, ada: Member) -> None:
    calendar = the_calendar(server, ada)
    uid = f"{uuid.uuid4()}@phone"
    start = datetime(2027, 3, 5, 14, 0, tzinfo=UTC)
    calendar.save_event(ics(uid, "Call from the phone", start, attendees=(RESOURCE,)))
    event = Calendar.from_ical(calendar.event_by_uid(uid).data).walk("VEVENT")[0]
    link = str(event["URL"])
    assert link.startswith(server.url)
    assert str(event["LOCATION"]) == link
    assert link in str(event["DESCRIPTION"])
    assert str(event["CONFERENCE"]) == link
    resource = [a for a in event.attendees if str(a).lower() == f"mailto:{RESOURCE}"]
    assert resource and resource[0].params["PARTSTAT"] == "ACCEPTED"
    api = [e for e in parley_events(ada, start) if e["title"] == "Call from the phone"]
    assert api and api[0]["conference_url"] == link


def test_app_passwords_only(server: ParleyServer, ada: Member) -> None:
    from tests.browser.people import PASSWORD
    from tests.caldav.conftest import new_app_password

    with pytest.raises(error.AuthorizationError):
        client(server, ada, password=PASSWORD).principal()
    second = new_app_password(ada.web, "Laptop")
    assert client(server, ada, password=second).principal().calendars()
    page = ada.web.get("/profile").text
    rows = page.split('id="app-passwords"', 1)[1]
    revoke = [part.split('"', 1)[0] for part in rows.split('action="/profile/app-passwords/')[1:]]
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    last = revoke[-1]
    assert (
        ada.web.post(f"/profile/app-passwords/{last}", data={"csrf_token": csrf}).status_code == 200
    )
    answer = httpx.request("PROPFIND", f"{server.url}/dav/", auth=(ada.email, second))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Basic realm=")
    assert client(server, ada).principal().calendars()
