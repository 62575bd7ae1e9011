"""The meeting socket, `/r/<slug>/live`.

A participant (holding a join token for the current meeting) is handed to the meeting hub
(`parley.meetings.hub`, protocol in `parley.meetings.protocol`, events in
`parley.meetings.events`). Someone on the "not open yet" or waiting page is a watcher: told
the moment the room opens or they are let in. Events come from the bus, so every process
tells its own sockets about changes made on any process.
"""

from __future__ import annotations

import json
import logging
from contextlib import nullcontext, suppress
from typing import Any

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.accounts import service as accounts
from parley.bus import SubscriptionOverflow
from parley.csrf import SESSION_COOKIE
from parley.meetings import connection
from parley.rooms import channel, service
from parley.rooms.models import WaitingEntry
from parley.rooms.service import JOIN_COOKIE, WAIT_COOKIE
from parley.runtime import runtime_of
from parley.sockets import CloseCode, origin_ok

log = logging.getLogger(__name__)
router = APIRouter()

# The reason given with CloseCode.TOO_MANY (see PARLEY_ANONYMOUS_SOCKETS_PER_ADDRESS).
TOO_MANY_ANONYMOUS = "Too many connections from your address without logging in."


@router.websocket("/r/{slug}/live")
async def live(websocket: WebSocket, slug: str) -> None:
    if not origin_ok(websocket):
        await websocket.close(code=CloseCode.POLICY_VIOLATION)
        return
    runtime = runtime_of(websocket)
    async with runtime.database() as db:
        room = await service.get_by_slug(db=db, slug=slug)
        if room is None:
            await websocket.close(code=CloseCode.POLICY_VIOLATION)
            return
        claims = service.read_join(runtime.secret, websocket.cookies.get(JOIN_COOKIE, ""))
        if claims is not None and (
            claims.room_id != room.id
            or claims.meeting_number != room.meeting_number
            or not room.is_open
        ):
            claims = None
        entry = None
        if claims is None and (ticket := websocket.cookies.get(WAIT_COOKIE)):
            entry = await service.waiting_entry(db=db, room=room, ticket=ticket)
        room_id = room.id

        anonymous = await _anonymous(websocket, db, claims)

    address = websocket.client.host if websocket.client else ""
    slots = runtime.anonymous_sockets
    with slots.hold(address) if anonymous else nullcontext(True) as granted:
        await websocket.accept()
        if not granted:
            await websocket.close(code=CloseCode.TOO_MANY, reason=TOO_MANY_ANONYMOUS)
            return
        if claims is not None:
            # A participant: the meeting hub holds the socket (and one subscription for the room).
            await connection.serve(websocket, runtime.hubs, claims)
            return
        async with runtime.bus.subscribe(channel.name(room_id)) as subscription:
            # Subscribed before the state is read, so no change between the two is missed.
            await _watcher(
                websocket, runtime.database, room_id, entry.id if entry else None, subscription
            )


async def _anonymous(
    websocket: WebSocket, db: AsyncSession, claims: service.JoinClaims | None
) -> bool:
    """Whether nobody logged in holds this socket: a guest, or someone waiting unknown."""
    if claims is not None:
        return claims.is_guest
    token = websocket.cookies.get(SESSION_COOKIE)
    return token is None or await accounts.user_for_session(db=db, token=token) is None


async def _send(websocket: WebSocket, event: dict[str, Any]) -> None:
    await websocket.send_text(json.dumps(event))


async def _watcher(
    websocket: WebSocket,
    database: async_sessionmaker[AsyncSession],
    room_id: int,
    entry_id: int | None,
    subscription: Any,
) -> None:
    """Tell a person outside the room the moment they can come in (or cannot)."""

    async def current() -> dict[str, Any] | None:
        async with database() as db:
            room = await service.get(db=db, room_id=room_id)
            if room is None:
                return {"type": "closed"}
            if entry_id is None:
                return {"type": "opened"} if room.is_open else None
            entry = await db.get(WaitingEntry, entry_id)
            if entry is None or not room.is_open:
                return {"type": "closed"}
            return {"admitted": {"type": "admitted"}, "refused": {"type": "refused"}}.get(
                entry.status
            )

    try:
        async with anyio.create_task_group() as group:

            async def events() -> None:
                with suppress(WebSocketDisconnect, RuntimeError, SubscriptionOverflow):
                    state = await current()
                    if state is None:
                        async for raw in subscription:
                            event = json.loads(raw)
                            if event.get("type") in {"opened", "closed", "decision"}:
                                state = await current()
                                if state is not None:
                                    break
                    if state is not None:
                        await _send(websocket, state)
                group.cancel_scope.cancel()

            group.start_soon(events)
            await _drain(websocket)
            group.cancel_scope.cancel()
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        with suppress(Exception):
            await websocket.close()


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends until it goes away."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
