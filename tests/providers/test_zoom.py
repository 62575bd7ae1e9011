"""Zoom: connecting an account (OAuth, PKCE), tokens, meetings and webhooks, on both backends."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from parley.providers import service as providers
from parley.providers.base import MeetingSettings, MeetingSpec, Person, ProviderError
from parley.providers.service import ProviderRuntime
from parley.providers.zoom import ZoomProvider
from tests.providers.conftest import Fakes
from tests.providers.fakes.zoom import sign_webhook
from tests.providers.helpers import Browser, logged_in

pytestmark = pytest.mark.anyio

WEBHOOK_SECRET = "zoom-webhook-secret-token"
SPEC = MeetingSpec(
    reference="event:40",
    title="Quarterly review",
    start=datetime(2026, 12, 3, 15, 30, tzinfo=UTC),
    duration_minutes=45,
    timezone="Europe/Paris",
    settings=MeetingSettings(mute_on_start=True, guest_policy="ask_moderator"),
)


def _form(fakes: Fakes, **changes: str) -> dict[str, str]:
    return {
        "name": "Zoom of the sales team",
        "client_id": fakes.zoom.client_id,
        "client_secret": fakes.zoom.client_secret,
        "webhook_secret": WEBHOOK_SECRET,
        "oauth_url": fakes.zoom_oauth,
        "api_url": fakes.zoom_api,
        **changes,
    }


async def _add(admin: Browser, fakes: Fakes) -> int:
    response = await admin.post("/admin/providers/new?kind=zoom", _form(fakes))
    assert response.status_code == 303, response.text
    return int(re.findall(r"\d+", response.headers["location"])[0])


async def _consent(fakes: Fakes, authorize_url: str) -> str:
    """What the administrator does on Zoom's page: press Allow; return where Zoom sends them."""
    async with httpx.AsyncClient() as zoom_browser:
        page = await zoom_browser.get(authorize_url)
        assert page.status_code == 200, page.text
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
        consent = await zoom_browser.post(
            authorize_url.split("?")[0].replace("/authorize", "/consent"),
            data={k: unescape(v) for k, v in fields.items()},
        )
    assert consent.status_code == 302
    return consent.headers["location"]


async def _connect(admin: Browser, fakes: Fakes, config_id: int) -> httpx.Response:
    start = await admin.get(f"/admin/providers/{config_id}/connect")
    assert start.status_code == 303
    back = await _consent(fakes, start.headers["location"])
    assert back.startswith(f"http://testserver/admin/providers/{config_id}/oauth/callback?")
    return await admin.get(back.removeprefix("http://testserver"))


async def _connected(app: FastAPI, db: AsyncSession, fakes: Fakes) -> tuple[Browser, int]:
    admin = await logged_in(app, db, admin=True)
    config_id = await _add(admin, fakes)
    done = await _connect(admin, fakes, config_id)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=connected")
    return admin, config_id


async def _provider(runtime: ProviderRuntime, db: AsyncSession, config_id: int) -> ZoomProvider:
    row = await providers.get(db=db, config_id=config_id)
    assert row is not None
    provider = runtime.instance(row)
    assert isinstance(provider, ZoomProvider)
    return provider


