"""BigBlueButton: a client for its API, and the provider built on it.

Every call is a GET on `<api>/<call>?<query>&checksum=<hash>`, where the hash is the hex
SHA-1 or SHA-256 (as configured, and as the server accepts) of the call's name, the query
string and the shared secret, concatenated. The server answers XML: `<response>` with a
`<returncode>` of SUCCESS or FAILED, and a `<messageKey>` and `<message>` when it failed.

BigBlueButton forgets a meeting nobody joined within minutes, and a meeting that ended.
`create` with the same meetingID is idempotent (it answers the running meeting), so Parley
creates again just before each join: the join link then carries the `createTime` of the
meeting that really runs.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from parley.errors import N_
from parley.providers.base import (
    Check,
    MeetingSettings,
    MeetingSpec,
    Person,
    Provider,
    ProviderError,
    ProviderMeeting,
)
from parley.providers.forms import ServiceUrl
from parley.providers.http import bad_answer, send

# An API answer is a few kilobytes; anything far larger is not BigBlueButton.
MAX_ANSWER_BYTES = 2_000_000
GUEST_POLICIES = {
    "open": "ALWAYS_ACCEPT",
    "ask_moderator": "ASK_MODERATOR",
    "members_only": "ALWAYS_DENY",
}


class BBBConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    api_url: ServiceUrl = Field(
        title=N_("API address"),
        description=N_(
            "The URL that the command bbb-conf --secret prints on the server, for example "
            "https://bbb.example.org/bigbluebutton/ (api is added if missing)."
        ),
        json_schema_extra={"widget": "url"},
    )
    secret: SecretStr = Field(
        title=N_("Shared secret"),
        description=N_("The secret that the same command prints."),
    )
    checksum: Literal["sha256", "sha1"] = Field(
        "sha256",
        title=N_("Checksum algorithm"),
        description=N_("Choose SHA-1 only for an older server that refuses SHA-256."),
        json_schema_extra={"choices": {"sha256": "SHA-256", "sha1": "SHA-1"}},
    )

    @field_validator("api_url")
    @classmethod
    def _ends_with_api(cls, value: str) -> str:
        return value if value.endswith("/api") else f"{value}/api"


class BBBClient:
    """BigBlueButton's API: create, join, end, isMeetingRunning, getMeetingInfo, getMeetings."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_url: str,
        secret: str,
        algorithm: str,
        provider: str,
    ) -> None:
        self.http = http
        self.api_url = api_url
        self.secret = secret
        self.algorithm = algorithm
        self.provider = provider

    def checksum(self, call: str, query: str) -> str:
        return hashlib.new(self.algorithm, f"{call}{query}{self.secret}".encode()).hexdigest()

    def url(self, call: str, params: Mapping[str, str]) -> str:
        """The signed address of `call` with `params` (also what a join link is)."""
        query = urlencode(params)
        checksum = self.checksum(call, query)
        return f"{self.api_url}/{call}?{query}{'&' if query else ''}checksum={checksum}"

    def _parse(self, response: httpx.Response) -> ET.Element:
        body = response.content
        if response.status_code != 200 or len(body) > MAX_ANSWER_BYTES:
            raise ProviderError(
                N_("%(provider)s answered with the error %(status)s. Check its address."),
                code="provider_refused",
                provider=self.provider,
                status=response.status_code,
            )
        # No DTD, so no entity can expand or reach outside.
        if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
            raise bad_answer(self.provider)
        try:
            root = ET.fromstring(body)  # noqa: S314 - checked above
        except ET.ParseError as exc:
            raise bad_answer(self.provider) from exc
        if root.tag != "response" or root.findtext("returncode") is None:
            raise bad_answer(self.provider)
        return root

    def _failure(self, root: ET.Element) -> ProviderError:
        key = root.findtext("messageKey") or ""
        detail = (root.findtext("message") or key or "?").strip()[:300]
        if key == "checksumError":
            return ProviderError(
                N_(
                    "%(provider)s refused Parley's checksum: check the shared secret "
                    "and the checksum algorithm."
                ),
                code="provider_refused",
                provider=self.provider,
            )
        if key in {"notFound", "invalidMeetingIdentifier"}:
            return ProviderError(
                N_("%(provider)s does not know this meeting (any more)."),
                code="provider_not_found",
                provider=self.provider,
            )
        return ProviderError(
            N_("%(provider)s refused: %(detail)s"),
            code="provider_refused",
            provider=self.provider,
            detail=detail,
        )

    async def call(self, call: str, params: Mapping[str, str]) -> ET.Element:
        response = await send(self.http, "GET", self.url(call, params), provider=self.provider)
        root = self._parse(response)
        if root.findtext("returncode") != "SUCCESS":
            raise self._failure(root)
        return root

    async def create(self, params: Mapping[str, str]) -> ET.Element:
        """Create the meeting, or answer the one running with this meetingID."""
        return await self.call("create", params)

    def join_url(self, params: Mapping[str, str]) -> str:
        return self.url("join", params)

    async def end(self, meeting_id: str) -> None:
        await self.call("end", {"meetingID": meeting_id})

    async def is_meeting_running(self, meeting_id: str) -> bool:
        root = await self.call("isMeetingRunning", {"meetingID": meeting_id})
        return root.findtext("running") == "true"

    async def get_meeting_info(self, meeting_id: str) -> ET.Element:
        return await self.call("getMeetingInfo", {"meetingID": meeting_id})

    async def get_meetings(self) -> list[ET.Element]:
        root = await self.call("getMeetings", {})
        return root.findall("./meetings/meeting")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def create_params(*, meeting_id: str, spec: MeetingSpec, logout_url: str) -> dict[str, str]:
    """Parley's meeting as BigBlueButton's create parameters."""
    settings: MeetingSettings = spec.settings
    return {
        "name": spec.title,
        "meetingID": meeting_id,
        "record": "false",
        "muteOnStart": _flag(settings.mute_on_start),
        "guestPolicy": GUEST_POLICIES[settings.guest_policy],
        "lockSettingsDisableMic": _flag(settings.lock_microphone),
        "lockSettingsDisableCam": _flag(settings.lock_camera),
        "lockSettingsDisablePublicChat": _flag(settings.lock_public_chat),
        "lockSettingsDisablePrivateChat": _flag(settings.lock_private_chat),
        "lockSettingsLockOnJoin": _flag(settings.any_lock),
        "logoutURL": logout_url,
        "meta_parley_reference": spec.reference,
    }


