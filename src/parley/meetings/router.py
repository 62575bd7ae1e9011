"""What the server does with each message a participant sends on the meeting socket.

One handler per message type of `parley.meetings.protocol`, registered with `@on(...)`:

    @on(protocol.ChatSend)
    async def chat(ctx: Context, msg: protocol.ChatSend) -> None:
        await service.send_chat(db=ctx.db, bus=ctx.bus, claims=ctx.claims, text=msg.text, to=msg.to)

`dispatch` opens a database session per message and turns a refusal (`ParleyError`) into an
`error` for this socket alone; the sender's identity and rights come from the socket's join
token and the participant's row, never from the message.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from parley import i18n
from parley.bus import Bus
from parley.errors import N_, ParleyError
from parley.meetings import events, polls, protocol, service, shared_video
from parley.rooms import channel
from parley.rooms.service import JoinClaims
from parley.sockets import Bucket

if TYPE_CHECKING:
    from parley.meetings.connection import Connection
    from parley.meetings.hub import Hubs

log = logging.getLogger(__name__)

# Reactions: a few at once, then one a second; more are refused.
REACTION_BURST = 4
REACTION_RATE_PER_SECOND = 1.0
# How long a check that a signal's recipient is in the meeting holds for the next signals.
PEER_CHECK_SECONDS = 10.0


def error_message(code: str, message: str) -> str:
    """An `error` for the browser, in the language of the socket's person."""
    return json.dumps({"type": "error", "code": code, "message": i18n.gettext(message)})


@dataclass(frozen=True)
class Context:
    """What a handler acts with: the message's database session, and who sent it on which
    socket of which process."""

    db: AsyncSession
    hubs: Hubs
    connection: Connection

    @property
    def bus(self) -> Bus:
        return self.hubs.bus

    @property
    def claims(self) -> JoinClaims:
        return self.connection.claims


M = TypeVar("M", bound=BaseModel)
Handler = Callable[[Context, Any], Awaitable[None]]
HANDLERS: dict[type[BaseModel], Handler] = {}


def on(message_type: type[M]) -> Callable[[Callable[[Context, M], Awaitable[None]]], Handler]:
    """Register the handler of one message type."""

    def register(handler: Callable[[Context, M], Awaitable[None]]) -> Handler:
        assert message_type not in HANDLERS, message_type
        HANDLERS[message_type] = handler
        return handler

    return register


async def dispatch(hubs: Hubs, connection: Connection, message: BaseModel) -> None:
    """Act on one checked message; a refusal or a failure is told to this socket only."""
    try:
        async with hubs.database() as db:
            await HANDLERS[type(message)](Context(db, hubs, connection), message)
    except ParleyError as refusal:
        connection.offer(error_message(refusal.code, refusal.message))
    except Exception:
        log.exception(
            "meeting action failed",
            extra={"room_id": connection.claims.room_id, "type": type(message).__name__},
        )
        connection.offer(
            error_message("server_error", N_("Something went wrong on our side. Please try again."))
        )


# Everyone


@on(protocol.ChatSend)
async def chat(ctx: Context, msg: protocol.ChatSend) -> None:
    await service.send_chat(db=ctx.db, bus=ctx.bus, claims=ctx.claims, text=msg.text, to=msg.to)


@on(protocol.HandRaise)
async def raise_hand(ctx: Context, msg: protocol.HandRaise) -> None:
    await service.set_hand(db=ctx.db, bus=ctx.bus, claims=ctx.claims, raised=True)


@on(protocol.HandLower)
async def lower_hand(ctx: Context, msg: protocol.HandLower) -> None:
    await service.set_hand(db=ctx.db, bus=ctx.bus, claims=ctx.claims, raised=False)


@on(protocol.StateUpdate)
async def update_state(ctx: Context, msg: protocol.StateUpdate) -> None:
    await service.update_state(
        db=ctx.db,
        bus=ctx.bus,
        claims=ctx.claims,
        muted=msg.muted,
        camera=msg.camera,
        screen=msg.screen,
    )


@on(protocol.Signal)
async def signal(ctx: Context, msg: protocol.Signal) -> None:
    """Pass WebRTC signalling to another participant of the same meeting, from this one."""
    connection = ctx.connection
    target = msg.to
    if target == connection.participant_id:
        raise ParleyError(N_("This message is not understood."), code="bad_message")
    now = time.monotonic()
    if connection.peers.get(target, 0.0) < now:
        await service.check_peer(db=ctx.db, claims=ctx.claims, target=target)
        connection.peers[target] = now + PEER_CHECK_SECONDS
    # The sender is the socket's participant, never something the message says.
    relayed = events.Signal(**msg.model_dump(exclude_none=True), sender=connection.participant_id)
    await channel.publish(ctx.bus, ctx.claims.room_id, relayed)


@on(protocol.Reaction)
async def react(ctx: Context, msg: protocol.Reaction) -> None:
    """Show a reaction to everyone in the meeting, a few at a time."""
    connection = ctx.connection
    if connection.reactions is None:
        connection.reactions = Bucket(REACTION_BURST, REACTION_RATE_PER_SECOND)
    if not connection.reactions.take():
        raise ParleyError(N_("Slow down: too many reactions."), code="rate_limited")
    if await service.participant(db=ctx.db, claims=ctx.claims) is None:
        raise ParleyError(N_("You are no longer in this meeting."), code="not_in_meeting")
    reaction = events.Reaction(sender=connection.participant_id, emoji=msg.emoji)
    await channel.publish(ctx.bus, ctx.claims.room_id, reaction)