async def test_connect_zoom_with_pkce_and_see_the_account(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes
) -> None:
    admin = await logged_in(app, db_session, admin=True)
    config_id = await _add(admin, fakes)
    page = await admin.get(f"/admin/providers/{config_id}")
    assert "Connect Zoom" in page.text and "No account connected yet." in page.text
    assert f"http://testserver/admin/providers/{config_id}/oauth/callback" in page.text
    assert f"http://testserver/api/v1/providers/{config_id}/webhook" in page.text

    start = await admin.get(f"/admin/providers/{config_id}/connect")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["state"][0]) >= 32
    back = await _consent(fakes, start.headers["location"])
    done = await admin.get(back.removeprefix("http://testserver"))
    assert done.headers["location"] == f"/admin/providers/{config_id}?done=connected"

    # The fake checked the client credentials and that S256(code_verifier) is the challenge.
    exchange = fakes.zoom.token_requests[-1]
    assert exchange["grant_type"] == "authorization_code"
    challenge = hashlib.sha256(exchange["code_verifier"].encode()).digest()
    assert query["code_challenge"][0] == base64.urlsafe_b64encode(challenge).rstrip(b"=").decode()

    page = await admin.get(f"/admin/providers/{config_id}?done=connected")
    assert "Account connected." in page.text
    assert 'id="connected-account">host@zoom.example<' in page.text
    tested = await admin.post(f"/admin/providers/{config_id}/test")
    assert "Zoom answered; connected as host@zoom.example." in tested.text

    # Tokens are stored encrypted, never in clear.
    grant = fakes.zoom.grants[0]
    raw = (
        await db_session.execute(
            text("SELECT access_token, refresh_token FROM provider_configs WHERE id = :id"),
            {"id": config_id},
        )
    ).one()
    assert raw.refresh_token.startswith("v1.") and grant.refresh_token not in str(tuple(raw))
    assert not any(token in str(tuple(raw)) for token in grant.access_tokens)
    assert fakes.zoom.client_secret not in page.text + tested.text


async def test_a_callback_that_did_not_start_here_is_refused(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes
) -> None:
    admin = await logged_in(app, db_session, admin=True)
    config_id = await _add(admin, fakes)
    start = await admin.get(f"/admin/providers/{config_id}/connect")
    back = await _consent(fakes, start.headers["location"])
    forged = re.sub(r"state=[^&]+", "state=forged", back)
    refused = await admin.get(forged.removeprefix("http://testserver"))
    assert refused.status_code == 400
    assert "did not start here" in refused.text
    assert fakes.zoom.token_requests == []  # the code was never traded

    other = await logged_in(app, db_session, admin=True)  # no flow cookie at all
    refused = await other.get(back.removeprefix("http://testserver"))
    assert refused.status_code == 400 and fakes.zoom.token_requests == []

    cancelled = await admin.get(
        f"/admin/providers/{config_id}/oauth/callback?error=access_denied&state=x"
    )
    assert "The connection was cancelled" in cancelled.text


async def test_a_wrong_code_verifier_is_refused_by_zoom(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes, runtime: ProviderRuntime
) -> None:
    admin = await logged_in(app, db_session, admin=True)
    config_id = await _add(admin, fakes)
    start = await admin.get(f"/admin/providers/{config_id}/connect")
    back = await _consent(fakes, start.headers["location"])
    code = parse_qs(urlsplit(back).query)["code"][0]
    provider = await _provider(runtime, db_session, config_id)
    with pytest.raises(ProviderError) as refused:
        await provider.connect(
            code=code,
            code_verifier="not-the-verifier-" + "x" * 40,
            redirect_uri=f"http://testserver/admin/providers/{config_id}/oauth/callback",
        )
    assert refused.value.code == "provider_not_connected"
    assert fakes.zoom.grants == []


