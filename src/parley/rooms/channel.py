"""A room's bus channel: every process's meeting hub and waiting-page watchers listen to it.

The rooms layer puts on it what happens to the room (it opened or closed, someone waits to
be let in, a moderator decided); the meeting layer puts its events and signalling there too
(`parley.meetings.events`, whose `ChannelMessage` is the union of both). Messages are JSON,
one pydantic model per `type`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from parley.bus import Bus


def name(room_id: int) -> str:
    return f"room:{room_id}"


async def publish(bus: Bus, room_id: int, message: BaseModel) -> None:
    await bus.publish(name(room_id), message.model_dump_json(by_alias=True).encode())


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Opened(_Message):
    """Meeting number `meeting` of the room started: people waiting for it may enter."""

    type: Literal["opened"] = "opened"
    meeting: int


class Closed(_Message):
    """The meeting ended (`closed`) or the room is gone (`deleted`): every socket closes."""

    type: Literal["closed"] = "closed"
    reason: Literal["closed", "deleted"]


class Waiting(_Message):
    """The waiting list changed: moderators' pages fetch it again."""

    type: Literal["waiting"] = "waiting"


class Decision(_Message):
    """A moderator let waiting entry `entry` in, or refused it."""

    type: Literal["decision"] = "decision"
    entry: int
    status: Literal["admitted", "refused"]
