"""The BigBlueButton-compatible API against a running Parley: checksums, answers, refusals."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, quote_plus
from xml.etree import ElementTree

import httpx
import pytest

from tests.bbb.helpers import Api, failed, fields, new_id, start
from tests.browser.people import make_member
from tests.meetings.client import log_in

# A name with what clients must encode: spaces, accents, &, +, *, ~ and an emoji.
AWKWARD = "Réunion d'équipe & co + 1 * 2 ~ ok 🎉"
ALGORITHMS = ["sha1", "sha256", "sha384", "sha512"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("quote_via", [quote, quote_plus], ids=["percent", "plus"])
def test_each_algorithm_and_encoding_is_accepted(
    api: Api, algorithm: str, quote_via: Callable[..., str]
) -> None:
    meeting_id = f"{new_id()} ~*+&é"
    kwargs = {"algorithm": algorithm, "quote_via": quote_via}
    created = fields(api.call("create", [("meetingID", meeting_id), ("name", AWKWARD)], **kwargs))
    assert created["returncode"] == "SUCCESS", created
    assert created["meetingID"] == meeting_id
    info = fields(api.call("getMeetingInfo", [("meetingID", meeting_id)], **kwargs))
    assert info["meetingName"] == AWKWARD
    assert info["meetingID"] == meeting_id


def test_a_wrong_checksum_is_refused_and_changes_nothing(api: Api) -> None:
    meeting_id = new_id()
    params = [("meetingID", meeting_id), ("name", "Never")]
    failed(api.call("create", params, secret="not-the-secret"), "checksumError")
    url = api.url("create", params).replace("name=Never", "name=Other")
    failed(api.call_url(url), "checksumError")
    no_checksum = url.split("&checksum=")[0]
    failed(api.call_url(no_checksum), "checksumError")
    failed(api.call("getMeetingInfo", [("meetingID", meeting_id)]), "notFound")


def test_a_checksum_of_another_length_is_refused(api: Api) -> None:
    url = api.url("getMeetings", [], algorithm="md5")
    failed(api.call_url(url), "checksumError")


def test_unknown_call(api: Api) -> None:
    failed(api.call("makeCoffee", [("meetingID", new_id())]), "unsupportedRequest")


@pytest.mark.parametrize("call", ["create", "join", "getMeetingInfo", "isMeetingRunning", "end"])
def test_missing_meeting_id(api: Api, call: str) -> None:
    failed(api.call(call, [("fullName", "Ada"), ("role", "VIEWER")]), "missingParamMeetingID")


def test_join_of_a_meeting_that_does_not_exist(api: Api) -> None:
    params = [("meetingID", new_id()), ("fullName", "Ada"), ("role", "VIEWER")]
    failed(api.call("join", [*params, ("redirect", "false")]), "notFound")
    response = httpx.get(api.url("join", params), timeout=10)
    assert response.status_code == 200
    assert "notFound" in response.text


def test_join_needs_a_role_or_a_password_and_the_right_create_time(api: Api) -> None:
    meeting_id = new_id()
    created = fields(
        api.call("create", [("meetingID", meeting_id), ("attendeePW", "ap"), ("moderatorPW", "mp")])
    )
    base = [("meetingID", meeting_id), ("fullName", "Bea"), ("redirect", "false")]
    failed(api.call("join", base), "invalidPassword")
    failed(api.call("join", [*base, ("password", "wrong")]), "invalidPassword")
    failed(
        api.call("join", [("meetingID", meeting_id), ("role", "VIEWER")]), "missingParamFullName"
    )
    failed(
        api.call("join", [*base, ("role", "VIEWER"), ("createTime", "12345")]),
        "mismatchCreateTimeParam",
    )
    joined = fields(
        api.call("join", [*base, ("password", "ap"), ("createTime", created["createTime"])])
    )
    assert joined["returncode"] == "SUCCESS"
    assert joined["messageKey"] == "successfullyJoined"
    assert joined["url"].startswith(f"{api.server.url}/bigbluebutton/enter/")


def test_create_is_idempotent_and_refuses_other_passwords(api: Api) -> None:
    meeting_id = new_id()
    params = [
        ("meetingID", meeting_id),
        ("name", "Physics"),
        ("attendeePW", "ap"),
        ("moderatorPW", "mp"),
        ("meta_course", "PHY-101"),
        ("welcome", "Hello"),
        ("maxParticipants", "30"),
    ]
    first = fields(api.call("create", params))
    again = fields(api.call("create", params))
    assert first["returncode"] == again["returncode"] == "SUCCESS"
    assert again["messageKey"] == "duplicateWarning"
    assert again["internalMeetingID"] == first["internalMeetingID"]
    assert again["createTime"] == first["createTime"]
    clash = [(k, "other" if k == "moderatorPW" else v) for k, v in params]
    failed(api.call("create", clash), "idNotUnique")
    info = api.call("getMeetingInfo", [("meetingID", meeting_id)])
    assert info.findtext("metadata/course") == "PHY-101"
    assert info.findtext("maxUsers") == "30"
    assert info.findtext("moderatorPW") == "mp"
    listed = api.call("getMeetings", [])
    assert meeting_id in [m.findtext("meetingID") for m in listed.iter("meeting")]


def test_the_meeting_is_a_room_of_the_api_account(api: Api) -> None:
    """Administrators see the API's own account among the members; it owns the room."""
    meeting_id = new_id()
    fields(api.call("create", [("meetingID", meeting_id), ("name", "Seen by admins")]))
    make_member(api.server, "ada@example.org", "Ada", admin=True)
    with httpx.Client(base_url=api.server.url, timeout=10) as admin:
        log_in(admin)
        users = admin.get("/api/v1/users").json()
    names = {user["email"]: user["display_name"] for user in users}
    assert names["bigbluebutton-api@parley.invalid"] == "BigBlueButton API"