@on(protocol.PollAnswer)
async def answer_poll(ctx: Context, msg: protocol.PollAnswer) -> None:
    await polls.answer(
        db=ctx.db,
        bus=ctx.bus,
        claims=ctx.claims,
        poll_id=msg.poll,
        choices=msg.choices,
        text=msg.text,
    )


# Moderators (each service function checks the sender's role)


@on(protocol.ModMute)
async def mute(ctx: Context, msg: protocol.ModMute) -> None:
    await service.mute(db=ctx.db, bus=ctx.bus, claims=ctx.claims, target=msg.target)


@on(protocol.ModMuteAll)
async def mute_all(ctx: Context, msg: protocol.ModMuteAll) -> None:
    await service.mute(db=ctx.db, bus=ctx.bus, claims=ctx.claims, target=None)


@on(protocol.ModRemove)
async def remove(ctx: Context, msg: protocol.ModRemove) -> None:
    await service.remove(db=ctx.db, bus=ctx.bus, claims=ctx.claims, target=msg.target, ban=msg.ban)
    if ctx.hubs.sfu is not None:
        ctx.hubs.cut_from_sfu(ctx.claims.room_id, msg.target)


@on(protocol.ModPromote)
async def promote(ctx: Context, msg: protocol.ModPromote) -> None:
    await service.set_role(
        db=ctx.db, bus=ctx.bus, claims=ctx.claims, target=msg.target, role="moderator"
    )


@on(protocol.ModDemote)
async def demote(ctx: Context, msg: protocol.ModDemote) -> None:
    await service.set_role(
        db=ctx.db, bus=ctx.bus, claims=ctx.claims, target=msg.target, role="participant"
    )
    _take_down(ctx, msg.target)


@on(protocol.ModStage)
async def stage(ctx: Context, msg: protocol.ModStage) -> None:
    await service.set_stage(db=ctx.db, bus=ctx.bus, claims=ctx.claims, target=msg.target, on=msg.on)
    if not msg.on:
        _take_down(ctx, msg.target)


def _take_down(ctx: Context, target: str) -> None:
    """On the SFU, end at once the feeds of someone who left a webinar's stage."""
    sfu = ctx.hubs.sfu
    if sfu is not None:
        ctx.hubs.in_background(sfu.take_down(room_id=ctx.claims.room_id, participant_ids={target}))


@on(protocol.ModAdmit)
async def admit(ctx: Context, msg: protocol.ModAdmit) -> None:
    await service.decide(db=ctx.db, bus=ctx.bus, claims=ctx.claims, entry=msg.entry, admit=True)


@on(protocol.ModRefuse)
async def refuse(ctx: Context, msg: protocol.ModRefuse) -> None:
    await service.decide(db=ctx.db, bus=ctx.bus, claims=ctx.claims, entry=msg.entry, admit=False)


@on(protocol.ModLock)
async def lock(ctx: Context, msg: protocol.ModLock) -> None:
    locks = msg.model_dump(exclude_none=True, exclude={"type"})
    await service.lock(db=ctx.db, bus=ctx.bus, claims=ctx.claims, locks=locks)


@on(protocol.ModPresenter)
async def hand_presenter(ctx: Context, msg: protocol.ModPresenter) -> None:
    await service.set_presenter(db=ctx.db, bus=ctx.bus, claims=ctx.claims, target=msg.target)


@on(protocol.ModLayout)
async def push_layout(ctx: Context, msg: protocol.ModLayout) -> None:
    await service.set_layout(db=ctx.db, bus=ctx.bus, claims=ctx.claims, layout=msg.layout)


@on(protocol.ModLowerHands)
async def lower_hands(ctx: Context, msg: protocol.ModLowerHands) -> None:
    await service.lower_hands(db=ctx.db, bus=ctx.bus, claims=ctx.claims)


@on(protocol.ModEnd)
async def end(ctx: Context, msg: protocol.ModEnd) -> None:
    await service.end(db=ctx.db, bus=ctx.bus, claims=ctx.claims)


@on(protocol.ChatClear)
async def clear_chat(ctx: Context, msg: protocol.ChatClear) -> None:
    await service.clear_chat(db=ctx.db, bus=ctx.bus, claims=ctx.claims)


@on(protocol.PollStart)
async def start_poll(ctx: Context, msg: protocol.PollStart) -> None:
    await polls.start(db=ctx.db, bus=ctx.bus, claims=ctx.claims, poll=msg)


@on(protocol.PollClose)
async def close_poll(ctx: Context, msg: protocol.PollClose) -> None:
    await polls.close(
        db=ctx.db, bus=ctx.bus, claims=ctx.claims, poll_id=msg.poll, publish=msg.publish
    )


# The presenter (shared_video checks it)


@on(protocol.VideoShare)
async def share_video(ctx: Context, msg: protocol.VideoShare) -> None:
    await shared_video.share(
        db=ctx.db,
        bus=ctx.bus,
        claims=ctx.claims,
        url=msg.url,
        peertube_hosts=ctx.hubs.peertube_hosts,
    )


@on(protocol.VideoControl)
async def control_video(ctx: Context, msg: protocol.VideoControl) -> None:
    await shared_video.control(
        db=ctx.db,
        bus=ctx.bus,
        claims=ctx.claims,
        playing=msg.playing,
        position=msg.position,
        rate=msg.rate,
    )


@on(protocol.VideoStop)
async def stop_video(ctx: Context, msg: protocol.VideoStop) -> None:
    await shared_video.stop(db=ctx.db, bus=ctx.bus, claims=ctx.claims)
