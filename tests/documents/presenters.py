"""Members presenting in a room's meeting, through the app in the test's process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from parley.documents import service
from parley.meetings import service as meetings
from parley.rooms import service as rooms
from parley.rooms.service import JoinClaims


@dataclass
class Presenter:
    """A member in a room's meeting, as its moderator: an HTTP client holding the join token."""

    app: FastAPI
    client: httpx.AsyncClient
    csrf: str
    room: dict[str, Any]
    token: str

    @property
    def claims(self) -> JoinClaims:
        claims = rooms.read_join(self.app.state.runtime.secret, self.token)
        assert claims is not None
        return claims

    async def upload(
        self, body: bytes, *, chunked: bool = False, language: str = "en"
    ) -> httpx.Response:
        """Send a file as the page does; `chunked`: without a Content-Length, as a stream."""

        async def pieces() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 64 * 1024):
                yield body[start : start + 64 * 1024]

        self.client.cookies.set("parley_join", self.token)
        return await self.client.post(
            f"/r/{self.room['slug']}/documents",
            content=pieces() if chunked else body,
            headers={
                "x-csrf-token": self.csrf,
                "x-filename": "deck.pdf",
                "content-type": "application/octet-stream",
                "accept-language": language,
            },
        )

    async def usage(self) -> dict[str, Any]:
        self.client.cookies.set("parley_join", self.token)
        response = await self.client.get(f"/r/{self.room['slug']}/documents/usage")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def delete(self, presentation_id: int) -> None:
        """Delete a document, as the Documents box's button does over the board's socket."""
        async with self.app.state.runtime.database() as db:
            await service.delete_presentation(
                db=db,
                bus=self.app.state.runtime.bus,
                claims=self.claims,
                presentation_id=presentation_id,
                root=self.app.state.runtime.settings.effective_documents_dir,
            )


async def open_room(app: FastAPI, client: httpx.AsyncClient, csrf: str, name: str) -> Presenter:
    headers = {"x-csrf-token": csrf}
    room = (await client.post("/api/v1/rooms", json={"name": name}, headers=headers)).json()
    opened = await client.post(f"/api/v1/rooms/{room['id']}/open", headers=headers)
    assert opened.status_code == 200, opened.text
    joined = await client.post(f"/api/v1/rooms/{room['id']}/join", json={}, headers=headers)
    assert joined.status_code == 200, joined.text
    presenter = Presenter(app, client, csrf, room, joined.json()["token"])
    # In the meeting, as the meeting's socket makes a participant.
    async with app.state.runtime.database() as db:
        await meetings.connect(db=db, bus=app.state.runtime.bus, claims=presenter.claims)
    return presenter
