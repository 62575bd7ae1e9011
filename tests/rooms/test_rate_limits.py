"""Wrong access codes sent together are capped, in every counter backend."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.settings import Settings
from tests.accounts.counters import bus_url_for
from tests.factories import client_for, make_user

pytestmark = [
    pytest.mark.anyio,
    # Each counter backend once, with one database each: the database plays no part in counting.
    pytest.mark.parametrize(
        ("database_url", "counters"),
        [("sqlite", "memory"), ("postgresql", "redis")],
        indirect=True,
    ),
]


@pytest.fixture
def counters(request: pytest.FixtureRequest) -> str:
    return bus_url_for(request)


@pytest.fixture
def settings(settings: Settings, counters: str) -> Settings:
    return settings.model_copy(update={"bus_url": counters})


async def _room_with_code(app: FastAPI, code: str) -> dict[str, Any]:
    async with app.state.runtime.database() as db:
        await make_user(db, email="owner@example.org")
    owner, headers = await client_for(app, "owner@example.org")
    try:
        room = (await owner.post("/api/v1/rooms", json={"name": "Board"}, headers=headers)).json()
        changed = await owner.patch(
            f"/api/v1/rooms/{room['id']}", json={"access_code": code}, headers=headers
        )
        assert changed.status_code == 200, changed.text
        assert (await owner.post(f"/api/v1/rooms/{room['id']}/open", headers=headers)).is_success
    finally:
        await owner.aclose()
    return dict(room)


async def test_forty_wrong_codes_at_once_are_checked_ten_times(app: FastAPI) -> None:
    room = await _room_with_code(app, "4711")
    transport = httpx.ASGITransport(app=app, client=("10.0.0.5", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as guest:

        async def join(code: str) -> httpx.Response:
            # Someone with the link: its slug shows they have it.
            body = {"name": "Visitor", "access_code": code, "slug": room["slug"]}
            return await guest.post(f"/api/v1/rooms/{room['id']}/join", json=body)

        answers = await asyncio.gather(*(join(f"{1000 + i}") for i in range(40)))
        codes = Counter(a.json()["code"] for a in answers)
        assert codes == {"bad_access_code": 10, "rate_limited": 30}
        refused = next(a for a in answers if a.status_code == 429)
        assert refused.json()["detail"] == "Too many wrong codes. Wait a minute, then try again."
        # The right code too waits for the window to end: guessing cannot go on in parallel.
        assert (await join("4711")).status_code == 429
