"""The administration's storage page: rooms and members by the space their documents take."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from parley.settings import Settings
from tests.documents import samples
from tests.documents.presenters import open_room
from tests.factories import log_in, make_user

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"room_storage_mb": 1, "member_storage_mb": 2, "jobs_in_process": False}
    )


async def _member(app: FastAPI, email: str, name: str, *, admin: bool = False) -> httpx.AsyncClient:
    async with app.state.runtime.database() as db:
        await make_user(db, email=email, name=name, admin=admin)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    client.headers["x-csrf-token"] = await log_in(client, email)
    return client


def _cells(page: str) -> list[list[str]]:
    """The rows of the page's tables, as the text of their cells."""
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    return [
        [
            re.sub(r"<[^>]+>|\s+", " ", cell).strip()
            for cell in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        for row in rows
        if "<td>" in row
    ]


async def test_administrators_see_rooms_and_members_by_usage(app: FastAPI) -> None:
    ada = await _member(app, "ada@example.org", "Ada")
    bea = await _member(app, "bea@example.org", "Bea")
    grace = await _member(app, "grace@example.org", "Grace", admin=True)
    try:
        small = await open_room(app, ada, ada.headers["x-csrf-token"], "Small room")
        large = await open_room(app, bea, bea.headers["x-csrf-token"], "Large room")
        assert (await small.upload(samples.pdf_of_size(200_000))).status_code == 201
        for _ in range(2):
            assert (await large.upload(samples.pdf_of_size(300_000))).status_code == 201

        page = await grace.get("/admin/storage")
        assert page.status_code == 200
        assert _cells(page.text) == [
            ["Large room", "Bea", "2", "0.6 MB of 1 MB"],
            ["Small room", "Ada", "1", "0.2 MB of 1 MB"],
            ["Bea", "bea@example.org", "2", "0.6 MB of 2 MB"],
            ["Ada", "ada@example.org", "1", "0.2 MB of 2 MB"],
        ]
        assert 'href="/admin/storage" aria-current="page"' in page.text
        french = await grace.get("/admin/storage", headers={"accept-language": "fr"})
        assert _cells(french.text)[0] == ["Large room", "Bea", "2", "0,6 Mo sur 1 Mo"]
        assert "Stockage" in french.text
        # Linked from every page of the administration.
        assert 'href="/admin/storage"' in (await grace.get("/admin/users")).text

        refused = await ada.get("/admin/storage")
        assert refused.status_code == 403
        assert "Large room" not in refused.text and "bea@example.org" not in refused.text
    finally:
        for client in (ada, bea, grace):
            await client.aclose()


async def test_someone_not_logged_in_is_sent_to_log_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/storage")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Fstorage"
