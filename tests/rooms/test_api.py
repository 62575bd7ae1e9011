"""The rooms API: every refusal, and who may do what (owner, shared member, other, guest)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import User
from tests.factories import log_in, make_user

pytestmark = pytest.mark.anyio


class Person:
    """A client logged in as someone (or no one), sending the CSRF token as a page would."""

    def __init__(self, client: httpx.AsyncClient, csrf: str = "") -> None:
        self.client = client
        self.csrf = csrf

    async def call(self, method: str, url: str, json: Any = None) -> httpx.Response:
        headers = {"x-csrf-token": self.csrf} if self.csrf else {}
        return await self.client.request(method, url, json=json, headers=headers)


@pytest.fixture
async def people(app: Any, db_session: AsyncSession) -> Any:
    """Owner, a member the room is shared with, another member, and an anonymous guest."""
    transport = httpx.ASGITransport(app=app)
    clients = []
    result: dict[str, Person | User] = {}
    for role in ("owner", "shared", "other"):
        user = await make_user(db_session, name=role.title(), email=f"{role}@example.org")
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(client)
        result[role] = Person(client, await log_in(client, user.email))
        result[f"{role}_user"] = user
    guest = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    clients.append(guest)
    result["guest"] = Person(guest)
    yield result
    for client in clients:
        await client.aclose()


async def _room(owner: Person, shared: User | None = None, **settings: Any) -> dict[str, Any]:
    created = await owner.call("POST", "/api/v1/rooms", {"name": "Weekly meeting"})
    assert created.status_code == 201, created.text
    room: dict[str, Any] = created.json()
    if shared is not None:
        response = await owner.call(
            "POST", f"/api/v1/rooms/{room['id']}/shares", {"email": shared.email}
        )
        assert response.status_code == 201
    if settings:
        response = await owner.call("PATCH", f"/api/v1/rooms/{room['id']}", settings)
        assert response.status_code == 200, response.text
    return room


async def test_a_new_room_is_closed_with_a_readable_unguessable_link(people: Any) -> None:
    room = await _room(people["owner"])
    assert room["state"] == "closed" and room["name"] == "Weekly meeting"
    assert room["url"] == f"http://testserver/r/{room['slug']}"
    assert len(room["slug"]) == 14 and room["slug"].count("-") == 2
    assert str(room["id"]) not in room["slug"]
    listed = (await people["owner"].call("GET", "/api/v1/rooms")).json()
    assert [r["id"] for r in listed] == [room["id"]] and listed[0]["participant_count"] == 0


Action = Callable[[Person, dict[str, Any]], Awaitable[httpx.Response]]

ACTIONS: dict[str, Action] = {
    "get": lambda p, r: p.call("GET", f"/api/v1/rooms/{r['id']}"),
    "rename": lambda p, r: p.call("PATCH", f"/api/v1/rooms/{r['id']}", {"name": "Mine now"}),
    "settings": lambda p, r: p.call("PATCH", f"/api/v1/rooms/{r['id']}", {"allow_guests": False}),
    "open": lambda p, r: p.call("POST", f"/api/v1/rooms/{r['id']}/open"),
    "close": lambda p, r: p.call("POST", f"/api/v1/rooms/{r['id']}/close"),
    "waiting": lambda p, r: p.call("GET", f"/api/v1/rooms/{r['id']}/waiting"),
    "share": lambda p, r: p.call(
        "POST", f"/api/v1/rooms/{r['id']}/shares", {"email": "other@example.org"}
    ),
    "delete": lambda p, r: p.call("DELETE", f"/api/v1/rooms/{r['id']}"),
}

# Who may do what; anything else must be refused and change nothing.
ALLOWED = {
    "owner": set(ACTIONS),
    "shared": {"get", "rename", "settings", "open", "close", "waiting"},
    "other": set(),
    "guest": set(),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("who", ["owner", "shared", "other", "guest"])
async def test_permission_matrix(people: Any, who: str, action: str) -> None:
    owner: Person = people["owner"]
    room = await _room(owner, shared=people["shared_user"])
    before = (await owner.call("GET", f"/api/v1/rooms/{room['id']}")).json()

    response = await ACTIONS[action](people[who], room)

    if action in ALLOWED[who]:
        assert response.status_code < 300, response.text
        return
    expected = {"guest": {401}, "other": {404}, "shared": {403}}[who]
    assert response.status_code in expected, (who, action, response.status_code, response.text)
    after = await owner.call("GET", f"/api/v1/rooms/{room['id']}")
    assert after.status_code == 200 and after.json() == before


async def test_other_members_do_not_see_the_room_in_their_list(people: Any) -> None:
    await _room(people["owner"], shared=people["shared_user"])
    assert len((await people["shared"].call("GET", "/api/v1/rooms")).json()) == 1
    assert (await people["other"].call("GET", "/api/v1/rooms")).json() == []


async def test_anyone_may_open_when_the_room_says_so(people: Any) -> None:
    room = await _room(people["owner"], anyone_can_open=True)
    response = await people["other"].call("POST", f"/api/v1/rooms/{room['id']}/open")
    assert response.status_code == 200 and response.json()["state"] == "open"
    # Opening does not make them a manager of the room.
    close = await people["other"].call("POST", f"/api/v1/rooms/{room['id']}/close")
    assert close.status_code == 404


async def test_a_member_allowed_to_open_sees_only_what_they_may(people: Any) -> None:
    owner: Person = people["owner"]
    room = await _room(owner, shared=people["shared_user"], anyone_can_open=True)
    await owner.call("PATCH", f"/api/v1/rooms/{room['id']}", {"access_code": "4711"})

    opened = await people["other"].call("POST", f"/api/v1/rooms/{room['id']}/open")
    assert opened.status_code == 200
    assert opened.json() == {"id": room["id"], "name": "Weekly meeting", "state": "open"}
    for secret in ("4711", "shared@example.org", "owner@example.org", room["slug"]):
        assert secret not in opened.text

    # The room's managers keep the whole room (opening an open room changes nothing).
    for manager in ("owner", "shared"):
        full = await people[manager].call("POST", f"/api/v1/rooms/{room['id']}/open")
        assert full.status_code == 200
        body = full.json()
        assert body["access_code"] == "4711" and body["slug"] == room["slug"]
        assert [m["email"] for m in body["shared_with"]] == ["shared@example.org"]


async def test_the_open_button_by_room_number_needs_the_rooms_link(people: Any) -> None:
    owner: Person = people["owner"]
    other: Person = people["other"]
    room = await _room(owner, anyone_can_open=True)
    url = f"/rooms/{room['id']}/open"
    headers = {"x-csrf-token": other.csrf}

    for form in ({"then": "join"}, {"then": "join", "slug": "aaaa-bbbb-cccc"}):
        blind = await other.client.post(url, data=form, headers=headers)
        assert blind.status_code == 404 and room["slug"] not in blind.text
        assert "location" not in blind.headers
    assert (await owner.call("GET", f"/api/v1/rooms/{room['id']}")).json()["state"] == "closed"

    # From the link's page (the form sends the slug) the room opens and they go in.
    sent = await other.client.post(
        url, data={"then": "join", "slug": room["slug"]}, headers=headers
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/r/{room['slug']}"
    assert (await owner.call("GET", f"/api/v1/rooms/{room['id']}")).json()["state"] == "open"
    # The owner's own button, on the room's page, sends no slug and needs none.
    mine = await owner.client.post(url, data={}, headers={"x-csrf-token": owner.csrf})
    assert mine.status_code == 303 and mine.headers["location"] == f"/rooms/{room['id']}"


async def test_joining_by_id_needs_the_rooms_link(people: Any) -> None:
    owner: Person = people["owner"]
    room = await _room(owner, shared=people["shared_user"])
    await owner.call("POST", f"/api/v1/rooms/{room['id']}/open")
    join = f"/api/v1/rooms/{room['id']}/join"
    missing = await people["guest"].call("POST", "/api/v1/rooms/999999/join", {"name": "V"})
    assert missing.status_code == 404

    # Without the link (the slug), the room might as well not exist: no token, no hint.
    for who in ("guest", "other"):
        for body in ({"name": "V"}, {"name": "V", "slug": "aaaa-bbbb-cccc"}, {"slug": ""}):
            response = await people[who].call("POST", join, body)
            assert response.status_code == 404, (who, body, response.text)
            assert response.json() == missing.json() and "token" not in response.text
    # With it, people come in as they would from the link's page.
    for who in ("guest", "other"):
        body = {"name": "V", "slug": f" {room['slug'].upper()} "}
        response = await people[who].call("POST", join, body)
        assert response.status_code == 200 and response.json()["role"] == "participant"
    # The room's managers see the slug anyway: they need not send it.
    for manager in ("owner", "shared"):
        response = await people[manager].call("POST", join, {})
        assert response.status_code == 200 and response.json()["role"] == "moderator"


async def test_join_refusals(people: Any) -> None:
    owner: Person = people["owner"]
    guest: Person = people["guest"]
    room = await _room(owner)
    join = f"/api/v1/rooms/{room['id']}/join"

    closed = await guest.call("POST", join, {"slug": room["slug"], "name": "Visitor"})
    assert closed.status_code == 403 and closed.json()["code"] == "room_closed"

    await owner.call("POST", f"/api/v1/rooms/{room['id']}/open")
    nameless = await guest.call("POST", join, {"slug": room["slug"]})
    assert nameless.json()["code"] == "name_required"

    entered = await guest.call("POST", join, {"slug": room["slug"], "name": "Visitor"})
    assert entered.status_code == 200
    assert entered.json()["role"] == "participant" and entered.json()["is_guest"] is True

    await owner.call("PATCH", f"/api/v1/rooms/{room['id']}", {"allow_guests": False})
    members_only = await guest.call("POST", join, {"slug": room["slug"], "name": "Visitor"})
    assert members_only.status_code == 403 and members_only.json()["code"] == "guests_not_allowed"

    await owner.call(
        "PATCH", f"/api/v1/rooms/{room['id']}", {"allow_guests": True, "access_code": "4711"}
    )
    wrong = await guest.call(
        "POST", join, {"slug": room["slug"], "name": "Visitor", "access_code": "1234"}
    )
    assert wrong.json()["code"] == "bad_access_code"
    right = await guest.call(
        "POST", join, {"slug": room["slug"], "name": "Visitor", "access_code": " 4711 "}
    )
    assert right.status_code == 200
    # The owner needs no code and moderates.
    own = await owner.call("POST", join, {})
    assert own.status_code == 200 and own.json()["role"] == "moderator"


async def test_wrong_access_codes_are_rate_limited(people: Any) -> None:
    owner: Person = people["owner"]
    room = await _room(owner, access_code="4711")
    await owner.call("POST", f"/api/v1/rooms/{room['id']}/open")
    join = f"/api/v1/rooms/{room['id']}/join"
    for attempt in range(10):
        response = await people["guest"].call(
            "POST", join, {"slug": room["slug"], "name": "X", "access_code": f"{1000 + attempt}"}
        )
        assert response.json()["code"] == "bad_access_code"
    blocked = await people["guest"].call(
        "POST", join, {"slug": room["slug"], "name": "X", "access_code": "4711"}
    )
    assert blocked.status_code == 429


async def test_waiting_room_admit_and_refuse(people: Any) -> None:
    owner: Person = people["owner"]
    guest: Person = people["guest"]
    room = await _room(owner, waiting_room="guests")
    await owner.call("POST", f"/api/v1/rooms/{room['id']}/open")
    join = f"/api/v1/rooms/{room['id']}/join"

    waiting = await guest.call("POST", join, {"slug": room["slug"], "name": "Knocking"})
    assert waiting.status_code == 202 and waiting.json()["code"] == "waiting_for_approval"
    ticket = waiting.json()["waiting_ticket"]
    again = await guest.call(
        "POST", join, {"slug": room["slug"], "name": "Knocking", "waiting_ticket": ticket}
    )
    assert again.status_code == 202 and again.json()["waiting_ticket"] == ticket

    queue = (await owner.call("GET", f"/api/v1/rooms/{room['id']}/waiting")).json()
    assert [(e["display_name"], e["is_guest"]) for e in queue] == [("Knocking", True)]
    # A member who does not manage the room cannot admit anyone.
    entry = queue[0]["id"]
    refused = await people["other"].call(
        "POST", f"/api/v1/rooms/{room['id']}/waiting/{entry}/admit"
    )
    assert refused.status_code == 404

    await owner.call("POST", f"/api/v1/rooms/{room['id']}/waiting/{entry}/admit")
    entered = await guest.call(
        "POST", join, {"slug": room["slug"], "name": "Knocking", "waiting_ticket": ticket}
    )
    assert entered.status_code == 200
    assert (await owner.call("GET", f"/api/v1/rooms/{room['id']}/waiting")).json() == []

    second = await guest.call("POST", join, {"slug": room["slug"], "name": "Another"})
    other_entry = (await owner.call("GET", f"/api/v1/rooms/{room['id']}/waiting")).json()[0]
    await owner.call("POST", f"/api/v1/rooms/{room['id']}/waiting/{other_entry['id']}/refuse")
    no = await guest.call(
        "POST",
        join,
        {
            "slug": room["slug"],
            "name": "Another",
            "waiting_ticket": second.json()["waiting_ticket"],
        },
    )
    assert no.status_code == 403 and no.json()["code"] == "refused"

    # Members wait only when the waiting room holds everyone.
    member = await people["other"].call("POST", join, {"slug": room["slug"]})
    assert member.status_code == 200
    await owner.call("PATCH", f"/api/v1/rooms/{room['id']}", {"waiting_room": "everyone"})
    member = await people["other"].call("POST", join, {"slug": room["slug"]})
    assert member.status_code == 202


async def test_everyone_joins_as_moderator(people: Any) -> None:
    owner: Person = people["owner"]
    room = await _room(owner, all_moderators=True)
    await owner.call("POST", f"/api/v1/rooms/{room['id']}/open")
    guest = await people["guest"].call(
        "POST", f"/api/v1/rooms/{room['id']}/join", {"slug": room["slug"], "name": "G"}
    )
    assert guest.json()["role"] == "moderator"


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x" * 101},
        {"name": "<b>ok</b>", "waiting_room": "sometimes"},
        {"access_code": "12"},
        {"access_code": "abcd"},
        {"allow_guests": None},
        {"owner_id": 1},
    ],
)
async def test_bad_room_changes_change_nothing(people: Any, body: dict[str, Any]) -> None:
    owner: Person = people["owner"]
    room = await _room(owner)
    response = await owner.call("PATCH", f"/api/v1/rooms/{room['id']}", body)
    assert response.status_code == 422
    after = (await owner.call("GET", f"/api/v1/rooms/{room['id']}")).json()
    assert after["name"] == "Weekly meeting" and after["access_code"] is None


async def test_names_in_any_script_are_kept(people: Any) -> None:
    owner: Person = people["owner"]
    for name in ["Réunion d’équipe", "会議室", "اجتماع", "<script>x</script>"]:
        created = await owner.call("POST", "/api/v1/rooms", {"name": name})
        assert created.status_code == 201 and created.json()["name"] == name


async def test_forced_settings_cannot_be_changed(people: Any, db_session: AsyncSession) -> None:
    from parley.rooms import policies

    site = await policies.load(db=db_session)
    site["allow_guests"] = policies.Policy(value=False, forced=True)
    await policies.save(db=db_session, policies=site)
    room = await _room(people["owner"])
    assert room["allow_guests"] is False
    response = await people["owner"].call(
        "PATCH", f"/api/v1/rooms/{room['id']}", {"allow_guests": True}
    )
    assert response.status_code == 403 and response.json()["code"] == "setting_forced"
