"""Bad requests on raw HTTP: a clear 4xx with the CalDAV precondition, nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.browser.server import ParleyServer
from tests.caldav.conftest import Member
from tests.caldav.test_client import ics

_FIRST = ics("one@test", "One", datetime(2027, 5, 1, 9, tzinfo=UTC))
_SECOND = ics("two@test", "Two", datetime(2027, 5, 1, 9, tzinfo=UTC))
# One VCALENDAR holding two VEVENTs with different UIDs.
TWO_UIDS = _FIRST.replace(
    "END:VCALENDAR", _SECOND.split("BEGIN:VEVENT", 1)[1].join(["BEGIN:VEVENT", ""])
)
NO_EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
    "BEGIN:VTODO\r\nUID:t@test\r\nSUMMARY:x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
)


PRINCIPAL_QUERY = (
    b'<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>'
)


def _names(server: ParleyServer, member: Member, user_path: str) -> str:
    answer = httpx.request(
        "PROPFIND",
        f"{server.url}{user_path}",
        headers={"Depth": "1"},
        auth=(member.email, member.app_password),
    )
    assert answer.status_code == 207
    return answer.text.count("<d:response>")


def _calendar_path(server: ParleyServer, member: Member) -> str:
    answer = httpx.request(
        "PROPFIND",
        f"{server.url}/dav/",
        auth=(member.email, member.app_password),
        content=PRINCIPAL_QUERY,
    )
    principal = answer.text.split("<d:href>/dav/principals/")[1].split("/")[0]
    return f"/dav/calendars/{principal}/calendar/"


def test_bad_requests_change_nothing(server: ParleyServer, ada: Member, bob: Member) -> None:
    path = _calendar_path(server, ada)
    auth = (ada.email, ada.app_password)
    before = _names(server, ada, path)
    url = f"{server.url}{path}"
    answer = httpx.request(
        "PROPFIND", url, content=b"<d:propfind xmlns:d='DAV:'><d:prop>", auth=auth
    )
    assert answer.status_code == 400 and "invalid-xml" in answer.text
    answer = httpx.request("PROPFIND", url, headers={"Depth": "infinity"}, auth=auth)
    assert answer.status_code == 403 and "propfind-finite-depth" in answer.text
    headers = {"Content-Type": "text/calendar"}
    answer = httpx.put(url + "two.ics", content=TWO_UIDS, headers=headers, auth=auth)
    assert answer.status_code == 400 and "valid-calendar-object-resource" in answer.text
    answer = httpx.put(url + "todo.ics", content=NO_EVENT, headers=headers, auth=auth)
    assert answer.status_code == 415 and "supported-calendar-component" in answer.text
    answer = httpx.put(
        url + "big.ics", content=b"x" * (10 * 1024 * 1024), headers=headers, auth=auth
    )
    assert answer.status_code == 413
    good = ics("bob-into-ada@test", "Intruder", datetime(2027, 5, 2, 9, tzinfo=UTC))
    answer = httpx.put(
        url + "intruder.ics", content=good, headers=headers, auth=(bob.email, bob.app_password)
    )
    assert answer.status_code == 403
    assert _names(server, ada, path) == before
