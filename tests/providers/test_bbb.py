"""BigBlueButton against a fake that checks every checksum as the real server does."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from parley.providers.base import MeetingSettings, MeetingSpec, Person, ProviderError
from parley.providers.bbb import BBBClient, BBBConfig, BBBProvider
from parley.providers.http import create_client
from tests.providers.conftest import TIMEOUT_SECONDS, Fakes
from tests.providers.helpers import bare_context

pytestmark = pytest.mark.anyio

ADA = Person(id="7", name="Ada Lovelace", email="ada@example.org", role="moderator")
GRACE = Person(id="guest-1", name="Grace", role="participant", guest=True)
SPEC = MeetingSpec(
    reference="session:31",
    title="Chemistry & co",
    settings=MeetingSettings(
        mute_on_start=True, guest_policy="ask_moderator", lock_public_chat=True
    ),
)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with create_client(timeout_seconds=TIMEOUT_SECONDS) as client:
        yield client


def _provider(
    http: httpx.AsyncClient, fakes: Fakes, *, checksum: str = "sha256", secret: str | None = None
) -> BBBProvider:
    config = BBBConfig(
        api_url=f"{fakes.url}/bbb/bigbluebutton/",
        secret=SecretStr(secret or fakes.bbb.secret),
        checksum=checksum,  # type: ignore[arg-type]
    )
    return BBBProvider(config_id=3, name="Campus BBB", config=config, context=bare_context(http))


def _message(error: ProviderError) -> str:
    return error.message % error.params


def test_the_checksum_is_the_documented_one() -> None:
    # The worked example of the API guide: create, its query string, the secret.
    client = BBBClient(
        httpx.AsyncClient(),
        api_url="x",
        secret="639259d4-9dd8-4b25-bf01-95f9567eaf4b",
        algorithm="sha1",
        provider="BBB",
    )
    query = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
    expected = hashlib.sha1(  # noqa: S324 - BigBlueButton's documented algorithm
        f"create{query}639259d4-9dd8-4b25-bf01-95f9567eaf4b".encode()
    ).hexdigest()
    assert client.checksum("create", query) == expected
    assert client.url("getMeetings", {}).endswith(
        "/getMeetings?checksum="
        + hashlib.sha1(b"getMeetings639259d4-9dd8-4b25-bf01-95f9567eaf4b").hexdigest()  # noqa: S324
    )


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
async def test_create_join_running_and_end_with_each_checksum(
    http: httpx.AsyncClient, fakes: Fakes, algorithm: str
) -> None:
    provider = _provider(http, fakes, checksum=algorithm)
    meeting = await provider.create_meeting(SPEC)
    assert meeting.join_url is None  # people go through Parley, which signs each link
    call, params = fakes.bbb.calls[-1]
    assert call == "create" and params["meetingID"] == meeting.external_id
    # Parley's settings as BigBlueButton's parameters.
    assert params["name"] == "Chemistry & co"
    assert params["muteOnStart"] == "true" and params["guestPolicy"] == "ASK_MODERATOR"
    assert params["lockSettingsDisablePublicChat"] == "true"
    assert params["lockSettingsDisableMic"] == "false"
    assert params["lockSettingsLockOnJoin"] == "true"
    assert params["logoutURL"] == "https://parley.example.org/"
    assert params["meta_parley_reference"] == "session:31"
    assert await provider.is_running(meeting) is False

    url = await provider.join_url(meeting, ADA)
    query = parse_qs(urlsplit(url).query)
    assert query["role"] == ["MODERATOR"] and query["fullName"] == ["Ada Lovelace"]
    assert query["createTime"] == [fakes.bbb.meetings[meeting.external_id].create_time]
    assert len(query["checksum"][0]) == (40 if algorithm == "sha1" else 64)
    joined = await http.get(url)
    assert joined.status_code == 302 and "/client?sessionToken=" in joined.headers["location"]

    guest = parse_qs(urlsplit(await provider.join_url(meeting, GRACE)).query)
    assert guest["role"] == ["VIEWER"] and guest["guest"] == ["true"]
    assert await provider.is_running(meeting) is True
    assert fakes.bbb.meetings[meeting.external_id].attendees[0]["role"] == "MODERATOR"

    await provider.end_meeting(meeting)
    assert meeting.external_id not in fakes.bbb.meetings
    assert await provider.is_running(meeting) is False
    await provider.delete_meeting(meeting)  # gone already: no error


async def test_create_is_idempotent_and_join_recreates_an_ended_meeting(
    http: httpx.AsyncClient, fakes: Fakes
) -> None:
    provider = _provider(http, fakes)
    first = await provider.create_meeting(SPEC)
    again = await provider.create_meeting(SPEC)
    assert first.external_id == again.external_id and fakes.bbb.creates == 1
    assert first.data["create_time"] == again.data["create_time"]
    other = await provider.create_meeting(MeetingSpec(reference="session:32", title="Other"))
    assert other.external_id != first.external_id

    old_link = await provider.join_url(first, ADA)
    await provider.end_meeting(first)
    # The old link was for the meeting that ended; a new join creates it again.
    fakes.bbb.meetings.clear()
    new_link = await provider.join_url(first, ADA)
    assert fakes.bbb.creates == 3
    assert (await http.get(new_link)).status_code == 302
    refused = await http.get(old_link)
    assert refused.status_code == 200 and "mismatchCreateTimeParam" in refused.text


async def test_client_reads_meeting_info_and_the_list(
    http: httpx.AsyncClient, fakes: Fakes
) -> None:
    provider = _provider(http, fakes)
    meeting = await provider.create_meeting(SPEC)
    await http.get(await provider.join_url(meeting, ADA))
    info = await provider.client.get_meeting_info(meeting.external_id)
    assert info.findtext("meetingName") == "Chemistry & co"
    assert info.findtext("participantCount") == "1"
    listed = await provider.client.get_meetings()
    assert [m.findtext("meetingID") for m in listed] == [meeting.external_id]
    check = await provider.test_connection()
    assert check.params == {"count": 1}
    with pytest.raises(ProviderError) as missing:
        await provider.client.get_meeting_info("nope")
    assert missing.value.code == "provider_not_found"


async def test_a_wrong_secret_or_algorithm_is_explained(
    http: httpx.AsyncClient, fakes: Fakes
) -> None:
    with pytest.raises(ProviderError) as wrong:
        await _provider(http, fakes, secret="not the secret").test_connection()
    assert _message(wrong.value) == (
        "Campus BBB refused Parley's checksum: check the shared secret and the checksum algorithm."
    )
    # An older server accepts SHA-1 only.
    fakes.bbb.supported = {"sha1"}
    with pytest.raises(ProviderError):
        await _provider(http, fakes, checksum="sha256").test_connection()
    assert (await _provider(http, fakes, checksum="sha1").test_connection()).params == {"count": 0}


async def test_a_failed_answer_keeps_bbb_s_own_words(http: httpx.AsyncClient, fakes: Fakes) -> None:
    provider = _provider(http, fakes)
    with pytest.raises(ProviderError) as failure:
        await provider.client.create({"meetingID": "x", "muteOnStart": "maybe"})
    assert _message(failure.value) == "Campus BBB refused: muteOnStart must be true or false"


@pytest.mark.parametrize(
    ("mode", "code", "message"),
    [
        (
            "garbage",
            "provider_bad_answer",
            "Campus BBB answered something Parley does not understand.",
        ),
        (
            "error500",
            "provider_refused",
            "Campus BBB answered with the error 500. Check its address.",
        ),
        (
            "timeout",
            "provider_unreachable",
            "Campus BBB did not answer in time. Try again in a moment.",
        ),
    ],
)
async def test_a_misbehaving_server_gives_a_clear_error(
    http: httpx.AsyncClient, fakes: Fakes, mode: str, code: str, message: str
) -> None:
    fakes.bbb.mode = mode
    with pytest.raises(ProviderError) as failure:
        await _provider(http, fakes).create_meeting(SPEC)
    assert failure.value.code == code and _message(failure.value) == message


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><response>&a;</response>',
        b"<response><nothing/></response>",
        b"<other><returncode>SUCCESS</returncode></other>",
    ],
)
def test_xml_that_is_not_an_answer_is_refused(body: bytes) -> None:
    client = BBBClient(httpx.AsyncClient(), api_url="x", secret="s", algorithm="sha1", provider="B")
    with pytest.raises(ProviderError) as failure:
        client._parse(httpx.Response(200, content=body))
    assert failure.value.code == "provider_bad_answer"


def test_the_api_address_is_completed() -> None:
    for given in (
        "https://bbb.example.org/bigbluebutton",
        "https://bbb.example.org/bigbluebutton/api/",
    ):
        config: Any = BBBConfig(api_url=given, secret=SecretStr("s"))
        assert config.api_url == "https://bbb.example.org/bigbluebutton/api"
