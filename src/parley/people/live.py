"""Every page's own connection, `/live`: presence, ringing, notifications.

One WebSocket per open page of a logged-in member. It counts the person as online, brings
them what their bus channel says (a call ringing, an invitation answered, a new
notification), and tells the page about the presence of the people it shows (`watch`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parley.accounts import service as accounts
from parley.bus import SubscriptionOverflow
from parley.csrf import SESSION_COOKIE
from parley.people import service
from parley.people.presence import Presence
from parley.runtime import runtime_of
from parley.sockets import CloseCode, origin_ok, write_outbox

log = logging.getLogger(__name__)
router = APIRouter()

# A page shows at most this many people's presence (the People page is paged by search).
WATCH_LIMIT = 500
OUTBOX_LIMIT = 200
PING_SECONDS = 25


class Watch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(pattern="^watch$")
    users: list[int] = Field(max_length=WATCH_LIMIT)


@router.websocket("/live")
async def live(websocket: WebSocket) -> None:
    if not origin_ok(websocket):
        await websocket.close(code=CloseCode.POLICY_VIOLATION)
        return
    runtime = runtime_of(websocket)
    bus, presence = runtime.bus, runtime.presence
    async with runtime.database() as db:
        user = await accounts.user_for_session(
            db=db, token=websocket.cookies.get(SESSION_COOKIE, "")
        )
        if user is None:
            await websocket.close(code=CloseCode.POLICY_VIOLATION)
            return
        hello = {
            "type": "hello",
            "unread": await service.unread(db, user.id),
            "ringing": await service.ringing(db=db, user=user),
            "do_not_disturb": user.do_not_disturb,
        }
        user_id, busy = user.id, user.do_not_disturb
    await websocket.accept()
    outbox: asyncio.Queue[str | None] = asyncio.Queue(maxsize=OUTBOX_LIMIT)

    def offer(event: dict[str, Any]) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            outbox.put_nowait(json.dumps(event))

    def on_presence(member_id: int, state: str) -> None:
        offer({"type": "presence", "states": {str(member_id): state}})

    async with bus.subscribe(service.channel(user_id)) as subscription:
        offer(hello)
        await presence.page_opened(user_id, busy=busy)
        tasks = [
            asyncio.create_task(write_outbox(websocket, outbox, ping_seconds=PING_SECONDS)),
            asyncio.create_task(_forward(subscription, presence, user_id, offer)),
        ]
        try:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await _read(websocket, presence, on_presence, offer)
        finally:
            presence.unwatch(on_presence)
            for task in tasks:
                task.cancel()
            with contextlib.suppress(Exception):
                await presence.page_closed(user_id)
            with contextlib.suppress(Exception):
                await websocket.close()


async def _forward(subscription: Any, presence: Presence, user_id: int, offer: Any) -> None:
    with contextlib.suppress(SubscriptionOverflow):
        async for raw in subscription:
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            if event.get("type") == "availability":
                await presence.set_busy(user_id, bool(event.get("do_not_disturb")))
            offer(event)


async def _read(websocket: WebSocket, presence: Presence, on_presence: Any, offer: Any) -> None:
    while True:
        text = await websocket.receive_text()
        if len(text) > 16_384:
            offer({"type": "error", "code": "too_large"})
            continue
        try:
            message = Watch.model_validate_json(text)
        except ValidationError:
            offer({"type": "error", "code": "invalid"})
            continue
        presence.unwatch(on_presence)
        presence.watch(message.users, on_presence)
        states = presence.states(message.users)
        offer({"type": "presence", "states": {str(k): v for k, v in states.items()}})
