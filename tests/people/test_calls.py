"""Calls and invitations through the API: ringing, answers, expiry, the rules, guest emails."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.job_kinds import handlers
from parley.jobs.worker import JobContext, Worker
from parley.people import service
from parley.settings import Settings
from tests.factories import client_for, make_user
from tests.mailbox import Mailbox, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings, mailbox: Mailbox) -> Settings:
    return settings.model_copy(update={"smtp_port": mailbox.port})


class LaterClock:
    def __init__(self, seconds: float) -> None:
        self.offset = timedelta(seconds=seconds)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def _people(app: FastAPI) -> tuple[Any, Any]:
    async with app.state.runtime.database() as db:
        ada = await make_user(db, email="ada@example.org", name="Ada Lovelace")
        grace = await make_user(db, email="grace@example.org", name="Grace Hopper")
        return ada, grace


async def _events(app: FastAPI, user_id: int, into: list[dict[str, Any]]) -> asyncio.Task[None]:
    ready = asyncio.Event()

    async def listen() -> None:
        async with app.state.runtime.bus.subscribe(service.channel(user_id)) as subscription:
            ready.set()
            async for raw in subscription:
                into.append(json.loads(raw))

    task = asyncio.create_task(listen())
    await ready.wait()
    return task


async def _until(check: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("it did not happen")


async def test_a_call_rings_then_is_declined_and_the_caller_is_told(app: FastAPI) -> None:
    ada, grace = await _people(app)
    caller, caller_headers = await client_for(app, "ada@example.org")
    callee, callee_headers = await client_for(app, "grace@example.org")
    grace_events: list[dict[str, Any]] = []
    ada_events: list[dict[str, Any]] = []
    tasks = [await _events(app, grace.id, grace_events), await _events(app, ada.id, ada_events)]
    try:
        response = await caller.post(
            "/api/v1/calls", json={"user_id": grace.id}, headers=caller_headers
        )
        assert response.status_code == 201, response.text
        invitation = response.json()["invitation"]
        assert invitation["state"] == "ringing" and invitation["from"]["name"] == "Ada Lovelace"
        await _until(lambda: any(e["type"] == "ring" for e in grace_events))

        # Only the callee answers; anyone else is told there is no such invitation.
        refused = await caller.post(
            f"/api/v1/invitations/{invitation['id']}/decline", headers=caller_headers
        )
        assert refused.status_code == 404
        declined = await callee.post(
            f"/api/v1/invitations/{invitation['id']}/decline", headers=callee_headers
        )
        assert declined.status_code == 204
        await _until(
            lambda: any(e.get("invitation", {}).get("state") == "declined" for e in ada_events)
        )
        notes = (await caller.get("/api/v1/notifications")).json()
        assert notes["unread"] == 1
        assert notes["items"][0]["kind"] == "declined"
        assert notes["items"][0]["data"]["to_name"] == "Grace Hopper"
        # Answering twice changes nothing.
        again = await callee.post(f"/invitations/{invitation['id']}/accept", headers=callee_headers)
        assert again.status_code == 409
    finally:
        for task in tasks:
            task.cancel()
        await caller.aclose()
        await callee.aclose()


async def test_accepting_a_call_enters_the_room_and_nobody_answering_is_a_missed_call(
    app: FastAPI,
) -> None:
    _ada, grace = await _people(app)
    caller, caller_headers = await client_for(app, "ada@example.org")
    callee, callee_headers = await client_for(app, "grace@example.org")
    try:
        first = (
            await caller.post("/api/v1/calls", json={"user_id": grace.id}, headers=caller_headers)
        ).json()
        accepted = await callee.post(
            f"/invitations/{first['invitation']['id']}/accept", headers=callee_headers
        )
        assert accepted.status_code == 303
        slug = first["invitation"]["room"]["slug"]
        assert accepted.headers["location"] == f"/r/{slug}"
        # The join cookie is set: the meeting page opens for her.
        meeting = await callee.get(f"/r/{slug}")
        assert meeting.status_code == 200 and 'data-mode="meeting"' in meeting.text

        second = (
            await caller.post("/api/v1/calls", json={"user_id": grace.id}, headers=caller_headers)
        ).json()
        # Nobody answers: when the ringing time is over, the expiry job makes it a missed call.
        context = JobContext(
            database=app.state.runtime.database,
            bus=app.state.runtime.bus,
            settings=app.state.runtime.settings,
            clock=LaterClock(app.state.runtime.settings.call_ring_seconds + 1),
        )
        await Worker(context, handlers()).run_until_idle()
        notes = (await callee.get("/api/v1/notifications")).json()
        assert [n["kind"] for n in notes["items"]] == ["missed_call"]
        assert notes["items"][0]["data"]["from_name"] == "Ada Lovelace"
        late = await callee.post(
            f"/invitations/{second['invitation']['id']}/accept", headers=callee_headers
        )
        assert late.status_code == 409
        page = await callee.get("/notifications")
        assert "Missed call from Ada Lovelace" in page.text
        assert (await callee.get("/api/v1/notifications")).json()["unread"] == 0
    finally:
        await caller.aclose()
        await callee.aclose()


async def test_the_rules_of_calling(app: FastAPI) -> None:
    ada, grace = await _people(app)
    caller, headers = await client_for(app, "ada@example.org")
    callee, callee_headers = await client_for(app, "grace@example.org")
    try:
        me = await caller.post("/api/v1/calls", json={"user_id": ada.id}, headers=headers)
        assert me.status_code == 422 and me.json()["code"] == "self"
        nobody = await caller.post("/api/v1/calls", json={"user_id": 9999}, headers=headers)
        assert nobody.status_code == 404
        bad = await caller.post("/api/v1/calls", json={"user_id": "x"}, headers=headers)
        assert bad.status_code == 422
        no_csrf = await caller.post("/api/v1/calls", json={"user_id": grace.id})
        assert no_csrf.status_code == 403

        busy = await callee.put(
            "/api/v1/me/availability",
            json={"allow_calls": True, "do_not_disturb": True},
            headers=callee_headers,
        )
        assert busy.status_code == 204
        refused = await caller.post("/api/v1/calls", json={"user_id": grace.id}, headers=headers)
        assert refused.status_code == 409
        assert refused.json()["detail"] == "Grace Hopper does not want to be disturbed right now."
        await callee.put(
            "/api/v1/me/availability",
            json={"allow_calls": False, "do_not_disturb": False},
            headers=callee_headers,
        )
        refused = await caller.post("/api/v1/calls", json={"user_id": grace.id}, headers=headers)
        assert refused.status_code == 403 and refused.json()["code"] == "calls_off"
        await callee.put(
            "/api/v1/me/availability",
            json={"allow_calls": True, "do_not_disturb": False},
            headers=callee_headers,
        )
        # Flooding one person: a few calls a minute, then a clear refusal.
        codes = [
            (
                await caller.post("/api/v1/calls", json={"user_id": grace.id}, headers=headers)
            ).status_code
            for _ in range(5)
        ]
        assert codes == [201, 201, 201, 201, 429]
        people = (await caller.get("/api/v1/people?q=HOPPER")).json()
        assert [p["display_name"] for p in people] == ["Grace Hopper"]
        assert (await caller.get("/api/v1/people?q=%25")).json() == []
        assert (
            await httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ).get("/api/v1/people")
        ).status_code == 401
    finally:
        await caller.aclose()
        await callee.aclose()


async def test_calls_sent_together_are_capped_like_calls_sent_in_turn(app: FastAPI) -> None:
    _ada, grace = await _people(app)
    caller, headers = await client_for(app, "ada@example.org")
    try:
        answers = await asyncio.gather(
            *(
                caller.post("/api/v1/calls", json={"user_id": grace.id}, headers=headers)
                for _ in range(12)
            )
        )
    finally:
        await caller.aclose()
    assert sorted(a.status_code for a in answers) == [201] * 4 + [429] * 8


async def test_inviting_members_and_guests_into_a_meeting(app: FastAPI, mailbox: Mailbox) -> None:
    _ada, grace = await _people(app)
    async with app.state.runtime.database() as db:
        outsider = await make_user(db, email="linus@example.org", name="Linus")
    owner, headers = await client_for(app, "ada@example.org")
    other, other_headers = await client_for(app, "linus@example.org")
    invitee, invitee_headers = await client_for(app, "grace@example.org")
    try:
        room = (await owner.post("/api/v1/rooms", json={"name": "Board"}, headers=headers)).json()
        slug = room["url"].rsplit("/", 1)[-1]
        closed = await owner.post(
            f"/api/v1/rooms/{slug}/invitations", json={"user_id": grace.id}, headers=headers
        )
        assert closed.status_code == 409
        await owner.post(f"/api/v1/rooms/{room['id']}/open", headers=headers)
        # Someone neither in the meeting nor managing the room may not invite.
        stranger = await other.post(
            f"/api/v1/rooms/{slug}/invitations", json={"user_id": grace.id}, headers=other_headers
        )
        assert stranger.status_code == 403
        invited = await owner.post(
            f"/api/v1/rooms/{slug}/invitations", json={"user_id": grace.id}, headers=headers
        )
        assert invited.status_code == 201
        # The room has an access code and a waiting room: the invitation passes both.
        await owner.patch(
            f"/api/v1/rooms/{room['id']}",
            json={"access_code": "4321", "waiting_room": "everyone"},
            headers=headers,
        )
        accepted = await invitee.post(
            f"/invitations/{invited.json()['invitation']['id']}/accept", headers=invitee_headers
        )
        assert accepted.status_code == 303
        assert 'data-mode="meeting"' in (await invitee.get(f"/r/{slug}")).text

        # Guests by email: validated, sent through the outbox to a real SMTP server.
        bad = await owner.post(
            f"/api/v1/rooms/{slug}/email-invitations",
            json={"emails": ["not-an-address"]},
            headers=headers,
        )
        assert bad.status_code == 422
        sent = await owner.post(
            f"/api/v1/rooms/{slug}/email-invitations",
            json={"emails": ["guest@example.net", "other@example.net"], "message": "See you!"},
            headers=headers,
        )
        assert sent.status_code == 202 and sent.json() == {"queued": 2}
        messages = await asyncio.to_thread(mailbox.wait_for, 2)
        body = text_of(mailbox.to("guest@example.net")[0])
        assert f"http://testserver/r/{slug}" in body and "See you!" in body
        assert "4321" in body
        assert messages[0]["Reply-To"] == "ada@example.org"
        assert "Ada Lovelace invites you" in messages[0]["Subject"]
        del outsider
    finally:
        for client in (owner, other, invitee):
            await client.aclose()
