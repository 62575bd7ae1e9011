"""Jitsi Meet against a fake that checks tokens as prosody does."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from pydantic import SecretStr

from parley.providers.base import MeetingSpec, Person, ProviderError
from parley.providers.http import create_client
from parley.providers.jitsi import JitsiConfig, JitsiProvider
from tests.providers.conftest import TIMEOUT_SECONDS, Fakes
from tests.providers.helpers import bare_context

pytestmark = pytest.mark.anyio

ADA = Person(id="7", name="Ada Lovelace", email="ada@example.org", role="moderator")
GUEST = Person(id="guest-3f2a", name="Grace", role="participant", guest=True)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with create_client(timeout_seconds=TIMEOUT_SECONDS) as client:
        yield client


def _provider(http: httpx.AsyncClient, fakes: Fakes, **config: Any) -> JitsiProvider:
    settings = JitsiConfig(server_url=fakes.jitsi_url, subject="meet.example.org", **config)
    return JitsiProvider(
        config_id=1, name="School Jitsi", config=settings, context=bare_context(http)
    )


def _with_tokens(fakes: Fakes) -> dict[str, Any]:
    fakes.jitsi.app_id, fakes.jitsi.app_secret = "parley", "a shared jitsi secret of 32+ bytes"
    return {"app_id": "parley", "app_secret": SecretStr("a shared jitsi secret of 32+ bytes")}


def _claims(url: str) -> dict[str, Any]:
    token = parse_qs(urlsplit(url).query)["jwt"][0]
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


async def test_each_person_gets_a_token_the_server_accepts(
    http: httpx.AsyncClient, fakes: Fakes
) -> None:
    provider = _provider(http, fakes, **_with_tokens(fakes))
    meeting = await provider.create_meeting(MeetingSpec(reference="event:12", title="Physics"))
    room = meeting.external_id
    assert meeting.join_url == f"{fakes.jitsi_url}/{room}" and room.startswith("parley-")
    assert len(room) >= len("parley-") + 26  # 128 random bits, not guessable

    moderator_url = await provider.join_url(meeting, ADA)
    guest_url = await provider.join_url(meeting, GUEST)
    assert (await http.get(moderator_url)).text.endswith("Ada Lovelace (moderator)</p>")
    assert (await http.get(guest_url)).text.endswith("Grace (participant)</p>")

    claims = _claims(moderator_url)
    now = time.time()
    assert claims["iss"] == "parley" and claims["aud"] == "jitsi"
    assert claims["sub"] == "meet.example.org" and claims["room"] == room
    assert claims["nbf"] <= now < claims["exp"] <= now + 120 * 60 + 5
    assert claims["context"]["user"] == {
        "id": "7",
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "moderator": "true",
        "affiliation": "owner",
    }
    assert _claims(guest_url)["context"]["user"]["moderator"] == "false"


async def test_tokens_decode_with_pyjwt(http: httpx.AsyncClient, fakes: Fakes) -> None:
    provider = _provider(http, fakes, **_with_tokens(fakes))
    meeting = await provider.create_meeting(MeetingSpec(reference="room:4", title="Maths"))
    token = parse_qs(urlsplit(await provider.join_url(meeting, ADA)).query)["jwt"][0]
    claims = jwt.decode(
        token,
        "a shared jitsi secret of 32+ bytes",
        algorithms=["HS256"],
        audience="jitsi",
        issuer="parley",
        options={"require": ["exp", "nbf", "iss", "aud", "sub", "room"]},
    )
    assert claims["room"] == meeting.external_id
    assert claims["context"]["user"]["name"] == "Ada Lovelace"
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}


def _signing(http: httpx.AsyncClient, server_url: str, subject: str = "") -> JitsiProvider:
    config = JitsiConfig(
        server_url=server_url,
        subject=subject,
        app_id="parley",
        app_secret=SecretStr("a shared jitsi secret of 32+ bytes"),
    )
    return JitsiProvider(config_id=1, name="Jitsi", config=config, context=bare_context(http))


def _decoded(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token, "a shared jitsi secret of 32+ bytes", algorithms=["HS256"], audience="jitsi"
    )
    return claims


@pytest.mark.parametrize(
    ("person", "moderator", "affiliation"),
    [(ADA, "true", "owner"), (GUEST, "false", "member")],
)
async def test_every_user_field_of_the_token_is_a_string(
    http: httpx.AsyncClient, person: Person, moderator: str, affiliation: str
) -> None:
    provider = _signing(http, "https://meet.example.org")
    user = _decoded(provider.token("parley-room", person))["context"]["user"]
    assert user["moderator"] == moderator and user["affiliation"] == affiliation
    assert all(isinstance(value, str) for value in user.values()), user


@pytest.mark.parametrize(
    ("server_url", "subject", "sub"),
    [
        ("https://meet.example.org", "", "meet.example.org"),
        ("https://meet.example.org/acme", "", "acme"),
        ("https://meet.example.org/acme/", "", "acme"),
        ("https://meet.example.org/acme", "other.example.org", "other.example.org"),
    ],
)
async def test_the_default_subject_is_the_tenant_else_the_host_name(
    http: httpx.AsyncClient, server_url: str, subject: str, sub: str
) -> None:
    provider = _signing(http, server_url, subject)
    assert _decoded(provider.token("parley-room", ADA))["sub"] == sub


async def test_a_tenant_server_gets_tenant_links_and_accepts_their_tokens(
    http: httpx.AsyncClient, fakes: Fakes
) -> None:
    config = JitsiConfig(server_url=f"{fakes.jitsi_url}/acme/", **_with_tokens(fakes))
    provider = JitsiProvider(config_id=1, name="Acme", config=config, context=bare_context(http))
    meeting = await provider.create_meeting(MeetingSpec(reference="room:9", title="Acme"))
    room = meeting.external_id
    assert meeting.join_url == f"{fakes.jitsi_url}/acme/{room}"

    url = await provider.join_url(meeting, ADA)
    assert url.startswith(f"{fakes.jitsi_url}/acme/{room}?jwt=")
    answer = await http.get(url)
    assert answer.status_code == 200 and answer.text.endswith("Ada Lovelace (moderator)</p>")
    assert fakes.jitsi.joins[-1]["tenant"] == "acme" and fakes.jitsi.joins[-1]["room"] == room
    assert _decoded(parse_qs(urlsplit(url).query)["jwt"][0])["sub"] == "acme"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"app_secret": "another secret"}, "bad signature"),
        ({"audiences": {"other"}}, "audience not accepted"),
        ({"domain": "other.example.org"}, "subject does not match the domain"),
    ],
)
async def test_the_server_refuses_a_token_it_should_refuse(
    http: httpx.AsyncClient, fakes: Fakes, change: dict[str, Any], reason: str
) -> None:
    provider = _provider(http, fakes, **_with_tokens(fakes))
    meeting = await provider.create_meeting(MeetingSpec(reference="room:4", title="Maths"))
    url = await provider.join_url(meeting, ADA)
    for key, value in change.items():
        setattr(fakes.jitsi, key, value)
    refused = await http.get(url)
    assert refused.status_code == 401 and reason in refused.text


async def test_an_old_token_or_another_rooms_token_is_refused(
    http: httpx.AsyncClient, fakes: Fakes
) -> None:
    provider = _provider(http, fakes, **_with_tokens(fakes))
    first = await provider.create_meeting(MeetingSpec(reference="room:1", title="One"))
    second = await provider.create_meeting(MeetingSpec(reference="room:2", title="Two"))
    assert first.external_id != second.external_id
    old = provider.token(first.external_id, ADA, now=time.time() - 3 * 3600)
    assert "token expired" in (await http.get(f"{first.join_url}?jwt={old}")).text
    other = provider.token(second.external_id, ADA)
    assert "another room" in (await http.get(f"{first.join_url}?jwt={other}")).text


async def test_without_tokens_the_name_travels_in_the_fragment(
    http: httpx.AsyncClient, fakes: Fakes
) -> None:
    provider = _provider(http, fakes)
    meeting = await provider.create_meeting(MeetingSpec(reference="room:1", title="One"))
    url = await provider.join_url(meeting, ADA)
    assert url == f"{meeting.join_url}#userInfo.displayName=%22Ada%20Lovelace%22"
    assert "jwt" not in url
    assert (await http.get(url)).status_code == 200


def test_an_app_id_without_its_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="application id needs its application secret"):
        JitsiConfig(app_id="parley")


async def test_connection_test_and_what_jitsi_cannot_do(
    http: httpx.AsyncClient, fakes: Fakes
) -> None:
    provider = _provider(http, fakes, **_with_tokens(fakes))
    check = await provider.test_connection()
    assert "signed token" in check.message
    meeting = await provider.create_meeting(MeetingSpec(reference="room:1", title="One"))
    assert await provider.is_running(meeting) is None
    with pytest.raises(ProviderError) as ended:
        await provider.end_meeting(meeting)
    assert ended.value.code == "provider_unsupported"


@pytest.mark.parametrize(
    ("mode", "code", "words"),
    [
        ("garbage", "provider_bad_answer", "does not understand"),
        ("error500", "provider_refused", "error 502"),
    ],
)
async def test_a_server_that_is_not_jitsi_is_reported(
    http: httpx.AsyncClient, fakes: Fakes, mode: str, code: str, words: str
) -> None:
    fakes.jitsi.mode = mode
    with pytest.raises(ProviderError) as failure:
        await _provider(http, fakes).test_connection()
    assert failure.value.code == code
    assert words in failure.value.message % failure.value.params


async def test_an_unreachable_server_is_reported(http: httpx.AsyncClient) -> None:
    config = JitsiConfig(server_url="http://127.0.0.1:9")
    provider = JitsiProvider(config_id=1, name="Jitsi", config=config, context=bare_context(http))
    with pytest.raises(ProviderError) as failure:
        await provider.test_connection()
    assert failure.value.code == "provider_unreachable"
    assert failure.value.message % failure.value.params == (
        "Jitsi could not be reached. Check its address."
    )
