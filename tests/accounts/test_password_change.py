"""Changing the password logs the member out of every other browser, not this one."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import PASSWORD, log_in, make_user

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "a brand new password"


def _browser(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def _change_password(browser: httpx.AsyncClient, current: str) -> httpx.Response:
    page = await browser.get("/profile")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    form = {"current_password": current, "new_password": NEW_PASSWORD}
    return await browser.post("/profile/password", data={**form, "csrf_token": match.group(1)})


async def test_changing_the_password_ends_the_other_logins_only(app: FastAPI) -> None:
    async with app.state.runtime.database() as db:
        user = await make_user(db, email="ada@example.org")
    async with _browser(app) as laptop, _browser(app) as phone, _browser(app) as tablet:
        for browser in (laptop, phone, tablet):
            await log_in(browser, user.email)
        changed = await _change_password(laptop, PASSWORD)
        assert changed.status_code == 200
        assert "Password changed. You are logged out everywhere else." in changed.text

        # The browser that changed it stays logged in, on pages and in the API.
        assert (await laptop.get("/api/v1/me")).json()["email"] == "ada@example.org"
        assert (await laptop.get("/profile")).status_code == 200
        # Every other one is logged out at its next request.
        for browser in (phone, tablet):
            assert (await browser.get("/api/v1/me")).status_code == 401
            page = await browser.get("/profile")
            assert page.status_code == 303 and page.headers["location"].startswith("/login")

        # The old password opens nothing any more; the new one does.
        async with _browser(app) as other:
            refused = await other.post(
                "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
            )
            assert refused.status_code == 401
            await log_in(other, user.email, NEW_PASSWORD)


async def test_a_wrong_current_password_ends_no_login(app: FastAPI) -> None:
    async with app.state.runtime.database() as db:
        user = await make_user(db, email="ada@example.org")
    async with _browser(app) as laptop, _browser(app) as phone:
        for browser in (laptop, phone):
            await log_in(browser, user.email)
        refused = await _change_password(laptop, "not my password")
        assert refused.status_code == 422
        assert "The current password is not right." in refused.text
        assert (await phone.get("/api/v1/me")).status_code == 200
