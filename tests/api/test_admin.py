"""The administration API: site settings and meeting providers, for administrators only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.helpers import Caller, caller
from tests.factories import make_user

pytestmark = pytest.mark.anyio


@pytest.fixture
async def people(app: FastAPI, db_session: AsyncSession) -> AsyncIterator[dict[str, Caller]]:
    result = {
        "admin": await caller(app, await make_user(db_session, admin=True)),
        "member": await caller(app, await make_user(db_session)),
    }
    yield result
    for person in result.values():
        await person.client.aclose()


async def test_an_administrator_changes_site_and_room_settings(
    people: dict[str, Caller],
) -> None:
    admin, member = people["admin"], people["member"]
    before = await admin.call("GET", "/api/v1/admin/settings")
    assert before.status_code == 200
    assert before.json()["room_policies"]["waiting_room"] == {"value": "off", "forced": False}

    changed = await admin.call(
        "PATCH",
        "/api/v1/admin/settings",
        json={
            "signup_enabled": True,
            "room_policies": {"waiting_room": {"value": "guests", "forced": True}},
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["signup_enabled"] is True
    assert changed.json()["room_policies"]["waiting_room"] == {"value": "guests", "forced": True}
    # A room made now follows the forced setting.
    room = (await member.call("POST", "/api/v1/rooms", json={"name": "Mine"})).json()
    assert room["waiting_room"] == "guests"

    for policies, code in [
        ({"waiting_room": {"value": True, "forced": False}}, "bad_setting"),
        ({"allow_guests": {"value": "everyone", "forced": False}}, "bad_setting"),
        ({"no_such_thing": {"value": True, "forced": False}}, "unknown_setting"),
    ]:
        refused = await admin.call(
            "PATCH", "/api/v1/admin/settings", json={"room_policies": policies}
        )
        assert (refused.status_code, refused.json()["code"]) == (422, code), policies


async def test_an_administrator_configures_enables_tests_and_deletes_a_provider(
    people: dict[str, Caller],
) -> None:
    admin = people["admin"]
    created = await admin.call(
        "POST", "/api/v1/admin/providers", json={"kind": "parley", "name": "Our rooms"}
    )
    assert created.status_code == 201, created.text
    provider = created.json()
    assert (provider["kind"], provider["enabled"]) == ("parley", True)
    url = f"/api/v1/admin/providers/{provider['id']}"

    taken = await admin.call(
        "POST", "/api/v1/admin/providers", json={"kind": "parley", "name": "Our rooms"}
    )
    assert taken.status_code == 409
    unknown = await admin.call(
        "POST", "/api/v1/admin/providers", json={"kind": "nothing", "name": "X"}
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "no_such_kind")

    changed = await admin.call("PATCH", url, json={"enabled": False, "sessions_state": "paused"})
    assert changed.status_code == 200
    assert (changed.json()["enabled"], changed.json()["sessions_state"]) == (False, "paused")
    listed = (await admin.call("GET", "/api/v1/admin/providers")).json()
    assert [(p["name"], p["enabled"]) for p in listed] == [("Our rooms", False)]

    tested = await admin.call("POST", f"{url}/test")
    assert tested.status_code == 200
    assert tested.json()["ok"] is True
    assert (await admin.call("GET", url.rsplit("/", 1)[0])).json()[0]["last_test_ok"] is True

    assert (await admin.call("DELETE", url)).status_code == 204
    assert (await admin.call("GET", "/api/v1/admin/providers")).json() == []
    assert (await admin.call("DELETE", url)).status_code == 404


async def test_members_are_refused_every_administration_call(
    people: dict[str, Caller],
) -> None:
    admin, member = people["admin"], people["member"]
    provider = (
        await admin.call(
            "POST", "/api/v1/admin/providers", json={"kind": "parley", "name": "Rooms"}
        )
    ).json()
    url = f"/api/v1/admin/providers/{provider['id']}"
    calls = [
        ("GET", "/api/v1/admin/settings", None),
        ("PATCH", "/api/v1/admin/settings", {"signup_enabled": True}),
        ("GET", "/api/v1/admin/providers", None),
        ("POST", "/api/v1/admin/providers", {"kind": "parley", "name": "Mine"}),
        ("PATCH", url, {"enabled": False}),
        ("POST", f"{url}/test", None),
        ("DELETE", url, None),
    ]
    for method, path, body in calls:
        refused = await member.call(method, path, json=body)
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json()["code"] == "forbidden"
    # Nothing changed.
    settings = (await admin.call("GET", "/api/v1/admin/settings")).json()
    assert settings["signup_enabled"] is False
    providers = (await admin.call("GET", "/api/v1/admin/providers")).json()
    assert [(p["name"], p["enabled"]) for p in providers] == [("Rooms", True)]