class BBBProvider(Provider[BBBConfig]):
    kind = "bbb"
    label = N_("BigBlueButton")
    description = N_("Meetings on your BigBlueButton server, through its API and shared secret.")
    config_model = BBBConfig

    @property
    def client(self) -> BBBClient:
        return BBBClient(
            self.context.http,
            api_url=self.config.api_url,
            secret=self.config.secret.get_secret_value(),
            algorithm=self.config.checksum,
            provider=self.name,
        )

    def meeting_id(self, reference: str) -> str:
        # The same for every create of this reference (creating twice is harmless), and
        # different between Parley sites and configurations that share one server.
        site = f"{self.context.public_url}|{self.config_id}|{reference}"
        return f"parley-{hashlib.sha256(site.encode()).hexdigest()[:32]}"

    def _meeting(self, params: dict[str, str], root: ET.Element | None) -> ProviderMeeting:
        data: dict[str, object] = {"create": params}
        if root is not None:
            data["create_time"] = root.findtext("createTime") or ""
        return ProviderMeeting(external_id=params["meetingID"], join_url=None, data=data)

    async def create_meeting(self, spec: MeetingSpec) -> ProviderMeeting:
        params = create_params(
            meeting_id=self.meeting_id(spec.reference),
            spec=spec,
            logout_url=f"{self.context.public_url}/",
        )
        return self._meeting(params, await self.client.create(params))

    async def update_meeting(self, meeting: ProviderMeeting, spec: MeetingSpec) -> ProviderMeeting:
        # A running meeting keeps its settings; the new ones apply from its next create.
        params = create_params(
            meeting_id=meeting.external_id, spec=spec, logout_url=f"{self.context.public_url}/"
        )
        return self._meeting(params, None)

    async def delete_meeting(self, meeting: ProviderMeeting) -> None:
        try:
            await self.client.end(meeting.external_id)
        except ProviderError as exc:
            if exc.code != "provider_not_found":
                raise

    async def join_url(self, meeting: ProviderMeeting, person: Person) -> str:
        params = dict(meeting.data.get("create") or {})
        if not params:
            raise self.error(
                N_("%(provider)s does not know this meeting (any more)."),
                code="provider_not_found",
            )
        created = await self.client.create(params)
        join = {
            "fullName": person.name,
            "meetingID": meeting.external_id,
            "role": "MODERATOR" if person.role == "moderator" else "VIEWER",
            "createTime": created.findtext("createTime") or "",
            "userID": person.id,
            "redirect": "true",
        }
        if person.guest:
            join["guest"] = "true"
        return self.client.join_url(join)

    async def is_running(self, meeting: ProviderMeeting) -> bool | None:
        return await self.client.is_meeting_running(meeting.external_id)

    async def end_meeting(self, meeting: ProviderMeeting) -> None:
        await self.delete_meeting(meeting)

    async def test_connection(self) -> Check:
        meetings = await self.client.get_meetings()
        return Check(
            N_(
                "BigBlueButton answered and accepted Parley's checksum. "
                "Meetings running now: %(count)s."
            ),
            {"count": len(meetings)},
        )
