"""Storage quotas of rooms and members, on both backends: what fits is kept, what does not is
refused with the figures and leaves nothing on disk, and uploads sent together never overshoot."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from parley import db, migrations
from parley.db import utcnow
from parley.documents import quota
from parley.meetings import service as meetings
from parley.rooms import service as rooms
from parley.settings import Settings
from tests.documents import samples
from tests.documents.presenters import Presenter, open_room
from tests.factories import log_in, make_user

pytestmark = pytest.mark.anyio

# 300,000 bytes: three fit in 1 MB (1,048,576 bytes), a fourth does not.
PART = 300_000


@pytest.fixture
def quotas() -> tuple[int, int]:
    """The room's and the member's quota in MB (0: none), overridden by a test's parameters."""
    return (1, 0)


@pytest.fixture
def settings(settings: Settings, quotas: tuple[int, int]) -> Settings:
    room, member = quotas
    # No worker: the files are counted, not rendered, and the machine stays quiet.
    return settings.model_copy(
        update={"room_storage_mb": room, "member_storage_mb": member, "jobs_in_process": False}
    )


@pytest.fixture
async def ada(app: FastAPI, client: httpx.AsyncClient) -> Presenter:
    async with app.state.runtime.database() as db:
        user = await make_user(db, email="ada@example.org", name="Ada")
    return await open_room(app, client, await log_in(client, user.email), "Ada's room")


def _stored(settings: Settings) -> list[Path]:
    """Every file kept under the documents folder (uploads being received included)."""
    root = settings.effective_documents_dir
    return sorted(path for path in root.rglob("*") if path.is_file())


async def test_uploads_fill_the_room_and_the_next_is_refused_with_the_figures(
    ada: Presenter, settings: Settings
) -> None:
    for _ in range(3):
        response = await ada.upload(samples.pdf_of_size(PART))
        assert response.status_code == 201, response.text
    kept = _stored(settings)
    assert len(kept) == 3

    # Declared beforehand (refused before it is received), or streamed (refused once counted).
    for chunked in (False, True):
        refused = await ada.upload(samples.pdf_of_size(PART), chunked=chunked)
        assert refused.status_code == 413, refused.text
        body = refused.json()
        assert body["code"] == "quota_exceeded"
        assert body["detail"] == (
            "This room uses 0.9 MB of 1 MB: this file of 0.3 MB does not fit. "
            "Delete a document of the room to make space."
        )
        assert (body["quota"], body["used"], body["limit"]) == ("room", 3 * PART, 1024 * 1024)
        assert _stored(settings) == kept

    french = await ada.upload(samples.pdf_of_size(PART), chunked=True, language="fr")
    assert french.status_code == 413
    assert french.json()["detail"].startswith(
        "Cette salle utilise 0,9 Mo sur 1 Mo : ce fichier de 0,3 Mo n’y tient pas."
    )
    # What is left fits still.
    small = await ada.upload(samples.pdf_of_size(1024 * 1024 - 3 * PART))
    assert small.status_code == 201, small.text
    usage = await ada.usage()
    assert usage["room"] == {"used": 1024 * 1024, "limit": 1024 * 1024}
    assert usage["lines"] == ["Room: 1 MB of 1 MB used", "Your documents: 1 MB used, no limit"]


async def test_uploads_sent_together_take_only_what_fits(
    ada: Presenter, settings: Settings
) -> None:
    answers = await asyncio.gather(
        *(ada.upload(samples.pdf_of_size(PART), chunked=True) for _ in range(5))
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201, 201, 201, 413, 413], [a.text for a in answers]
    assert (await ada.usage())["room"]["used"] == 3 * PART
    assert len(_stored(settings)) == 3


@pytest.mark.parametrize("quotas", [(0, 1)])
async def test_a_members_quota_counts_their_uploads_in_every_room(
    app: FastAPI, ada: Presenter, settings: Settings
) -> None:
    second = await open_room(app, ada.client, ada.csrf, "Ada's other room")
    assert (await ada.upload(samples.pdf_of_size(PART))).status_code == 201
    assert (await ada.upload(samples.pdf_of_size(PART))).status_code == 201
    assert (await second.upload(samples.pdf_of_size(PART))).status_code == 201
    refused = await second.upload(samples.pdf_of_size(PART))
    assert refused.status_code == 413
    assert refused.json()["detail"] == (
        "Your documents use 0.9 MB of your 1 MB: this file of 0.3 MB does not fit. "
        "Delete one of your documents to make space."
    )
    usage = await second.usage()
    assert usage["room"] == {"used": PART, "limit": None}
    assert usage["member"] == {"used": 3 * PART, "limit": 1024 * 1024}
    assert usage["lines"] == [
        "Room: 0.3 MB used, no limit",
        "Your documents: 0.9 MB of 1 MB used",
    ]
    # Another member's quota is theirs: Bea, with whom Ada shares the room, still has 1 MB.
    async with app.state.runtime.database() as db:
        bea_user = await make_user(db, email="bea@example.org", name="Bea")
    shared = await ada.client.post(
        f"/api/v1/rooms/{second.room['id']}/shares",
        json={"email": bea_user.email},
        headers={"x-csrf-token": ada.csrf},
    )
    assert shared.status_code == 201, shared.text
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as other:
        csrf = await log_in(other, bea_user.email)
        joined = await other.post(
            f"/api/v1/rooms/{second.room['id']}/join", json={}, headers={"x-csrf-token": csrf}
        )
        bea = Presenter(app, other, csrf, second.room, joined.json()["token"])
        async with app.state.runtime.database() as db:
            await meetings.connect(db=db, bus=app.state.runtime.bus, claims=bea.claims)
        assert (await bea.upload(samples.pdf_of_size(PART))).status_code == 201


