"""The room page's settings form, through plain HTTP as a browser posts it."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import log_in, make_user

pytestmark = pytest.mark.anyio


async def test_the_webinar_setting_is_saved_and_shown(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    owner = await make_user(db_session, email="ada@example.org", name="Ada")
    token = await log_in(client, owner.email)
    room = (
        await client.post("/api/v1/rooms", json={"name": "Talks"}, headers={"x-csrf-token": token})
    ).json()
    assert room["webinar"] is False

    page = await client.get(f"/rooms/{room['id']}")
    assert "Webinar" in page.text
    assert "Only moderators and the people they bring on stage are seen and heard." in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    saved = await client.post(
        f"/rooms/{room['id']}/settings",
        data={"webinar": "on", "waiting_room": "off", "csrf_token": csrf.group(1)},
    )
    assert saved.status_code == 200 and "Settings saved." in saved.text
    assert re.search(r'id="f-webinar"[^>]*checked', saved.text)
    assert (await client.get(f"/api/v1/rooms/{room['id']}")).json()["webinar"] is True

    # Unticked, the box turns it off again.
    await client.post(
        f"/rooms/{room['id']}/settings", data={"waiting_room": "off", "csrf_token": csrf.group(1)}
    )
    assert (await client.get(f"/api/v1/rooms/{room['id']}")).json()["webinar"] is False


async def test_the_room_page_speaks_french(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    owner = await make_user(db_session, email="bea@example.org", name="Bea")
    token = await log_in(client, owner.email)
    room = (
        await client.post("/api/v1/rooms", json={"name": "Salle"}, headers={"x-csrf-token": token})
    ).json()
    page = await client.get(f"/rooms/{room['id']}", headers={"accept-language": "fr"})
    assert "Webinaire" in page.text
    assert "invitent sur scène" in page.text
