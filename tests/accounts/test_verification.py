"""Sign-up proves the address by a mailed link before invitations sent to it show, and tells
no one whether an address has an account."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import timedelta
from email.message import EmailMessage

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from parley import site
from parley.accounts import verification
from parley.accounts.models import User
from parley.db import utcnow
from parley.settings import Settings
from tests.factories import PASSWORD, client_for, log_in, make_user
from tests.mailbox import Mailbox, text_of

pytestmark = pytest.mark.anyio

CONFIRM_SUBJECT = "Confirm your email address for Parley"
TAKEN_SUBJECT = "Someone tried to create a Parley account with your address"
EVENT = {
    "title": "Budget review",
    "timezone": "Europe/Paris",
    "start": "2030-03-12T10:00",
    "end": "2030-03-12T11:00",
    "attendees": [{"email": "grace@example.org"}],
}


@pytest.fixture
def settings(settings: Settings, mailbox: Mailbox) -> Settings:
    return settings.model_copy(update={"smtp_port": mailbox.port})


@pytest.fixture
async def signup_open(app: FastAPI) -> None:
    async with app.state.runtime.database() as db:
        await make_user(db, email="admin@example.org", admin=True)
        await site.save(db, site.Signup(enabled=True))


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Someone's browser, not logged in."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _csrf(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


async def _sign_up(client: httpx.AsyncClient, email: str, name: str = "Grace") -> httpx.Response:
    token = await _csrf(client, "/signup")
    return await client.post(
        "/signup",
        data={"display_name": name, "email": email, "password": PASSWORD, "csrf_token": token},
    )


async def _mail(mailbox: Mailbox, address: str, subject: str, count: int = 1) -> EmailMessage:
    """The `count`-th email to `address` with `subject`, waiting for it to arrive."""
    for _ in range(300):
        found = [m for m in mailbox.to(address) if m["Subject"] == subject]
        if len(found) >= count:
            return found[count - 1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no email {subject!r} number {count} to {address}")


def _link_in(message: EmailMessage) -> str:
    match = re.search(r"http://testserver(/verify-email/\S+)", text_of(message))
    assert match, text_of(message)
    return match.group(1)


async def _event_ids(client: httpx.AsyncClient) -> list[int]:
    response = await client.get("/api/v1/events?start=2030-03-01&end=2030-04-01")
    assert response.status_code == 200, response.text
    return [o["event_id"] for o in response.json()]


async def test_invitations_by_address_show_once_the_mailed_link_is_followed(
    app: FastAPI, mailbox: Mailbox, signup_open: None, browser: httpx.AsyncClient
) -> None:
    async with app.state.runtime.database() as db:
        await make_user(db, email="ada@example.org", name="Ada")
    ada, ada_headers = await client_for(app, "ada@example.org")
    async with aclosing(ada):
        before = await ada.post("/api/v1/events", json=EVENT, headers=ada_headers)
        assert before.status_code == 201, before.text

        answer = await _sign_up(browser, "Grace@Example.org")
        assert answer.status_code == 200
        assert "Check your mailbox" in answer.text and "grace@example.org" in answer.text
        assert "parley_session" not in answer.headers.get("set-cookie", "")

        # An event made after the sign-up does not take the unproven account as its attendee.
        after = await ada.post(
            "/api/v1/events", json={**EVENT, "title": "Planning"}, headers=ada_headers
        )
        assert after.status_code == 201
        assert after.json()["attendees"][0]["user_id"] is None
        ids = [before.json()["id"], after.json()["id"]]

        await log_in(browser, "grace@example.org")
        assert (await browser.get("/api/v1/me")).json()["email_verified"] is False
        assert await _event_ids(browser) == []
        assert (await browser.get(f"/api/v1/events/{ids[0]}")).status_code == 404
        home = await browser.get("/")
        assert "Confirm your email address" in home.text and "Send again" in home.text

        message = await _mail(mailbox, "grace@example.org", CONFIRM_SUBJECT)
        assert "48 hours" in text_of(message)
        confirmed = await browser.get(_link_in(message))
        assert confirmed.status_code == 200
        assert "grace@example.org is confirmed" in confirmed.text

        assert (await browser.get("/api/v1/me")).json()["email_verified"] is True
        assert sorted(await _event_ids(browser)) == sorted(ids)
        assert (await browser.get(f"/api/v1/events/{ids[0]}")).status_code == 200
        assert "Confirm your email address" not in (await browser.get("/")).text
        # Following the link again keeps the address confirmed.
        assert (await browser.get(_link_in(message))).status_code == 200


async def test_a_changed_or_old_link_says_so_and_a_new_one_can_be_sent(
    app: FastAPI, mailbox: Mailbox, signup_open: None, browser: httpx.AsyncClient
) -> None:
    await _sign_up(browser, "grace@example.org")
    first = _link_in(await _mail(mailbox, "grace@example.org", CONFIRM_SUBJECT))
    tampered = first[:-1] + ("0" if first[-1] != "0" else "1")
    bad_links = (
        tampered,
        "/verify-email/1.99999999999.abc",
        "/verify-email/99999999999.1.abc",
        "/verify-email/٣.1.abc",
        "/verify-email/nonsense",
    )
    for bad in bad_links:
        page = await browser.get(bad)
        assert page.status_code == 400, bad
        assert "This link does not work" in page.text
        assert "Log in" in page.text

    async with app.state.runtime.database() as db:
        grace = await db.scalar(select(User).where(User.email == "grace@example.org"))
        assert grace is not None
        old = verification.link_token(
            app.state.runtime.secret, grace, now=utcnow() - timedelta(hours=49)
        )
    expired = await browser.get(f"/verify-email/{old}")
    assert expired.status_code == 410 and "This link has expired" in expired.text

    csrf = await log_in(browser, "grace@example.org")
    expired = await browser.get(f"/verify-email/{old}")
    assert "Send a new link" in expired.text
    assert "Confirm your email address" in (await browser.get("/")).text

    again = await browser.post("/verify-email/resend", data={"csrf_token": csrf})
    assert again.status_code == 200 and "Check your mailbox" in again.text
    second = _link_in(await _mail(mailbox, "grace@example.org", CONFIRM_SUBJECT, count=2))
    assert (await browser.get(second)).status_code == 200
    assert "Confirm your email address" not in (await browser.get("/")).text


async def test_send_again_is_rate_limited(
    app: FastAPI, signup_open: None, browser: httpx.AsyncClient
) -> None:
    await _sign_up(browser, "grace@example.org")
    csrf = await log_in(browser, "grace@example.org")
    # The sign-up's email counts: four more fit in the hour, the next one does not.
    statuses = [
        (await browser.post("/verify-email/resend", data={"csrf_token": csrf})).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]


async def test_signing_up_with_a_taken_address_answers_the_same_and_tells_its_owner(
    app: FastAPI, mailbox: Mailbox, signup_open: None, browser: httpx.AsyncClient
) -> None:
    async with app.state.runtime.database() as db:
        await make_user(db, email="linus@example.org", name="Linus", password="linus's own pass")
    new = await _sign_up(browser, "grace@example.org", name="Someone")
    taken = await _sign_up(browser, "linus@example.org", name="Someone")
    assert new.status_code == taken.status_code == 200
    assert new.text.replace("grace@example.org", "ADDRESS") == taken.text.replace(
        "linus@example.org", "ADDRESS"
    )
    assert "set-cookie" not in new.headers and "set-cookie" not in taken.headers

    note = await _mail(mailbox, "linus@example.org", TAKEN_SUBJECT)
    assert "Hello Linus," in text_of(note)
    assert "http://testserver/login" in text_of(note)
    assert not [m for m in mailbox.to("linus@example.org") if m["Subject"] == CONFIRM_SUBJECT]

    # No second account, and the password typed at sign-up opens nothing.
    async with app.state.runtime.database() as db:
        count = await db.scalar(
            select(func.count()).select_from(User).where(User.email == "linus@example.org")
        )
        assert count == 1
    token = await _csrf(browser, "/login")
    refused = await browser.post(
        "/login", data={"email": "linus@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert refused.status_code == 401


async def test_the_login_page_answers_alike_for_unknown_addresses(
    app: FastAPI, signup_open: None, browser: httpx.AsyncClient
) -> None:
    token = await _csrf(browser, "/login")
    answers = [
        await browser.post(
            "/login", data={"email": email, "password": "wrong one!", "csrf_token": token}
        )
        for email in ("admin@example.org", "nobody@example.org")
    ]
    assert answers[0].status_code == answers[1].status_code == 401
    assert answers[0].text.replace("admin@", "X@") == answers[1].text.replace("nobody@", "X@")


async def test_a_room_is_shared_only_with_a_proven_address(
    app: FastAPI, mailbox: Mailbox, signup_open: None, browser: httpx.AsyncClient
) -> None:
    async with app.state.runtime.database() as db:
        await make_user(db, email="ada@example.org", name="Ada")
    ada, headers = await client_for(app, "ada@example.org")
    async with aclosing(ada):
        room = await ada.post("/api/v1/rooms", json={"name": "Board"}, headers=headers)
        assert room.status_code == 201, room.text
        shares = f"/api/v1/rooms/{room.json()['id']}/shares"
        await _sign_up(browser, "grace@example.org")
        refused = await ada.post(shares, json={"email": "grace@example.org"}, headers=headers)
        assert refused.status_code == 404

        await browser.get(_link_in(await _mail(mailbox, "grace@example.org", CONFIRM_SUBJECT)))
        shared = await ada.post(shares, json={"email": "grace@example.org"}, headers=headers)
        assert shared.status_code == 201, shared.text
