"""A running `parley serve`, two members with app passwords made on their profile pages,
and the videoconference resource set on the administrators' calendar page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.browser.people import PASSWORD, make_member
from tests.browser.server import ParleyServer

RESOURCE = "visio@example.org"


@dataclass
class Member:
    email: str
    app_password: str
    web: httpx.Client

    def close(self) -> None:
        self.web.close()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF field on the page"
    return found.group(1)


def log_in(server: ParleyServer, email: str) -> httpx.Client:
    """A browser-like client logged in through the login form."""
    web = httpx.Client(base_url=server.url, timeout=30, follow_redirects=True)
    page = web.get("/login").text
    answer = web.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": _csrf(page)}
    )
    assert answer.status_code == 200 and "parley_session" in web.cookies
    return web


def new_app_password(web: httpx.Client, label: str) -> str:
    """Make an app password on the profile page; return the one shown."""
    page = web.get("/profile").text
    answer = web.post("/profile/app-passwords", data={"name": label, "csrf_token": _csrf(page)})
    assert answer.status_code == 200
    shown = re.search(r'<code id="new-app-password">([^<]+)</code>', answer.text)
    assert shown, "the new app password is not shown"
    return shown.group(1)


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParleyServer]:
    with ParleyServer(tmp_path_factory.mktemp("caldav")) as running:
        make_member(running, "root@example.org", "Root", admin=True)
        admin = log_in(running, "root@example.org")
        page = admin.get("/admin/calendar").text
        saved = admin.post(
            "/admin/calendar",
            data={"csrf_token": _csrf(page), "offer_parley": "on", "resource": RESOURCE},
        )
        assert saved.status_code == 200, saved.text
        admin.close()
        yield running


def _member(server: ParleyServer, email: str, name: str) -> Iterator[Member]:
    make_member(server, email, name)
    web = log_in(server, email)
    member = Member(email=email, app_password=new_app_password(web, "Phone"), web=web)
    yield member
    member.close()


@pytest.fixture(scope="package")
def ada(server: ParleyServer) -> Iterator[Member]:
    yield from _member(server, "ada@example.org", "Ada")


@pytest.fixture(scope="package")
def bob(server: ParleyServer) -> Iterator[Member]:
    yield from _member(server, "bob@example.org", "Bob")