async def test_deleting_a_document_frees_its_space(ada: Presenter, settings: Settings) -> None:
    ids = []
    for _ in range(3):
        response = await ada.upload(samples.pdf_of_size(PART))
        assert response.status_code == 201
        ids.append(response.json()["id"])
    assert (await ada.upload(samples.pdf_of_size(PART))).status_code == 413
    await ada.delete(ids[0])
    assert (await ada.usage())["room"]["used"] == 2 * PART
    assert len(_stored(settings)) == 2
    assert (await ada.upload(samples.pdf_of_size(PART))).status_code == 201


async def _guest(app: FastAPI, guest: httpx.AsyncClient, room: dict[str, Any]) -> Presenter:
    """Bea, a guest without an account, in the room's meeting as a participant."""
    await guest.get("/")
    csrf = guest.cookies["parley_csrf"]
    joined = await guest.post(
        f"/api/v1/rooms/{room['id']}/join",
        json={"name": "Bea", "slug": room["slug"]},
        headers={"x-csrf-token": csrf},
    )
    assert joined.status_code == 200, joined.text
    bea = Presenter(app, guest, csrf, room, joined.json()["token"])
    async with app.state.runtime.database() as session:
        await meetings.connect(db=session, bus=app.state.runtime.bus, claims=bea.claims)
    return bea


async def test_a_participant_who_is_not_a_moderator_is_not_told_the_usage(
    app: FastAPI, ada: Presenter
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as guest:
        bea = await _guest(app, guest, ada.room)
        guest.cookies.set("parley_join", bea.token)
        response = await guest.get(f"/r/{ada.room['slug']}/documents/usage")
        assert response.status_code == 403
        assert "used" not in response.text


@pytest.mark.parametrize("quotas", [(1, 1)])
async def test_a_guest_made_moderator_uploads_for_the_room_only(
    app: FastAPI, ada: Presenter
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as guest:
        bea = await _guest(app, guest, ada.room)
        async with app.state.runtime.database() as session:
            await meetings.set_role(
                db=session,
                bus=app.state.runtime.bus,
                claims=ada.claims,
                target=bea.claims.participant_id,
                role="moderator",
            )
        assert (await bea.upload(samples.pdf_of_size(2 * PART))).status_code == 201
        usage = await bea.usage()
        assert usage["member"] is None and usage["lines"] == ["Room: 0.6 MB of 1 MB used"]
        # Ada's own quota is untouched; the room's is what is left for both.
        assert (await ada.usage())["member"]["used"] == 0
        refused = await ada.upload(samples.pdf_of_size(2 * PART))
        assert refused.status_code == 413 and refused.json()["quota"] == "room"


async def test_uploads_from_before_the_quotas_count_for_their_member(database_url: str) -> None:
    engine = db.create_engine(database_url)
    try:
        async with db.session_factory(engine)() as session:
            user = await make_user(session, email="ada@example.org")
            room = await rooms.create(db=session, owner=user, name="Old room")
            user_id, room_id = user.id, room.id
        await migrations.downgrade(engine, "0013")
        # As revision 0013 (before the quotas) keeps them: the uploader is only a participant id.
        insert = text(
            "INSERT INTO presentations (room_id, filename, kind, size, uploaded_by, "
            "uploader_name, status, pages, done, sizes, downloadable, created_at) VALUES "
            "(:room, 'old.pdf', 'pdf', :size, :by, 'Ada', 'ready', 1, 1, '[]', :no, :now)"
        )
        async with engine.begin() as connection:
            for uploaded_by, size in ((f"u{user_id}", 1000), ("g5f3a", 2000)):
                await connection.execute(
                    insert,
                    {
                        "room": room_id,
                        "size": size,
                        "by": uploaded_by,
                        "no": False,
                        "now": utcnow(),
                    },
                )
    finally:
        await migrations.upgrade(engine)
    try:
        async with db.session_factory(engine)() as session:
            assert await quota.member_used(db=session, user_id=user_id) == 1000
            assert await quota.room_used(db=session, room_id=room_id) == 3000
    finally:
        await engine.dispose()