@pytest.mark.parametrize("path", ["/bigbluebutton/api", "/bigbluebutton/api/"])
def test_version(api: Api, path: str) -> None:
    response = httpx.get(f"{api.server.url}{path}", timeout=10)
    answer = fields(ElementTree.fromstring(response.content))  # noqa: S314 - our server's answer
    assert answer["returncode"] == "SUCCESS"
    assert answer["version"] == "2.0"


def test_sha1_refused_when_set(tmp_path: Path) -> None:
    secret = secrets.token_hex(16)
    server = start(tmp_path, PARLEY_BBB_API_SECRET=secret, PARLEY_BBB_API_REFUSE_SHA1="true")
    try:
        api = Api(server, secret)
        failed(api.call("getMeetings", [], algorithm="sha1"), "checksumError")
        assert fields(api.call("getMeetings", [], algorithm="sha256"))["returncode"] == "SUCCESS"
    finally:
        server.stop()


def test_not_served_without_a_secret(tmp_path: Path) -> None:
    server = start(tmp_path)
    try:
        assert httpx.get(f"{server.url}/bigbluebutton/api", timeout=10).status_code == 404
        assert (
            httpx.get(f"{server.url}/bigbluebutton/api/getMeetings", timeout=10).status_code == 404
        )
    finally:
        server.stop()


def test_parameters_in_a_form_body_and_a_document_list_beside_a_signed_url(api: Api) -> None:
    meeting_id = new_id()
    url = api.url("create", [("meetingID", meeting_id), ("name", "Posted")])
    query = url.split("?", 1)[1]
    form = httpx.post(
        f"{api.base}create",
        content=query,
        headers={"content-type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert fields(ElementTree.fromstring(form.content))["returncode"] == "SUCCESS"  # noqa: S314
    modules = (
        "<modules><module name='presentation'>"
        "<document url='http://127.0.0.1:9/slides.pdf' filename='slides.pdf'/>"
        "</module></modules>"
    )
    again = httpx.post(url, content=modules, headers={"content-type": "text/xml"}, timeout=10)
    answer = fields(ElementTree.fromstring(again.content))  # noqa: S314
    assert answer["returncode"] == "SUCCESS"
    assert answer["messageKey"] == "duplicateWarning"
    tampered = httpx.post(
        f"{api.base}create",
        content=query.replace("Posted", "Other"),
        headers={"content-type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    failed(ElementTree.fromstring(tampered.content), "checksumError")  # noqa: S314
