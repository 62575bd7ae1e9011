"""The accounts API, as a program or a page's script uses it; every refusal changes nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import User
from tests.factories import PASSWORD, log_in, make_user

pytestmark = pytest.mark.anyio


async def _user_count(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(User)) or 0)


async def test_login_sets_a_safe_session_cookie(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user = await make_user(db_session, email="ada@example.org")
    response = await client.post(
        "/api/v1/auth/login", json={"email": "ADA@example.org", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["user"]["id"] == user.id
    cookie = next(c for c in response.headers.get_list("set-cookie") if "parley_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")

    me = await client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["email"] == "ada@example.org"


async def test_wrong_login_is_refused_clearly(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user = await make_user(db_session)
    response = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": "not the password"}
    )
    assert response.status_code == 401
    assert response.json() == {"code": "bad_credentials", "detail": "Wrong email or password."}
    assert "parley_session" not in response.headers.get("set-cookie", "")
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_failed_logins_are_rate_limited(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user = await make_user(db_session)
    for _ in range(10):
        response = await client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": "guess"}
        )
        assert response.status_code == 401
    response = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"


async def test_malformed_json_gets_a_clear_error(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=b'{"email": "a@b.org", "password": ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


async def test_api_requires_authentication(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_bearer_tokens_authenticate_until_revoked(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user = await make_user(db_session)
    csrf = await log_in(client, user.email)
    created = await client.post(
        "/api/v1/tokens", json={"name": "my LMS"}, headers={"x-csrf-token": csrf}
    )
    assert created.status_code == 201
    token = created.json()["token"]
    listed = (await client.get("/api/v1/tokens")).json()
    assert [t["name"] for t in listed] == ["my LMS"] and "token" not in listed[0]

    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as bot:
        headers = {"authorization": f"Bearer {token}"}
        assert (await bot.get("/api/v1/me", headers=headers)).json()["id"] == user.id
        # A bearer-authenticated call needs no CSRF token: it carries no ambient authority.
        renamed = await bot.patch("/api/v1/me", json={"display_name": "Bot"}, headers=headers)
        assert renamed.status_code == 200

        revoked = await client.delete(
            f"/api/v1/tokens/{created.json()['id']}", headers={"x-csrf-token": csrf}
        )
        assert revoked.status_code == 204
        refused = await bot.get("/api/v1/me", headers=headers)
        assert refused.status_code == 401 and refused.json()["code"] == "bad_token"


async def test_cookie_authenticated_changes_need_the_csrf_token(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user = await make_user(db_session, name="Ada")
    csrf = await log_in(client, user.email)

    missing = await client.patch("/api/v1/me", json={"display_name": "Mallory"})
    assert missing.status_code == 403 and missing.json()["code"] == "csrf"
    wrong = await client.patch(
        "/api/v1/me", json={"display_name": "Mallory"}, headers={"x-csrf-token": "forged.value"}
    )
    assert wrong.status_code == 403
    foreign = await client.patch(
        "/api/v1/me",
        json={"display_name": "Mallory"},
        headers={"x-csrf-token": csrf, "origin": "https://evil.example"},
    )
    assert foreign.status_code == 403

    assert (await client.get("/api/v1/me")).json()["display_name"] == "Ada"
    ok = await client.patch(
        "/api/v1/me", json={"display_name": "Ada L."}, headers={"x-csrf-token": csrf}
    )
    assert ok.status_code == 200 and ok.json()["display_name"] == "Ada L."


@pytest.mark.parametrize(
    "body",
    [
        {"display_name": "x" * 101},
        {"display_name": ""},
        {"display_name": "tab\tname"},
        {"language": "de"},
        {"is_admin": True},
    ],
)
async def test_bad_profile_updates_change_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession, body: dict[str, object]
) -> None:
    user = await make_user(db_session, name="Ada")
    csrf = await log_in(client, user.email)
    response = await client.patch("/api/v1/me", json=body, headers={"x-csrf-token": csrf})
    assert response.status_code == 422
    me = (await client.get("/api/v1/me")).json()
    assert me["display_name"] == "Ada" and me["is_admin"] is False and me["language"] is None


async def test_only_administrators_manage_accounts(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    member = await make_user(db_session)
    admin = await make_user(db_session, admin=True)
    count = await _user_count(db_session)

    csrf = await log_in(client, member.email)
    new = {"email": "new@example.org", "display_name": "New", "password": PASSWORD}
    refused = await client.post("/api/v1/users", json=new, headers={"x-csrf-token": csrf})
    assert refused.status_code == 403
    promote = await client.patch(
        f"/api/v1/users/{member.id}", json={"is_admin": True}, headers={"x-csrf-token": csrf}
    )
    assert promote.status_code == 403
    assert (await client.get("/api/v1/users")).status_code == 403
    assert await _user_count(db_session) == count

    csrf = await log_in(client, admin.email)
    created = await client.post("/api/v1/users", json=new, headers={"x-csrf-token": csrf})
    assert created.status_code == 201
    # An administrator vouches for the address typed: invitations by address reach it at once.
    assert created.json()["email_verified"] is True
    again = await client.post("/api/v1/users", json=new, headers={"x-csrf-token": csrf})
    assert again.status_code == 409 and again.json()["code"] == "email_taken"
    promoted = await client.patch(
        f"/api/v1/users/{member.id}", json={"is_admin": True}, headers={"x-csrf-token": csrf}
    )
    assert promoted.json()["is_admin"] is True
    assert await _user_count(db_session) == count + 1


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "display_name": "X", "password": PASSWORD},
        {"email": "a@example.org", "display_name": "X", "password": "short"},
        {"email": "a@example.org", "display_name": "X" * 101, "password": PASSWORD},
        {"email": ("a" * 250) + "@example.org", "display_name": "X", "password": PASSWORD},
        {"email": "a@example.org", "display_name": "X", "password": "p" * 1025},
    ],
)
async def test_bad_new_accounts_are_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, body: dict[str, object]
) -> None:
    admin = await make_user(db_session, admin=True)
    count = await _user_count(db_session)
    csrf = await log_in(client, admin.email)
    response = await client.post("/api/v1/users", json=body, headers={"x-csrf-token": csrf})
    assert response.status_code == 422 and response.json()["errors"]
    assert await _user_count(db_session) == count


async def test_logout_ends_the_session(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    user = await make_user(db_session)
    csrf = await log_in(client, user.email)
    old_cookie = client.cookies.get("parley_session")
    response = await client.post("/api/v1/auth/logout", headers={"x-csrf-token": csrf})
    assert response.status_code == 204
    assert (await client.get("/api/v1/me")).status_code == 401
    # The old cookie, replayed, is dead on the server too.
    client.cookies.set("parley_session", old_cookie or "")
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_openapi_documents_the_api(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert {"/api/v1/auth/login", "/api/v1/me", "/api/v1/tokens"} <= set(document["paths"])
    assert not any(path.startswith(("/login", "/admin")) for path in document["paths"])