async def test_meetings_are_created_updated_joined_ended_and_deleted(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes, runtime: ProviderRuntime
) -> None:
    _admin, config_id = await _connected(app, db_session, fakes)
    provider = await _provider(runtime, db_session, config_id)
    meeting = await provider.create_meeting(SPEC)
    made = fakes.zoom.meetings[int(meeting.external_id)]
    assert made["topic"] == "Quarterly review" and made["type"] == 2
    assert made["start_time"] == "2026-12-03T15:30:00Z" and made["duration"] == 45
    assert made["timezone"] == "Europe/Paris"
    assert made["settings"]["mute_upon_entry"] is True and made["settings"]["waiting_room"] is True
    assert meeting.join_url == made["join_url"] and meeting.host_url is None

    host = await provider.join_url(meeting, Person(id="1", name="Ada", role="moderator"))
    assert host.startswith(f"https://zoom.example/s/{meeting.external_id}?zak=")
    guest = await provider.join_url(meeting, Person(id="g", name="Bob", guest=True))
    assert guest == made["join_url"]

    later = MeetingSpec(
        reference="event:40", title="Quarterly review (moved)", start=SPEC.start + timedelta(days=1)
    )
    assert await provider.update_meeting(meeting, later) == meeting
    assert made["topic"] == "Quarterly review (moved)"
    assert made["start_time"] == "2026-12-04T15:30:00Z"
    assert await provider.is_running(meeting) is False
    await provider.end_meeting(meeting)
    assert made["status"] == "finished"

    await provider.delete_meeting(meeting)
    assert int(meeting.external_id) not in fakes.zoom.meetings
    await provider.delete_meeting(meeting)  # already gone: nothing to do
    again = await provider.update_meeting(meeting, later)
    assert again.external_id != meeting.external_id  # deleted in Zoom: made anew
    room = await provider.create_meeting(MeetingSpec(reference="room:3", title="Team room"))
    assert fakes.zoom.meetings[int(room.external_id)]["type"] == 3


async def test_expired_tokens_are_refreshed_and_the_new_refresh_token_kept(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes, runtime: ProviderRuntime
) -> None:
    _admin, config_id = await _connected(app, db_session, fakes)
    provider = await _provider(runtime, db_session, config_id)
    first = await runtime.tokens.load(config_id)
    assert first is not None

    # Zoom says the access token expired before Parley expected: refresh once, then go on.
    fakes.zoom.expire_access_tokens()
    await asyncio.gather(provider.create_meeting(SPEC), provider.create_meeting(SPEC))
    second = await runtime.tokens.load(config_id)
    assert second is not None and second.refresh_token != first.refresh_token
    assert fakes.zoom.used_refresh_tokens == [first.refresh_token]  # one refresh for both

    # The old refresh token no longer works at Zoom; the stored one does.
    async with httpx.AsyncClient() as http:
        old = await http.post(
            f"{fakes.zoom_oauth}/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": first.refresh_token},
            auth=(fakes.zoom.client_id, fakes.zoom.client_secret),
        )
    assert old.status_code == 400

    # Near its expiry, Parley refreshes before calling.
    await db_session.execute(
        text("UPDATE provider_configs SET token_expires_at = :at WHERE id = :id"),
        {"at": datetime.now(UTC) + timedelta(seconds=30), "id": config_id},
    )
    await db_session.commit()
    await provider.is_running(await provider.create_meeting(SPEC))
    third = await runtime.tokens.load(config_id)
    assert third is not None and fakes.zoom.used_refresh_tokens == [
        first.refresh_token,
        second.refresh_token,
    ]
    assert third.expires_at > datetime.now(UTC) + timedelta(minutes=50)


async def test_a_revoked_authorization_says_connect_again(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes, runtime: ProviderRuntime
) -> None:
    admin, config_id = await _connected(app, db_session, fakes)
    for grant in fakes.zoom.grants:
        grant.revoked = True
    provider = await _provider(runtime, db_session, config_id)
    with pytest.raises(ProviderError) as failure:
        await provider.create_meeting(SPEC)
    assert failure.value.code == "provider_not_connected"
    tested = await admin.post(f"/admin/providers/{config_id}/test")
    assert tested.status_code == 200 and "connect Zoom again" in tested.text


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("garbage", "does not understand"),
        ("timeout", "did not answer in time"),
        ("error500", "refused"),
    ],
)
async def test_a_misbehaving_zoom_gives_a_clear_error(
    app: FastAPI,
    db_session: AsyncSession,
    fakes: Fakes,
    runtime: ProviderRuntime,
    mode: str,
    words: str,
) -> None:
    admin, config_id = await _connected(app, db_session, fakes)
    fakes.zoom.mode = mode
    provider = await _provider(runtime, db_session, config_id)
    with pytest.raises(ProviderError) as failure:
        await provider.create_meeting(SPEC)
    assert words in failure.value.message % failure.value.params
    tested = await admin.post(f"/admin/providers/{config_id}/test")
    assert tested.status_code == 200 and "Connection failed." in tested.text


