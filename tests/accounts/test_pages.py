"""The account pages through plain HTTP forms: setup, login, redirects, escaping, language."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts import service as accounts
from tests.factories import PASSWORD, log_in, make_user

pytestmark = pytest.mark.anyio


async def _csrf(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


async def _login(client: httpx.AsyncClient, email: str, next_: str = "/") -> httpx.Response:
    token = await _csrf(client, "/login")
    return await client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "next": next_, "csrf_token": token},
    )


async def test_first_run_goes_to_setup_and_creates_the_administrator(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    home = await client.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/setup"
    token = await _csrf(client, "/setup")
    bad = await client.post(
        "/setup",
        data={"display_name": "", "email": "nope", "password": "x", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert "This field is required." in bad.text and "At least 8 characters." in bad.text
    assert await accounts.count_admins(db=db_session) == 0

    done = await client.post(
        "/setup",
        data={
            "display_name": "Ada",
            "email": "ada@example.org",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert await accounts.count_admins(db=db_session) == 1
    assert "Hello, Ada" in (await client.get("/")).text
    # Once set up, the setup page leads to the login page and creates nobody else.
    assert (await client.get("/setup")).headers["location"] == "/login"


async def test_protected_page_sends_to_login_and_back(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user = await make_user(db_session, admin=True)
    response = await client.get("/profile?tab=tokens")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fprofile%3Ftab%3Dtokens"
    done = await _login(client, user.email, next_="/profile?tab=tokens")
    assert done.status_code == 303 and done.headers["location"] == "/profile?tab=tokens"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
async def test_next_never_leaves_the_site(
    client: httpx.AsyncClient, db_session: AsyncSession, target: str
) -> None:
    user = await make_user(db_session, admin=True)
    page = await client.get("/login", params={"next": target})
    assert target not in page.text
    done = await _login(client, user.email, next_=target)
    assert done.headers["location"] == "/"


async def test_wrong_password_shows_a_clear_message(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user = await make_user(db_session, admin=True)
    token = await _csrf(client, "/login")
    response = await client.post(
        "/login", data={"email": user.email, "password": "nope", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Wrong email or password." in response.text
    assert user.email in response.text  # the email typed is kept in the form
    assert "parley_session" not in response.headers.get("set-cookie", "")


async def test_forms_without_the_csrf_token_are_refused(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user = await make_user(db_session, admin=True)
    response = await client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "Reload the page" in response.text
    assert "parley_session" not in response.headers.get("set-cookie", "")

    await _login(client, user.email)
    rename = await client.post("/profile", data={"display_name": "Mallory"})
    assert rename.status_code == 403
    assert (await client.get("/api/v1/me")).json()["display_name"] == user.display_name


async def test_names_are_escaped_on_every_page(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    hostile = "<script>alert(1)</script>'; DROP TABLE users; --"
    admin = await make_user(db_session, admin=True, name=hostile)
    await make_user(db_session, name=hostile + " 2")
    await _login(client, admin.email)
    for path in ["/", "/profile", "/admin/users"]:
        page = await client.get(path)
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text, path
    # The name was stored as typed and the table is still there.
    assert (await client.get("/api/v1/me")).json()["display_name"] == hostile


async def test_french_from_the_browser_then_from_the_profile(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    user = await make_user(db_session, admin=True)
    page = await client.get("/login", headers={"accept-language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in page.text and "Connexion à Parley" in page.text

    await _login(client, user.email)
    token = await _csrf(client, "/profile")
    await client.post(
        "/profile", data={"display_name": user.display_name, "language": "fr", "csrf_token": token}
    )
    home = await client.get("/", headers={"accept-language": "en"})
    assert "Bonjour" in home.text and "Salles" in home.text


async def test_signup_follows_the_administrators_choice(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    admin = await make_user(db_session, admin=True)
    assert (await client.get("/signup")).status_code == 403

    await _login(client, admin.email)
    token = await _csrf(client, "/admin/users")
    await client.post("/admin/settings", data={"signup_enabled": "on", "csrf_token": token})
    await client.post("/logout", data={"csrf_token": token})

    token = await _csrf(client, "/signup")
    response = await client.post(
        "/signup",
        data={
            "display_name": "Grace",
            "email": "grace@example.org",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    # The account exists, its address still to be confirmed by the link mailed there.
    assert response.status_code == 200 and "Check your mailbox" in response.text
    await log_in(client, "grace@example.org")
    me = (await client.get("/api/v1/me")).json()
    assert me["email"] == "grace@example.org" and me["is_admin"] is False


async def test_admin_disables_and_promotes_from_the_page(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    admin = await make_user(db_session, admin=True)
    member = await make_user(db_session)
    await _login(client, admin.email)
    token = await _csrf(client, "/admin/users")
    await client.post(f"/admin/users/{member.id}", data={"action": "promote", "csrf_token": token})
    await client.post(f"/admin/users/{member.id}", data={"action": "disable", "csrf_token": token})
    bogus = await client.post(
        f"/admin/users/{member.id}", data={"action": "delete-all", "csrf_token": token}
    )
    assert bogus.status_code == 403
    users = {u["id"]: u for u in (await client.get("/api/v1/users")).json()}
    assert users[member.id]["is_admin"] is True and users[member.id]["is_active"] is False


async def test_members_cannot_open_the_administration(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await make_user(db_session, admin=True)
    member = await make_user(db_session)
    await _login(client, member.email)
    assert (await client.get("/admin/users")).status_code == 403
    assert "Administration" not in (await client.get("/")).text


async def test_unknown_pages_are_a_clear_404(client: httpx.AsyncClient) -> None:
    page = await client.get("/no/such/page")
    assert page.status_code == 404 and "This page does not exist." in page.text
    api = await client.get("/api/v1/nothing")
    assert api.status_code == 404 and api.json()["code"] == "not_found"
