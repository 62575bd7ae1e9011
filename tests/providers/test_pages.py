"""The administration pages of providers, through HTTP as a browser sends them, on both backends."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from parley.providers import service as providers
from parley.providers.crypto import SecretBox
from tests.providers.conftest import Fakes
from tests.providers.helpers import Browser, logged_in

pytestmark = pytest.mark.anyio


def _bbb_form(fakes: Fakes, **changes: str) -> dict[str, str]:
    return {
        "name": "Campus BBB",
        "api_url": f"{fakes.url}/bbb/bigbluebutton/",
        "secret": fakes.bbb.secret,
        "checksum": "sha256",
        **changes,
    }


async def _add_bbb(admin: Browser, fakes: Fakes, **changes: str) -> int:
    response = await admin.post("/admin/providers/new?kind=bbb", _bbb_form(fakes, **changes))
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/admin/providers/(\d+)\?done=created", response.headers["location"])
    assert match
    return int(match.group(1))


async def test_an_administrator_adds_tests_and_sees_a_provider(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes
) -> None:
    admin = await logged_in(app, db_session, admin=True)
    listing = await admin.get("/admin/providers")
    assert listing.status_code == 200
    for label in ("Add Parley rooms", "Add Jitsi Meet", "Add BigBlueButton", "Add Zoom"):
        assert label in listing.text
    form = await admin.get("/admin/providers/new?kind=bbb")
    assert 'name="secret"' in form.text and "Checksum algorithm" in form.text

    config_id = await _add_bbb(admin, fakes)
    page = await admin.get(f"/admin/providers/{config_id}?done=created")
    assert "Press Test connection to check it." in page.text

    tested = await admin.post(f"/admin/providers/{config_id}/test")
    assert tested.status_code == 200
    assert "Connection works." in tested.text and "Meetings running now: 0." in tested.text
    listing = await admin.get("/admin/providers")
    assert "Campus BBB" in listing.text and "✓ Works" in listing.text


async def test_secrets_are_encrypted_in_the_database_and_never_shown(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes
) -> None:
    admin = await logged_in(app, db_session, admin=True)
    config_id = await _add_bbb(admin, fakes)
    raw = (
        await db_session.execute(
            text("SELECT config, secrets FROM provider_configs WHERE id = :id"), {"id": config_id}
        )
    ).one()
    assert fakes.bbb.secret not in str(raw.config) + str(raw.secrets)
    assert "/bbb/bigbluebutton/api" in str(raw.config)
    page = await admin.get(f"/admin/providers/{config_id}")
    assert fakes.bbb.secret not in page.text
    assert "Stored: leave empty to keep it" in page.text

    # Saved with the secret left empty: the stored one stays and still works.
    saved = await admin.post(
        f"/admin/providers/{config_id}", _bbb_form(fakes, secret="", name="BBB")
    )
    assert saved.status_code == 303
    tested = await admin.post(f"/admin/providers/{config_id}/test")
    assert "Connection works." in tested.text and fakes.bbb.secret not in tested.text

    # Another secret typed in replaces it (and the fake refuses it).
    await admin.post(f"/admin/providers/{config_id}", _bbb_form(fakes, secret="wrong", name="BBB"))
    tested = await admin.post(f"/admin/providers/{config_id}/test")
    assert "BBB refused Parley&#39;s checksum" in tested.text


async def test_bad_input_is_explained_and_loses_nothing(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes
) -> None:
    admin = await logged_in(app, db_session, admin=True)
    response = await admin.post(
        "/admin/providers/new?kind=bbb",
        _bbb_form(fakes, api_url="ftp://bbb", secret="", checksum="md5", name="Kept name"),
    )
    assert response.status_code == 422
    assert "Enter a web address that starts with https:// (or http://)." in response.text
    assert "This field is required." in response.text  # the secret
    assert "Choose one of the options." in response.text
    assert 'value="Kept name"' in response.text and 'value="ftp://bbb"' in response.text
    assert await providers.list_configs(db=db_session) == []

    jitsi = await admin.post(
        "/admin/providers/new?kind=jitsi",
        {
            "name": "Jitsi",
            "server_url": "https://meet.example.org",
            "app_id": "parley",
            "app_secret": "",
            "audience": "jitsi",
            "subject": "",
            "token_minutes": "2",
            "room_prefix": "Bad-Prefix",
        },
    )
    assert jitsi.status_code == 422
    assert "Enter a whole number in the allowed range." in jitsi.text
    assert "Use lowercase letters and digits only." in jitsi.text
    no_secret = await admin.post(
        "/admin/providers/new?kind=jitsi",
        {"name": "Jitsi", "server_url": "https://meet.example.org", "app_id": "parley"},
    )
    assert no_secret.status_code == 422
    assert "An application id needs its application secret." in no_secret.text

    await _add_bbb(admin, fakes)
    duplicate = await admin.post("/admin/providers/new?kind=bbb", _bbb_form(fakes))
    assert duplicate.status_code == 422
    assert "Another configuration has this name already." in duplicate.text
    assert len(await providers.list_configs(db=db_session)) == 1
    unknown = await admin.get("/admin/providers/new?kind=webex")
    assert unknown.status_code == 404 and "not installed" in unknown.text


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("timeout", "Campus BBB did not answer in time. Try again in a moment."),
        ("garbage", "Campus BBB answered something Parley does not understand."),
        ("error500", "Campus BBB answered with the error 500. Check its address."),
    ],
)
async def test_a_failing_provider_never_breaks_the_page(
    app: FastAPI,
    db_session: AsyncSession,
    fakes: Fakes,
    mode: str,
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = await logged_in(app, db_session, admin=True)
    config_id = await _add_bbb(admin, fakes)
    fakes.bbb.mode = mode
    tested = await admin.post(f"/admin/providers/{config_id}/test")
    assert tested.status_code == 200
    assert "Connection failed." in tested.text and message in tested.text
    assert 'role="alert"' in tested.text
    failure = [r for r in caplog.records if r.getMessage().startswith("provider failed")]
    assert failure and failure[0].provider_config == config_id
    listing = await admin.get("/admin/providers")
    assert "✗ Failed" in listing.text


async def test_pages_speak_french(app: FastAPI, db_session: AsyncSession, fakes: Fakes) -> None:
    admin = await logged_in(app, db_session, admin=True, language="fr")
    config_id = await _add_bbb(admin, fakes)
    fakes.bbb.mode = "garbage"
    tested = await admin.post(f"/admin/providers/{config_id}/test")
    assert tested.status_code == 200 and '<html lang="fr">' in tested.text
    assert "Comptes" in tested.text and "Enregistrer" in tested.text


async def test_enable_disable_and_delete(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes
) -> None:
    admin = await logged_in(app, db_session, admin=True)
    config_id = await _add_bbb(admin, fakes)
    assert [row.id for row in await providers.enabled_configs(db=db_session)] == [config_id]
    response = await admin.post(f"/admin/providers/{config_id}/disable")
    assert response.headers["location"] == "/admin/providers?done=disabled"
    db_session.expire_all()
    assert await providers.enabled_configs(db=db_session) == []
    await admin.post(f"/admin/providers/{config_id}/enable")
    db_session.expire_all()
    assert len(await providers.enabled_configs(db=db_session)) == 1
    deleted = await admin.post(f"/admin/providers/{config_id}/delete")
    assert deleted.headers["location"] == "/admin/providers?done=deleted"
    db_session.expire_all()
    assert await providers.list_configs(db=db_session) == []
    assert (await admin.get(f"/admin/providers/{config_id}")).status_code == 404


async def test_a_changed_app_secret_asks_for_the_secrets_again(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes
) -> None:
    admin = await logged_in(app, db_session, admin=True)
    config_id = await _add_bbb(admin, fakes)
    # As if PARLEY_SECRET_KEY had changed: the stored secret no longer decrypts.
    other = SecretBox("another deployment's secret").encrypt(
        "x", context=f"provider:{config_id}:secret"
    )
    await db_session.execute(
        text("UPDATE provider_configs SET secrets = :s, updated_at = updated_at WHERE id = :id"),
        {"s": f'{{"secret": "{other}"}}', "id": config_id},
    )
    await db_session.commit()
    app.state.runtime.providers.forget(config_id)
    page = await admin.get(f"/admin/providers/{config_id}")
    assert page.status_code == 200 and "cannot be read" in page.text
    tested = await admin.post(f"/admin/providers/{config_id}/test")
    assert tested.status_code == 200 and "Enter them again." in tested.text
    fixed = await admin.post(f"/admin/providers/{config_id}", _bbb_form(fakes))
    assert fixed.status_code == 303
    assert "Connection works." in (await admin.post(f"/admin/providers/{config_id}/test")).text


ROUTES: list[tuple[str, str]] = [
    ("GET", "/admin/providers"),
    ("GET", "/admin/providers/new?kind=bbb"),
    ("POST", "/admin/providers/new?kind=bbb"),
    ("GET", "/admin/providers/{id}"),
    ("POST", "/admin/providers/{id}"),
    ("POST", "/admin/providers/{id}/test"),
    ("POST", "/admin/providers/{id}/disable"),
    ("POST", "/admin/providers/{id}/delete"),
    ("GET", "/admin/providers/{id}/connect"),
    ("GET", "/admin/providers/{id}/oauth/callback?code=x&state=y"),
    ("POST", "/admin/providers/{id}/disconnect"),
]


async def test_only_administrators_reach_the_pages(
    app: FastAPI, db_session: AsyncSession, fakes: Fakes
) -> None:
    admin = await logged_in(app, db_session, admin=True)
    config_id = await _add_bbb(admin, fakes)
    member = await logged_in(app, db_session, admin=False)
    anonymous = Browser(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    )
    await anonymous.get("/login")
    for method, route in ROUTES:
        url = route.format(id=config_id)
        sent: Any = _bbb_form(fakes, name="Taken over")
        for who, expected in ((member, 403), (anonymous, 303)):
            response = await (who.get(url) if method == "GET" else who.post(url, sent))
            assert response.status_code == expected, (method, url, response.status_code)
            if expected == 303:
                assert response.headers["location"].startswith("/login?next=")
    db_session.expire_all()
    rows = await providers.list_configs(db=db_session)
    assert [(row.name, row.enabled) for row in rows] == [("Campus BBB", True)]
    assert rows[0].last_test_at is None
