"""What the server tells the pages of a meeting: numbered events, and the room channel's
other messages.

A change to a meeting (someone joins, writes, is muted, a poll opens…) is written as a
numbered `MeetingEvent` row in the same transaction as the change (`Changes`), then published
on the room's bus channel once it commits; every process's hub passes it to its sockets as
`{"type": "event", "id": 42, "kind": "chat", "data": {...}}`. A page that reconnects asks for
the events after the last one it saw. Each kind has one model here: `Changes.add` takes only
these, the browser's list of kinds is generated from `EVENTS` (`parley.codegen`), and the
tests validate every message a client receives against them.

Besides the events, the meeting layer puts on the room channel what is not kept: WebRTC
signalling between two participants, reactions, and the note that a person opened the
meeting elsewhere. The rooms layer's own messages on the channel (opened, closed, waiting,
decision) are in `parley.rooms.channel`; `ChannelMessage` is the union of both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from sqlalchemy import not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.bus import Bus
from parley.meetings.models import MeetingEvent
from parley.rooms import channel
from parley.rooms.models import Room, RoomParticipant

# Events


class Event(BaseModel):
    """One kind of event; its fields are the event's `data`."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    KIND: ClassVar[str]
    # Fields left out of `data` while they are None (the browser reads them as absent).
    OPTIONAL: ClassVar[frozenset[str]] = frozenset()

    def data(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", by_alias=True)
        for name in self.OPTIONAL:
            if data.get(name) is None:
                data.pop(name, None)
        return data


class ParticipantView(BaseModel):
    """A participant as every page (and the API) shows them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    role: Literal["moderator", "participant"]
    guest: bool
    muted: bool
    camera: bool
    screen: bool
    # When they raised their hand (ISO 8601), or None.
    hand: str | None
    # The one person of the meeting who presents (slides, whiteboard, shared video); not
    # necessarily a moderator (see `parley.meetings.service`).
    presenter: bool
    # Seen and heard: always outside a webinar; in one, moderators and the people a
    # moderator brought on stage.
    stage: bool


class Joined(ParticipantView, Event):
    KIND = "joined"


class Updated(ParticipantView, Event):
    """A participant's state or role changed, or they began or stopped presenting; `by` is
    the moderator who muted them (their page then turns its microphone off)."""

    KIND = "updated"
    OPTIONAL = frozenset({"by"})

    by: str | None = None


class Left(Event):
    KIND = "left"

    id: str


class Removed(Event):
    """A moderator took someone out (with `ban`, they cannot come back to this meeting)."""

    KIND = "removed"

    id: str
    ban: bool


class Chat(Event):
    """A chat message: to everyone, or (with `to`) private between two people."""

    KIND = "chat"

    id: int
    sender: str = Field(alias="from")
    from_name: str
    to: str | None
    to_name: str | None
    text: str
    at: str


class ChatCleared(Event):
    KIND = "chat.cleared"


class Locks(Event):
    """What moderators have turned off for the other participants."""

    KIND = "locks"

    chat: bool
    private_chat: bool
    microphone: bool
    camera: bool
    screen: bool


class HandsLowered(Event):
    KIND = "hands.lowered"


class PollView(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int
    question: str
    # A poll's own kind: answers to choose from, or a free text.
    kind: Literal["choice", "text"]
    options: list[str]
    multiple: bool
    anonymous: bool
    # Guests may not answer (see `parley.meetings.polls`).
    members_only: bool
    state: Literal["open", "closed", "published"]
    by: str
    at: str


class PollStarted(PollView, Event):
    KIND = "poll.started"


class PollAnswered(Event):
    """To the person who answered (on each of their pages): their answer is counted."""

    KIND = "poll.answered"

    poll: int


class NamedAnswer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None
    choices: list[int]
    text: str | None


class PollResults(Event):
    """Counts per answer and the free texts; who answered what only when not anonymous.
    Live to moderators; everyone gets them (without `answers`) when they are published."""

    KIND = "poll.results"
    OPTIONAL = frozenset({"answers"})

    poll: int
    voters: int
    counts: list[int]
    texts: list[str]
    answers: list[NamedAnswer] | None = None


class Totals(BaseModel):
    """Published results: what everyone sees (never who answered what)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    poll: int
    voters: int
    counts: list[int]
    texts: list[str]


class PollClosed(Event):
    """The poll is closed; with `results`, its totals are published to everyone."""

    KIND = "poll.closed"
    OPTIONAL = frozenset({"results"})

    poll: PollView
    results: Totals | None = None


class Video(Event):
    """The shared video now (None: none); see `parley.meetings.shared_video`."""

    KIND = "video"

    video: dict[str, Any] | None


# How a moderator may lay every page out: everyone's video alike, the person speaking large,
# or the stage (slides, whiteboard) large.
LayoutName = Literal["grid", "speaker", "presentation"]


class Layout(Event):
    """A moderator chose the layout of every page (None: each page chooses again). Kept for
    the meeting: it is in the snapshot too."""

    KIND = "layout"

    layout: LayoutName | None


class Media(Event):
    """The meeting's media moved to a media server node: pages move theirs there."""

    KIND = "media"

    transport: Literal["sfu"]
    node: str


class Audience(Event):
    """In a webinar: how many people are in the meeting now, everyone counted (the people
    off stage do not see each other). Sent with each arrival and departure."""

    KIND = "audience"

    count: int


class Gap(Event):
    """Stands for an event this participant may not see (another pair's private message,
    someone else's poll answer): its number is used up all the same."""

    KIND = "none"


EVENTS: dict[str, type[Event]] = {
    cls.KIND: cls
    for cls in (
        Joined,
        Updated,
        Left,
        Removed,
        Chat,
        ChatCleared,
        Locks,
        HandsLowered,
        PollStarted,
        PollAnswered,
        PollResults,
        PollClosed,
        Video,
        Layout,
        Media,
        Audience,
        Gap,
    )
}


# What else a meeting's page receives (`parley.meetings.protocol` describes each): the
# snapshot, the waiting list (moderators), errors, answers to pings, and from the channel,
# signalling, reactions, the note that another tab took over, and the meeting's end.
OTHER_MESSAGES = frozenset(
    {"welcome", "waiting", "error", "pong", "signal", "reaction", "superseded", "closed"}
)


def event_message(row: MeetingEvent) -> dict[str, Any]:
    """An event row as its pages receive it."""
    return {"type": "event", "id": row.seq, "kind": row.kind, "data": row.data}


def gap_message(seq: int) -> dict[str, Any]:
    return {"type": "event", "id": seq, "kind": Gap.KIND, "data": {}}


@dataclass(frozen=True)
class Among:
    """An audience of a webinar's event: the people on stage (moderators included), or with
    `stage` False those off it; plus `also`, minus `but`. It is made a list of participants
    when the event is numbered, once the room's row is locked, so every stage change before
    it counts and none after it: the live view, a replay and a later snapshot agree."""

    stage: bool = True
    also: tuple[str, ...] = ()
    but: tuple[str, ...] = ()

    async def resolve(self, db: AsyncSession, room_id: int) -> list[str]:
        await db.flush()
        on_stage = or_(RoomParticipant.role == "moderator", RoomParticipant.on_stage.is_(True))
        found = await db.scalars(
            select(RoomParticipant.participant_id)
            .join(Room, Room.id == RoomParticipant.room_id)
            .where(
                RoomParticipant.room_id == room_id,
                RoomParticipant.meeting_number == Room.meeting_number,
                on_stage if self.stage else not_(on_stage),
            )
        )
        return sorted((set(found.all()) | set(self.also)) - set(self.but))


class Changes:
    """Events written in one transaction, published once it commits."""

    def __init__(self, db: AsyncSession, room_id: int) -> None:
        self.db = db
        self.room_id = room_id
        self.rows: list[MeetingEvent] = []

    async def add(self, event: Event, audience: list[str] | Among | None = None) -> None:
        """Number the event and write it; `audience`: the only participants who see it."""
        # Incrementing the room's counter locks its row: events commit in number order.
        result = await self.db.execute(
            update(Room)
            .where(Room.id == self.room_id)
            .values(event_seq=Room.event_seq + 1)
            .returning(Room.event_seq)
        )
        seq = result.scalar_one()
        if isinstance(audience, Among):
            audience = await audience.resolve(self.db, self.room_id)
        row = MeetingEvent(
            room_id=self.room_id,
            seq=seq,
            kind=event.KIND,
            data=event.data(),
            audience=audience,
        )
        self.db.add(row)
        self.rows.append(row)

    async def commit(self, bus: Bus) -> None:
        await self.db.commit()
        for row in self.rows:
            await channel.publish(
                bus, self.room_id, Published(**event_message(row), audience=row.audience)
            )


# The meeting layer's messages on the room channel


class _ChannelMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Published(_ChannelMessage):
    """A committed event, for the hubs; `audience` is dropped before it reaches a page."""

    type: Literal["event"] = "event"
    id: int
    kind: str
    data: dict[str, Any]
    audience: list[str] | None = None


class Signalled(_ChannelMessage):
    """WebRTC signalling (`parley.meetings.protocol.Signal`'s fields) as its recipient's
    page gets it, from participant `from`."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    type: Literal["signal"] = "signal"
    sender: str = Field(alias="from")


class Signal(Signalled):
    """Signalling on its way to participant `to`: only their sockets get it (without `to`)."""

    to: str


class Reaction(_ChannelMessage):
    type: Literal["reaction"] = "reaction"
    sender: str = Field(alias="from")
    emoji: str


class Superseded(_ChannelMessage):
    """`participant` opened the meeting on socket `key`: their other sockets give way."""

    type: Literal["superseded"] = "superseded"
    participant: str
    key: str


ChannelMessage = Annotated[
    Published
    | Signal
    | Reaction
    | Superseded
    | channel.Opened
    | channel.Closed
    | channel.Waiting
    | channel.Decision,
    Field(discriminator="type"),
]
channel_message: TypeAdapter[ChannelMessage] = TypeAdapter(ChannelMessage)
