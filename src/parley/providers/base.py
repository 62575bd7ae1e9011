"""The provider contract: what Parley asks of a meeting system, and what it gives back.

A provider is one kind of meeting system (Parley's own rooms, Jitsi Meet, BigBlueButton,
Zoom, or a third party's). Administrators add configurations of it; Parley makes **one
instance per configuration** (never a shared, mutated singleton) and calls its hooks from
flows that catch its errors, log them with the object's reference and show people a clear
message. Every hook is a coroutine, runs within a request or a job, and:

- must never block the event loop (use `context.http`, the shared client with timeouts);
- must never raise anything but `ProviderError` for a failure of the service (timeouts,
  refusals, answers it cannot read): the flow turns anything else into a generic failure;
- must never write to Parley's database except through `context.tokens` (OAuth tokens);
- must never log secrets (shared secrets, tokens, signed URLs).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar

import httpx
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.bus import Bus
from parley.errors import N_, NotFound, ParleyError

Role = Literal["moderator", "participant"]
# Who may come in: anyone with the link, guests after a moderator's approval, members only.
GuestPolicy = Literal["open", "ask_moderator", "members_only"]
# "room:12", "event:40", "session:7": what a meeting belongs to, stable for its whole life.
REFERENCE = re.compile(r"[a-z_]+:[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class MeetingSettings:
    """Parley's room settings, which each provider maps to its own parameters."""

    mute_on_start: bool = False
    guest_policy: GuestPolicy = "open"
    lock_microphone: bool = False
    lock_camera: bool = False
    lock_public_chat: bool = False
    lock_private_chat: bool = False

    @property
    def any_lock(self) -> bool:
        return (
            self.lock_microphone
            or self.lock_camera
            or self.lock_public_chat
            or self.lock_private_chat
        )


@dataclass(frozen=True)
class MeetingSpec:
    """What Parley wants a meeting for: a room, a calendar event or a scheduled session."""

    reference: str
    title: str
    # The member on whose behalf the meeting is made (owner of a Parley room).
    organiser_id: int | None = None
    start: datetime | None = None
    duration_minutes: int = 60
    # An IANA time zone name, for the services that show times to people.
    timezone: str = "UTC"
    description: str = ""
    settings: MeetingSettings = field(default_factory=MeetingSettings)

    def __post_init__(self) -> None:
        if not REFERENCE.fullmatch(self.reference):
            raise ValueError(f"a reference looks like 'event:12', not {self.reference!r}")
        if self.start is not None and self.start.tzinfo is None:
            raise ValueError("a meeting's start must carry its time zone")
        if self.duration_minutes < 1:
            raise ValueError("a meeting lasts at least a minute")


@dataclass(frozen=True)
class ProviderMeeting:
    """A meeting as the provider made it; the caller keeps it (as JSON) and gives it back."""

    external_id: str
    # The link to show people; it carries no personal credential (join_url() makes those).
    # None when people can only go through Parley, which makes each person's link.
    join_url: str | None
    # A link for the organiser to start the meeting, when the service has one.
    host_url: str | None = None
    # Whatever else the provider needs later; JSON-serialisable, never a secret in clear.
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "external_id": self.external_id,
            "join_url": self.join_url,
            "host_url": self.host_url,
            "data": dict(self.data),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> ProviderMeeting:
        return cls(
            external_id=str(value["external_id"]),
            join_url=value.get("join_url"),
            host_url=value.get("host_url"),
            data=dict(value.get("data") or {}),
        )


@dataclass(frozen=True)
class Person:
    """Someone about to join: a member (id is their user id) or a guest (guest=True)."""

    id: str
    name: str
    email: str | None = None
    role: Role = "participant"
    guest: bool = False


@dataclass(frozen=True)
class Check:
    """What a connection test found, as a catalogue message and its parameters."""

    message: str
    params: Mapping[str, Any] = field(default_factory=dict)


class ProviderError(ParleyError):
    """The meeting system failed or refused; `message` says so in words people understand.

    Codes: `provider_unreachable` (no answer, timeout), `provider_refused` (it said no: bad
    credentials, unknown meeting), `provider_bad_answer` (an answer Parley cannot read),
    `provider_not_connected` (no account connected), `provider_unsupported` (it cannot do
    that), `provider_failed` (anything else).
    """

    status_code = 502
    code = "provider_failed"


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str
    refresh_token: str
    expires_at: datetime


class TokenStore(Protocol):
    """Where an OAuth provider keeps its tokens (encrypted in the configuration's row)."""

    async def load(self, config_id: int) -> OAuthTokens | None: ...

    async def save(self, config_id: int, tokens: OAuthTokens) -> None: ...