async def test_disconnect_revokes_and_forgets(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes
) -> None:
    admin, config_id = await _connected(app, db_session, fakes)
    done = await admin.post(f"/admin/providers/{config_id}/disconnect")
    assert done.headers["location"] == f"/admin/providers/{config_id}?done=disconnected"
    assert not fakes.zoom.connected()
    row = (
        await db_session.execute(
            text("SELECT access_token, refresh_token, account_email FROM provider_configs")
        )
    ).one()
    assert tuple(row) == (None, None, None)
    page = await admin.get(f"/admin/providers/{config_id}")
    assert "Connect Zoom" in page.text and "host@zoom.example" not in page.text


async def test_disconnect_when_zoom_does_not_answer_still_forgets(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes
) -> None:
    admin, config_id = await _connected(app, db_session, fakes)
    fakes.zoom.mode = "timeout"
    page = await admin.post(f"/admin/providers/{config_id}/disconnect")
    assert page.status_code == 200
    assert "Parley forgot its tokens, but could not revoke them" in page.text
    assert "Connect Zoom" in page.text
    assert (
        await providers.DbTokenStore(
            app.state.runtime.database, app.state.runtime.providers.box
        ).load(config_id)
        is None
    )


def _event(name: str, payload: dict[str, Any]) -> bytes:
    return json.dumps({"event": name, "event_ts": 1700000000000, "payload": payload}).encode()


async def test_webhook_checks_signatures_validates_and_deauthorizes(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes, client: httpx.AsyncClient
) -> None:
    admin, config_id = await _connected(app, db_session, fakes)
    url = f"/api/v1/providers/{config_id}/webhook"

    challenge = _event("endpoint.url_validation", {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"})
    answer = await client.post(
        url, content=challenge, headers=sign_webhook(WEBHOOK_SECRET, challenge)
    )
    assert answer.status_code == 200
    expected = hmac.new(WEBHOOK_SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256)
    assert answer.json() == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": expected.hexdigest(),
    }

    deauthorize = _event(
        "app_deauthorized",
        {
            "account_id": "EabCDEFghiLHMA",
            "user_id": fakes.zoom.user["id"],
            "signature": "827edc3452044f0bc86bdd5684afb7d1e6becfa1a767f24df1b287853cf73000",
            "deauthorization_time": "2019-06-17T13:52:28.632Z",
            "client_id": fakes.zoom.client_id,
        },
    )
    # Refused: another secret, an old timestamp, no signature at all.
    for headers in (
        sign_webhook("not the secret", deauthorize),
        sign_webhook(WEBHOOK_SECRET, deauthorize, timestamp=1_600_000_000),
        {"content-type": "application/json"},
    ):
        refused = await client.post(url, content=deauthorize, headers=headers)
        assert refused.status_code == 401
    assert "host@zoom.example" in (await admin.get(f"/admin/providers/{config_id}")).text

    # Another Zoom user removing the same app does not disconnect this account.
    someone_else = deauthorize.replace(fakes.zoom.user["id"].encode(), b"another-user")
    done = await client.post(
        url, content=someone_else, headers=sign_webhook(WEBHOOK_SECRET, someone_else)
    )
    assert done.status_code == 200
    assert "host@zoom.example" in (await admin.get(f"/admin/providers/{config_id}")).text

    done = await client.post(
        url, content=deauthorize, headers=sign_webhook(WEBHOOK_SECRET, deauthorize)
    )
    assert done.status_code == 200
    page = await admin.get(f"/admin/providers/{config_id}")
    assert "host@zoom.example" not in page.text and "Connect Zoom" in page.text

    missing = await client.post("/api/v1/providers/999/webhook", content=deauthorize)
    assert missing.status_code == 404
