"""The meeting protocol: every message a browser and the server exchange on `/r/<slug>/live`.

Version 1. Messages are JSON objects with a `type`.

From the browser (validated here; anything else gets an `error` and changes nothing):
- `hello {last_event?}`: the first message; `last_event` resumes after a reconnection.
- `chat.send {text, to?}`: a public message, or a private one to participant `to`.
  Control characters other than tab and newline are taken out of chat and poll texts.
- `hand.raise`, `hand.lower`; `state.update {muted?, camera?, screen?}`.
- Moderators only: `mod.mute {target}`, `mod.mute_all`, `mod.remove {target, ban}`,
  `mod.promote {target}`, `mod.demote {target}`, `mod.admit {entry}`, `mod.refuse {entry}`,
  `mod.lock {chat?, private_chat?, microphone?, camera?, screen?}`, `mod.lower_hands`,
  `mod.end`, `chat.clear`, and in a webinar `mod.stage {target, on}` (below);
  `mod.presenter {target}`: participant `target` of the meeting (a moderator or not, the
  sender themself too) presents from now on; `updated` events follow for the former
  presenter and the new one (each participant view has `presenter`);
  `mod.layout {layout}`: every page takes layout "grid", "speaker" or "presentation", or
  (null) chooses its own again; a numbered `layout {layout}` event, kept until the meeting
  ends (`layout` in `welcome`). From anyone else: `error` `not_moderator`.
- `signal {to, description?, candidate?, streams?, session?, to_session?}`: WebRTC
  signalling for participant `to` of the same meeting (an SDP offer or answer, or an ICE
  candidate; `streams` names the sender's media streams `camera` or `screen`; the session
  ids tell one connection between two people from an earlier one). Relayed, never stored.
- Polls: `poll.start {question, kind, options, multiple, anonymous, members_only}`
  (moderators), `poll.answer {poll, choices?, text?}` (once per member account or guest
  identity; members only when the poll says so), `poll.close {poll, publish}` (moderators).
- Shared video (the presenter): `video.share {url}`, `video.control {playing, position,
  rate}`, `video.stop`. From anyone else, moderators included: `error` `not_presenter`.
  The presenter also moves the stage and draws on the board (`parley.documents.protocol`).
- `reaction {emoji}`: a short-lived reaction from a fixed set (`REACTIONS`), shown to all.
- `ping`.

From the server:
- `welcome {version, you, last_event, participants, count, webinar, chat, locks, video,
  layout, media, server_time, polls…}`: the snapshot, after `hello` (or after a gap too large
  to replay). `you` and each of `participants` is a participant view (`parley.meetings.events.
  ParticipantView`: id, name, role, guest, muted, camera, screen, hand, presenter, stage);
  `layout` is the one a moderator pushed, or null; `count` is how many people are in the
  meeting, listed or not. The server may send a fresh `welcome` at any time (see the
  webinar): the page takes it as a whole new state and numbers on from its `last_event`.
- `event {id, kind, data}`: a numbered change; ids grow by one per room, so a client knows
  what it missed. Each kind and its `data` is a model of `parley.meetings.events` (joined,
  updated, left, removed, chat, chat.cleared, locks, hands.lowered, poll.*, video, layout,
  media, and `none` for an event this participant may not see).
- `signal {from, description?, candidate?, streams?, session?, to_session?}`: signalling
  from participant `from`.
- `reaction {from, emoji}`: someone reacted (not numbered, not kept).
- `superseded`: the same person opened the meeting elsewhere (another tab); this socket closes.
- `waiting {items}` (moderators), `error {code, message}`, `pong`, `ping`, `closed`.

Webinar (the room setting `webinar`): only the people on stage are seen and heard; the
others (the audience) watch, raise their hand, chat and answer polls. On stage are the
moderators and the people a moderator brought there; every participant view carries
`stage` (outside a webinar it is always true and nothing below applies).
- `mod.stage {target, on}` (moderators; `error no_stage` outside a webinar) brings `target` on
  stage or takes them off it. A moderator stays on stage by their role; promoting someone
  brings them on stage and demoting takes them off it, unless they were brought there.
- Who is listed: people on stage (moderators included) see everyone, as in any meeting.
  People off stage see only the people on stage and themself: the `joined`, `updated`,
  `left` and `removed` events of another person off stage reach them as gap fillers (kind
  `none`). Every event's audience is fixed when it is numbered, so the live view, a replay
  and a later snapshot agree.
- Brought on stage: the people on stage get `updated {stage: true}`, the audience gets
  `joined` for them. Taken off: `updated {stage: false, muted: true, camera: false,
  screen: false, by}` to the people on stage and to them (their page stops its devices, as
  after `mod.mute`); the rest of the audience gets `left {id}`.
- When your own stage changes (brought on or off, promoted or demoted), your `updated` is
  followed by a fresh `welcome` with the list you now see. A reconnection whose missed
  events include an `updated` about you gets a fresh `welcome` rather than a replay.
- `event audience {count}`: how many people are in the meeting, sent to everyone with each
  arrival, departure or removal (not debounced: one small event per change, written in the
  same transaction, so a replay keeps it exact).
- Refused off stage: `state.update` turning the microphone (`muted: false`), camera or screen
  on (`error not_on_stage`; turning them off is always allowed), and `signal` between two
  people who are both off stage (`error not_on_stage`: the audience connects only to the
  people on stage). On the media server the way in (`GET /r/<slug>/media`) says
  `publish: false` off stage, and the server takes down what someone off stage publishes.

The server never takes a sender's id or role from the message: they come from the join token.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

from parley.deps import ID_MAX
from parley.meetings.events import LayoutName

PROTOCOL_VERSION = 1
# A message larger than this is refused unread: an SDP offer with camera and screen (several
# video sections, each listing every codec) is the largest thing a client sends.
MAX_MESSAGE_BYTES = 64 * 1024
MAX_SDP_CHARS = 60_000
CHAT_MAX_CHARS = 2000

# C0 control characters but tab and newline: invisible in a message, and PostgreSQL refuses
# NUL in text, so they never reach the database (a carriage return of a pasted line goes too).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f]")


def _without_control_characters(value: Any) -> Any:
    return CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value


def _no_control_characters(value: str) -> str:
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("an id has no control characters")
    return value


# Text people write (chat, polls): control characters go first, then it is trimmed and measured.
WrittenText = BeforeValidator(_without_control_characters)


ParticipantId = Annotated[
    str, StringConstraints(min_length=1, max_length=40), AfterValidator(_no_control_characters)
]
# A row of the database (a poll, a waiting-room entry) or an event number: the columns are
# 32-bit, so a larger number names nothing and is refused as a malformed message.
RowId = Annotated[int, Field(ge=1, le=ID_MAX)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hello(_Message):
    type: Literal["hello"]
    last_event: Annotated[int, Field(ge=0, le=ID_MAX)] | None = None


class Ping(_Message):
    type: Literal["ping"]


class ChatSend(_Message):
    type: Literal["chat.send"]
    text: Annotated[
        str,
        WrittenText,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=CHAT_MAX_CHARS),
    ]
    to: ParticipantId | None = None


class HandRaise(_Message):
    type: Literal["hand.raise"]


class HandLower(_Message):
    type: Literal["hand.lower"]


class StateUpdate(_Message):
    type: Literal["state.update"]
    muted: bool | None = None
    camera: bool | None = None
    screen: bool | None = None


class ModMute(_Message):
    type: Literal["mod.mute"]
    target: ParticipantId


class ModMuteAll(_Message):
    type: Literal["mod.mute_all"]


class ModRemove(_Message):
    type: Literal["mod.remove"]
    target: ParticipantId
    ban: bool = False


class ModPromote(_Message):
    type: Literal["mod.promote"]
    target: ParticipantId


class ModDemote(_Message):
    type: Literal["mod.demote"]
    target: ParticipantId


class ModStage(_Message):
    type: Literal["mod.stage"]
    target: ParticipantId
    on: bool


class ModAdmit(_Message):
    type: Literal["mod.admit"]
    entry: RowId


class ModRefuse(_Message):
    type: Literal["mod.refuse"]
    entry: RowId


class ModLock(_Message):
    type: Literal["mod.lock"]
    chat: bool | None = None
    private_chat: bool | None = None
    microphone: bool | None = None
    camera: bool | None = None
    screen: bool | None = None


class ModPresenter(_Message):
    type: Literal["mod.presenter"]
    target: ParticipantId


class ModLayout(_Message):
    type: Literal["mod.layout"]
    # Required, null included: a message without it is a mistake, not "each page chooses".
    layout: LayoutName | None


class ModLowerHands(_Message):
    type: Literal["mod.lower_hands"]


class ModEnd(_Message):
    type: Literal["mod.end"]


class ChatClear(_Message):
    type: Literal["chat.clear"]


class SessionDescription(_Message):
    type: Literal["offer", "answer", "rollback"]
    sdp: Annotated[str, StringConstraints(max_length=MAX_SDP_CHARS)] = ""


class IceCandidate(_Message):
    candidate: Annotated[str, StringConstraints(max_length=1000)]
    sdpMid: Annotated[str, StringConstraints(max_length=64)] | None = None
    sdpMLineIndex: Annotated[int, Field(ge=0, le=64)] | None = None
    usernameFragment: Annotated[str, StringConstraints(max_length=256)] | None = None


StreamId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\w{}-]+$")]


class Signal(_Message):
    type: Literal["signal"]
    to: ParticipantId
    # The sender's connection with the recipient, and the recipient's one it answers: they
    # tell a connection from an earlier one of the same two people (after a reload).
    session: StreamId | None = None
    to_session: StreamId | None = None
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None
    streams: Annotated[dict[StreamId, Literal["camera", "screen"]], Field(max_length=4)] | None = (
        None
    )

    @model_validator(mode="after")
    def _carries_something(self) -> Signal:
        if self.description is None and self.candidate is None:
            raise ValueError("a signal carries a description or a candidate")
        return self


class VideoShare(_Message):
    type: Literal["video.share"]
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class VideoControl(_Message):
    type: Literal["video.control"]
    playing: bool
    position: Annotated[float, Field(ge=0, le=7 * 24 * 3600)]
    rate: Annotated[float, Field(ge=0.25, le=4)] = 1.0


class VideoStop(_Message):
    type: Literal["video.stop"]


# Reactions people can send: a fixed set, so nothing else reaches the others' pages.
REACTIONS = ("👍", "👏", "😂", "😮", "❤️", "🎉")


class Reaction(_Message):
    type: Literal["reaction"]
    emoji: Literal[REACTIONS]  # type: ignore[valid-type]


POLL_MAX_OPTIONS = 10
PollOption = Annotated[
    str, WrittenText, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]


class PollStart(_Message):
    type: Literal["poll.start"]
    question: Annotated[
        str, WrittenText, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
    ]
    kind: Literal["choice", "text"] = "choice"
    options: Annotated[list[PollOption], Field(max_length=POLL_MAX_OPTIONS)] = []
    multiple: bool = False
    anonymous: bool = False
    members_only: bool = False

    @model_validator(mode="after")
    def _options_fit_the_kind(self) -> PollStart:
        if self.kind == "choice":
            if len(self.options) < 2:
                raise ValueError("a choice poll has two answers or more")
            if len({o.casefold() for o in self.options}) != len(self.options):
                raise ValueError("the answers of a poll differ")
        elif self.options or self.multiple:
            raise ValueError("a free-text poll has no answers to choose from")
        return self


class PollAnswer(_Message):
    type: Literal["poll.answer"]
    poll: RowId
    choices: Annotated[
        list[Annotated[int, Field(ge=0, lt=POLL_MAX_OPTIONS)]], Field(max_length=10)
    ] = []
    text: (
        Annotated[str, WrittenText, StringConstraints(strip_whitespace=True, max_length=500)] | None
    ) = None


class PollClose(_Message):
    type: Literal["poll.close"]
    poll: RowId
    publish: bool = False


ClientMessage = Annotated[
    Hello
    | Ping
    | ChatSend
    | HandRaise
    | HandLower
    | StateUpdate
    | ModMute
    | ModMuteAll
    | ModRemove
    | ModPromote
    | ModDemote
    | ModStage
    | ModAdmit
    | ModRefuse
    | ModLock
    | ModPresenter
    | ModLayout
    | ModLowerHands
    | ModEnd
    | ChatClear
    | PollStart
    | PollAnswer
    | PollClose
    | Reaction
    | VideoShare
    | VideoControl
    | VideoStop
    | Signal,
    Field(discriminator="type"),
]
client_message: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)

LOCKABLE = ("chat", "private_chat", "microphone", "camera", "screen")