@dataclass(frozen=True)
class ProviderContext:
    """What Parley lends every provider instance."""

    # The shared client: timeouts set, closed when Parley stops.
    http: httpx.AsyncClient
    database: async_sessionmaker[AsyncSession]
    bus: Bus
    # Parley's own address, for links back to it (no trailing slash).
    public_url: str
    tokens: TokenStore


@dataclass(frozen=True)
class WebhookAnswer:
    """What to answer the service that called the webhook, and what it asked for."""

    status_code: int = 200
    body: Mapping[str, Any] = field(default_factory=dict)
    # The account (id at the service) whose owner removed Parley's access: Parley forgets
    # its tokens when it is the connected one.
    deauthorized_account: str | None = None


ConfigT = TypeVar("ConfigT", bound=BaseModel)


class Provider(ABC, Generic[ConfigT]):
    """One configured meeting system. Subclass it, and register it as an entry point.

    Class attributes describe the kind to the administration pages:
    `kind` (the entry point's name), `label` and `description` (catalogue messages),
    `config_model` (a Pydantic model: its fields are the form; `SecretStr` fields are
    encrypted at rest and never shown again), and what the system can do (`can_end`,
    `can_tell_running`).
    """

    kind: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str]
    config_model: ClassVar[type[BaseModel]]
    can_end: ClassVar[bool] = True
    can_tell_running: ClassVar[bool] = True

    def __init__(
        self, *, config_id: int, name: str, config: ConfigT, context: ProviderContext
    ) -> None:
        self.config_id = config_id
        self.name = name
        self.config = config
        self.context = context

    def error(self, message: str, *, code: str = "provider_failed", **params: Any) -> ProviderError:
        """A ProviderError whose message may use `%(provider)s`, this configuration's name."""
        return ProviderError(message, code=code, provider=self.name, **params)

    @abstractmethod
    async def create_meeting(self, spec: MeetingSpec) -> ProviderMeeting:
        """Make a meeting for `spec`.

        Called when a room, event or session gets a meeting of this provider. Returns the
        meeting, which the caller stores and gives back to the other hooks. Calling it twice
        for the same `spec.reference` must not leave two live meetings behind where the
        service can avoid it. Must never wait for people or start media.
        """

    @abstractmethod
    async def update_meeting(self, meeting: ProviderMeeting, spec: MeetingSpec) -> ProviderMeeting:
        """Bring `meeting` in line with `spec` (new title, time or settings).

        Called when the room, event or session changes. Returns the meeting to store from now
        on (its links may change). Must never create a second meeting when the first one
        still exists.
        """

    @abstractmethod
    async def delete_meeting(self, meeting: ProviderMeeting) -> None:
        """Remove `meeting` from the service.

        Called when the room, event or session is deleted or moves to another provider.
        A meeting the service no longer knows counts as deleted (no error).
        """

    @abstractmethod
    async def join_url(self, meeting: ProviderMeeting, person: Person) -> str:
        """Return the address where `person` enters `meeting` with their role.

        Called when that person presses Join, never in advance: the address may carry a
        short-lived personal credential. Must never be logged nor shown to anyone else.
        """

    @abstractmethod
    async def is_running(self, meeting: ProviderMeeting) -> bool | None:
        """Tell whether people are meeting now; None when the service cannot tell.

        Called to show a meeting's state. Must be cheap: one request at most.
        """

    @abstractmethod
    async def end_meeting(self, meeting: ProviderMeeting) -> None:
        """End `meeting` for everyone in it now.

        Called when a moderator ends it from Parley. Raises ProviderError with the code
        `provider_unsupported` when the service cannot (see `can_end`).
        """

    @abstractmethod
    async def test_connection(self) -> Check:
        """Check that the configuration works, with one harmless request.

        Called from the administration's "Test connection" button. Returns what was found;
        raises ProviderError with a message that tells the administrator what to fix.
        Must never create anything on the service.
        """

    async def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        """Answer a call the service makes to Parley's webhook address for this configuration.

        Called for `POST /api/v1/providers/<id>/webhook`. Must verify the call came from the
        service before acting on it, and refuse it otherwise (ProviderError or a 401 answer).
        """
        raise NotFound(N_("This page does not exist."))


class OAuthProvider(Provider[ConfigT]):
    """A provider whose configuration is connected to an account at the service (OAuth 2)."""

    @abstractmethod
    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        """The service's consent page, where the administrator agrees to connect Parley."""

    @abstractmethod
    async def connect(self, *, code: str, code_verifier: str, redirect_uri: str) -> tuple[str, str]:
        """Trade the authorization code for tokens, store them, return the account's (id, email).

        Called on the return from the consent page, after Parley checked its `state`.
        """

    @abstractmethod
    async def account(self) -> tuple[str, str]:
        """The connected account's (id, email) at the service, with the stored tokens."""

    @abstractmethod
    async def disconnect(self) -> None:
        """Revoke the stored tokens at the service. Parley forgets them whatever happens."""
