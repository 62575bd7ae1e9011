"""Password checks are rate limited when they arrive together, in every counter backend."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter

import httpx
import pytest
from fastapi import FastAPI

from parley.settings import Settings
from parley.templating import STATIC_DIR
from tests.accounts.counters import bus_url_for
from tests.factories import PASSWORD, log_in, make_user

pytestmark = pytest.mark.anyio

TOO_MANY = "Too many failed attempts. Wait a minute, then try again."


# Each counter backend once, with one database each: the database plays no part in counting.
each_backend = pytest.mark.parametrize(
    ("database_url", "counters"), [("sqlite", "memory"), ("postgresql", "redis")], indirect=True
)


@pytest.fixture
def counters(request: pytest.FixtureRequest) -> str:
    return bus_url_for(request)


@pytest.fixture
def settings(settings: Settings, counters: str) -> Settings:
    return settings.model_copy(update={"bus_url": counters})


def _client_from(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _login(app: FastAPI, address: str, email: str, password: str) -> httpx.Response:
    async with _client_from(app, address) as client:
        return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


@each_backend
async def test_forty_wrong_passwords_at_once_for_one_account_are_checked_ten_times(
    app: FastAPI,
) -> None:
    async with app.state.runtime.database() as db:
        user = await make_user(db, email="ada@example.org")
    # From forty addresses: the account's own count is what must hold.
    answers = await asyncio.gather(
        *(_login(app, f"10.0.0.{i}", user.email, f"guess {i}") for i in range(40))
    )
    assert Counter(a.status_code for a in answers) == {401: 10, 429: 30}
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.json() == {"code": "rate_limited", "detail": TOO_MANY}
    # Even the right password waits for the window to end.
    right = await _login(app, "10.0.1.1", user.email, PASSWORD)
    assert right.status_code == 429


@each_backend
async def test_forty_wrong_logins_at_once_from_one_address_are_checked_ten_times(
    app: FastAPI,
) -> None:
    answers = await asyncio.gather(
        *(_login(app, "10.0.0.7", f"nobody{i}@example.org", "guess") for i in range(40))
    )
    assert Counter(a.status_code for a in answers) == {401: 10, 429: 30}


@each_backend
async def test_a_right_password_does_not_count_as_a_failure(app: FastAPI) -> None:
    async with app.state.runtime.database() as db:
        user = await make_user(db, email="ada@example.org")
    for i in range(9):
        assert (await _login(app, "10.0.0.1", user.email, f"guess {i}")).status_code == 401
    assert (await _login(app, "10.0.0.1", user.email, PASSWORD)).status_code == 200
    assert (await _login(app, "10.0.0.1", user.email, "guess 10")).status_code == 401
    assert (await _login(app, "10.0.0.1", user.email, "guess 11")).status_code == 429


async def _profile_csrf(client: httpx.AsyncClient) -> str:
    page = await client.get("/profile")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


@each_backend
async def test_wrong_current_passwords_at_once_are_limited(app: FastAPI) -> None:
    async with app.state.runtime.database() as db:
        user = await make_user(db, email="ada@example.org")
    async with _client_from(app, "10.0.0.1") as client:
        await log_in(client, user.email)
        token = await _profile_csrf(client)

        async def change(current: str) -> httpx.Response:
            form = {"current_password": current, "new_password": "a brand new password"}
            return await client.post("/profile/password", data={**form, "csrf_token": token})

        answers = await asyncio.gather(*(change(f"guess {i}") for i in range(20)))
        assert Counter(a.status_code for a in answers) == {422: 10, 429: 10}
        assert "The current password is not right." in answers[0].text
        assert TOO_MANY in next(a for a in answers if a.status_code == 429).text
        # The right password is refused too until the window ends, and nothing changed.
        right = await change(PASSWORD)
        assert right.status_code == 429 and "Password changed." not in right.text
    assert (await _login(app, "10.0.0.2", user.email, "a brand new password")).status_code == 429


async def _timed_get(client: httpx.AsyncClient, path: str) -> float:
    started = time.perf_counter()
    response = await client.get(path)
    assert response.status_code == 200
    return time.perf_counter() - started


@pytest.mark.parametrize(("database_url", "counters"), [("sqlite", "memory")], indirect=True)
async def test_pages_answer_quickly_during_a_burst_of_logins(app: FastAPI) -> None:
    asset = next(p for p in STATIC_DIR.rglob("*.js")).relative_to(STATIC_DIR).as_posix()
    checks = ["/healthz", f"/static/{asset}"]
    async with _client_from(app, "10.0.9.9") as monitor:
        calm = max([await _timed_get(monitor, path) for path in checks])
        # Forty people log in at once (from forty addresses, so the limits let them all through).
        burst = asyncio.gather(
            *(_login(app, f"10.0.0.{i}", f"p{i}@example.org", "a password") for i in range(40))
        )
        started = time.perf_counter()
        during: list[float] = []
        while not burst.done():
            during.append(max([await _timed_get(monitor, path) for path in checks]))
            await asyncio.sleep(0.2)
        burst_seconds = time.perf_counter() - started
    assert all(a.status_code == 401 for a in burst.result())
    # The checks take many seconds of CPU together: a monitor's probe and the script of a
    # page must not wait behind them.
    assert len(during) > 3, (calm, during, burst_seconds)
    assert max(during) < max(2.0, calm * 20), (calm, during, burst_seconds)
    assert max(during) < burst_seconds / 4, (calm, during, burst_seconds)
