"""Jitsi Meet: a meeting is a room with an unguessable name on the configured server.

When the server checks tokens (prosody's `token` authentication, with an application id and
secret), every person gets a JSON Web Token of their own, signed with HS256, appended to the
link as `?jwt=`. The claims follow jitsi-meet's token documentation: `iss` (the application
id), `aud`, `sub` (the tenant of a server address such as https://meet.example/acme, else the
server's domain), `room`, `exp`, `nbf`, and `context.user` (id, name, email, and `moderator`;
`affiliation` too, for the token_affiliation module). Every `context.user` field is a string,
`moderator` too ("true" or "false"): prosody's modules that read the user expect strings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from parley.errors import N_
from parley.providers.base import Check, MeetingSpec, Person, Provider, ProviderMeeting
from parley.providers.forms import ServiceUrl, invalid
from parley.providers.http import bad_answer, send

# 16 random bytes in base 32: 26 letters and digits, about 2**128 names.
ROOM_TOKEN_BYTES = 16
# Tolerated difference between Parley's clock and the Jitsi server's.
CLOCK_SKEW_SECONDS = 60


class JitsiConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    server_url: ServiceUrl = Field(
        "https://meet.jit.si",
        title=N_("Server address"),
        description=N_("The address of your Jitsi Meet, for example https://meet.example.org."),
        json_schema_extra={"widget": "url"},
    )
    app_id: str = Field(
        "",
        max_length=200,
        title=N_("Application id (app_id)"),
        description=N_(
            "Set when your Jitsi Meet checks tokens; leave empty if anyone may start a meeting."
        ),
    )
    app_secret: SecretStr = Field(
        SecretStr(""),
        title=N_("Application secret (app_secret)"),
        description=N_(
            "The secret shared with your Jitsi Meet, to sign each person's token "
            "(32 random characters or more)."
        ),
    )
    audience: str = Field(
        "jitsi",
        min_length=1,
        max_length=200,
        title=N_("Token audience (aud)"),
        description=N_("What your Jitsi Meet accepts as audience; usually jitsi."),
    )
    subject: str = Field(
        "",
        max_length=200,
        title=N_("Token subject (sub)"),
        description=N_(
            "Your Jitsi Meet's domain or tenant; empty: the tenant in the server address "
            "(https://meet.example.org/tenant), or else its host name."
        ),
    )
    token_minutes: int = Field(
        120,
        ge=5,
        le=24 * 60,
        title=N_("Token lifetime in minutes"),
        description=N_("How long a person's link lets them in after they pressed Join."),
    )
    room_prefix: str = Field(
        "parley",
        max_length=20,
        pattern=r"^[a-z0-9]*$",
        title=N_("Room name prefix"),
        description=N_("Put before the random part of each room name."),
    )

    @model_validator(mode="after")
    def _secret_with_id(self) -> JitsiConfig:
        if self.app_id and not self.app_secret.get_secret_value():
            raise invalid(N_("An application id needs its application secret."))
        return self

    @property
    def domain(self) -> str:
        """The token's `sub`: on a multi-tenant Jitsi the tenant (the address's last path
        segment), which prosody compares with the room's tenant; else the host name."""
        address = urlsplit(self.server_url)
        tenant = address.path.rstrip("/").rpartition("/")[2]
        return self.subject or tenant or address.hostname or "*"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encode_hs256(claims: dict[str, Any], secret: str) -> str:
    """A compact JWS (RFC 7515) of `claims`, signed with HMAC-SHA256 (RFC 7518's HS256)."""
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def new_room_name(prefix: str) -> str:
    token = base64.b32encode(secrets.token_bytes(ROOM_TOKEN_BYTES)).decode().rstrip("=").lower()
    return f"{prefix}-{token}" if prefix else token


class JitsiProvider(Provider[JitsiConfig]):
    kind = "jitsi"
    label = N_("Jitsi Meet")
    description = N_("Meetings on a Jitsi Meet server, with a personal token when it checks them.")
    config_model = JitsiConfig
    # Jitsi has no API to end a meeting or count its people: it ends when the last one leaves.
    can_end = False
    can_tell_running = False

    def _room_url(self, room: str) -> str:
        return f"{self.config.server_url}/{room}"

    async def create_meeting(self, spec: MeetingSpec) -> ProviderMeeting:
        room = new_room_name(self.config.room_prefix)
        return ProviderMeeting(
            external_id=room,
            join_url=self._room_url(room),
            data={"room": room, "title": spec.title},
        )

    async def update_meeting(self, meeting: ProviderMeeting, spec: MeetingSpec) -> ProviderMeeting:
        # The room keeps its name (people have the link); only the title Parley shows changes.
        return ProviderMeeting(
            external_id=meeting.external_id,
            join_url=meeting.join_url,
            data={**meeting.data, "title": spec.title},
        )

    async def delete_meeting(self, meeting: ProviderMeeting) -> None:
        # Nothing to delete: a Jitsi room exists only while people are in it.
        return None

    def token(self, room: str, person: Person, *, now: float | None = None) -> str:
        """The person's JWT for `room`, as prosody's token authentication checks it."""
        issued = int(now if now is not None else time.time())
        moderator = person.role == "moderator"
        claims = {
            "iss": self.config.app_id,
            "aud": self.config.audience,
            "sub": self.config.domain,
            "room": room,
            "iat": issued,
            "nbf": issued - CLOCK_SKEW_SECONDS,
            "exp": issued + self.config.token_minutes * 60,
            "context": {
                "user": {
                    "id": person.id,
                    "name": person.name,
                    "email": person.email or "",
                    "moderator": "true" if moderator else "false",
                    "affiliation": "owner" if moderator else "member",
                }
            },
        }
        return encode_hs256(claims, self.config.app_secret.get_secret_value())

    async def join_url(self, meeting: ProviderMeeting, person: Person) -> str:
        room = str(meeting.data.get("room") or meeting.external_id)
        if self.config.app_id:
            return f"{self._room_url(room)}?jwt={self.token(room, person)}"
        # Without tokens, Jitsi reads the name to show from the link's fragment.
        name = quote(json.dumps(person.name), safe="")
        return f"{self._room_url(room)}#userInfo.displayName={name}"

    async def is_running(self, meeting: ProviderMeeting) -> bool | None:
        return None

    async def end_meeting(self, meeting: ProviderMeeting) -> None:
        raise self.error(
            N_("%(provider)s cannot end a meeting: it ends when the last person leaves."),
            code="provider_unsupported",
        )

    async def test_connection(self) -> Check:
        # Every Jitsi Meet serves its settings as /config.js; a web server that is not Jitsi
        # Meet answers something else.
        response = await send(
            self.context.http, "GET", f"{self.config.server_url}/config.js", provider=self.name
        )
        if response.status_code != 200:
            raise self.error(
                N_("%(provider)s answered with the error %(status)s. Check its address."),
                code="provider_refused",
                status=response.status_code,
            )
        if "config" not in response.text or "hosts" not in response.text:
            raise bad_answer(self.name)
        if self.config.app_id:
            return Check(N_("Jitsi Meet answered; each person gets a signed token."))
        return Check(N_("Jitsi Meet answered; people join without a token."))
