"""Answering an invitation a second time (another tab, a double click) is never a server error."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.factories import client_for, make_user

pytestmark = pytest.mark.anyio


async def test_accepting_twice_enters_the_meeting_twice(app: FastAPI) -> None:
    async with app.state.runtime.database() as db:
        await make_user(db, email="ada@example.org", name="Ada Lovelace")
        grace = await make_user(db, email="grace@example.org", name="Grace Hopper")
    caller, caller_headers = await client_for(app, "ada@example.org")
    callee, callee_headers = await client_for(app, "grace@example.org")
    try:
        call = await caller.post(
            "/api/v1/calls", json={"user_id": grace.id}, headers=caller_headers
        )
        invitation = call.json()["invitation"]
        slug = invitation["room"]["slug"]
        for _ in range(2):
            accepted = await callee.post(
                f"/invitations/{invitation['id']}/accept", headers=callee_headers
            )
            assert accepted.status_code == 303, accepted.text
            assert accepted.headers["location"] == f"/r/{slug}"
        meeting = await callee.get(f"/r/{slug}")
        assert meeting.status_code == 200 and 'data-mode="meeting"' in meeting.text
    finally:
        await caller.aclose()
        await callee.aclose()
