"""The sessions API as a booking site calls it: publish, register, list, unregister, cancel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.helpers import Caller, caller
from tests.factories import make_user

pytestmark = pytest.mark.anyio


@pytest.fixture
async def people(app: FastAPI, db_session: AsyncSession) -> AsyncIterator[dict[str, Caller]]:
    result = {}
    for role in ("organiser", "member", "other"):
        result[role] = await caller(app, await make_user(db_session, name=role.title()))
    yield result
    for person in result.values():
        await person.client.aclose()


def _session(**changes: Any) -> dict[str, Any]:
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    return {
        "title": "Yoga for beginners",
        "starts_at": starts.isoformat(),
        "duration_minutes": 60,
        "capacity": 1,
        "mode": "in_person",
        "location": "Room 4",
        **changes,
    }


async def test_a_booking_site_publishes_registers_lists_and_unregisters(
    people: dict[str, Caller],
) -> None:
    organiser, member, other = people["organiser"], people["member"], people["other"]
    created = await organiser.call("POST", "/api/v1/sessions", json=_session())
    assert created.status_code == 201, created.text
    session = created.json()
    assert session["can_manage"] is True and session["registered"] == 0
    url = f"/api/v1/sessions/{session['id']}"

    taken = await member.call("PUT", f"{url}/registration")
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "registered"
    # The only place is taken: the next one waits.
    waits = await other.call("PUT", f"{url}/registration")
    assert waits.json()["status"] == "waiting"

    listed = await organiser.call("GET", f"{url}/registrations")
    assert listed.status_code == 200
    assert [(r["user_id"], r["status"]) for r in listed.json()] == [
        (member.user.id, "registered"),
        (other.user.id, "waiting"),
    ]
    seen = (await member.call("GET", url)).json()
    assert (seen["registered"], seen["waiting"], seen["my_registration"]) == (1, 1, "registered")

    gone = await member.call("DELETE", f"{url}/registration")
    assert gone.status_code == 204
    listed = await organiser.call("GET", f"{url}/registrations")
    assert [(r["user_id"], r["status"]) for r in listed.json()] == [(other.user.id, "registered")]
    assert (await member.call("GET", url)).json()["my_registration"] is None


async def test_only_the_organiser_sees_registrations_changes_and_cancels(
    people: dict[str, Caller],
) -> None:
    organiser, member = people["organiser"], people["member"]
    session = (await organiser.call("POST", "/api/v1/sessions", json=_session())).json()
    url = f"/api/v1/sessions/{session['id']}"

    for method, path, body in [
        ("GET", f"{url}/registrations", None),
        ("PUT", url, _session(title="Taken over")),
        ("DELETE", url, None),
    ]:
        refused = await member.call(method, path, json=body)
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json()["code"] == "not_organiser"

    changed = await organiser.call("PUT", url, json=_session(title="Yoga, level 2", capacity=5))
    assert changed.status_code == 200
    assert changed.json()["title"] == "Yoga, level 2"
    listed = (await member.call("GET", "/api/v1/sessions")).json()
    assert [s["title"] for s in listed] == ["Yoga, level 2"]
    assert listed[0]["can_manage"] is False

    assert (await organiser.call("DELETE", url)).status_code == 204
    assert (await member.call("GET", url)).json()["state"] == "cancelled"
    late = await member.call("PUT", f"{url}/registration")
    assert late.status_code == 409
    assert late.json()["code"] == "cancelled"


async def test_refusals_are_clear(people: dict[str, Caller]) -> None:
    organiser = people["organiser"]
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    cases = [
        (_session(starts_at=past), 422, "in_the_past"),
        (_session(location=""), 422, "location_required"),
        (_session(mode="online", provider_id=999), 422, "bad_provider"),
        (_session(capacity=0), 422, "invalid"),
    ]
    for body, status, code in cases:
        response = await organiser.call("POST", "/api/v1/sessions", json=body)
        assert (response.status_code, response.json()["code"]) == (status, code), body
    missing = await organiser.call("GET", "/api/v1/sessions/999")
    assert missing.status_code == 404
    assert missing.json()["code"] == "no_such_session"
