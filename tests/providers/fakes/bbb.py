"""A fake BigBlueButton, from its API reference (docs.bigbluebutton.org, "API Reference").

- Every call's checksum is the hex SHA of `<call><query string without checksum><secret>`;
  the server tells the algorithm by the checksum's length and refuses the ones it does not
  support (`supportedChecksumAlgorithms`), answering `checksumError`.
- `create` with an existing meetingID answers the running meeting (`duplicateWarning`).
- `join` needs fullName, meetingID and a role (MODERATOR or VIEWER); a createTime that is not
  the running meeting's is refused; redirect=true answers a redirect to the client.
- Answers are `<response><returncode>SUCCESS|FAILED</returncode>…</response>`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

ALGORITHMS = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}
BOOLEAN_PARAMS = (
    "muteOnStart",
    "record",
    "lockSettingsDisableMic",
    "lockSettingsDisableCam",
    "lockSettingsDisablePublicChat",
    "lockSettingsDisablePrivateChat",
    "lockSettingsLockOnJoin",
)
GUEST_POLICIES = {"ALWAYS_ACCEPT", "ALWAYS_DENY", "ASK_MODERATOR", "ALWAYS_ACCEPT_AUTH"}


@dataclass
class Meeting:
    meeting_id: str
    params: dict[str, str]
    create_time: str
    attendees: list[dict[str, str]] = field(default_factory=list)


@dataclass
class FakeBBB:
    secret: str = "bbb-shared-secret"
    supported: set[str] = field(default_factory=lambda: {"sha1", "sha256", "sha384", "sha512"})
    # "timeout", "garbage", "error500", or None: how the server misbehaves.
    mode: str | None = None
    meetings: dict[str, Meeting] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    creates: int = 0
    _clock: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        self.secret, self.mode = "bbb-shared-secret", None
        self.supported = {"sha1", "sha256", "sha384", "sha512"}
        self.meetings.clear()
        self.calls.clear()
        self.creates = 0

    # The server's side of the checksum, from the raw query string as sent.
    def checksum_ok(self, call: str, raw_query: str) -> bool:
        parts = raw_query.split("&") if raw_query else []
        sent = [p[len("checksum=") :] for p in parts if p.startswith("checksum=")]
        if len(sent) != 1:
            return False
        algorithm = ALGORITHMS.get(len(sent[0]))
        if algorithm is None or algorithm not in self.supported:
            return False
        query = "&".join(p for p in parts if not p.startswith("checksum="))
        expected = hashlib.new(algorithm, f"{call}{query}{self.secret}".encode()).hexdigest()
        return hmac.compare_digest(expected, sent[0])

    @staticmethod
    def xml(returncode: str, **fields: Any) -> Response:
        inner = "".join(
            f"<{k}>{v if str(v).startswith('<') else escape(str(v))}</{k}>"
            for k, v in fields.items()
        )
        body = f"<response><returncode>{returncode}</returncode>{inner}</response>"
        return Response(body, media_type="text/xml")

    def failed(self, key: str, message: str) -> Response:
        return self.xml("FAILED", messageKey=key, message=message)

    def meeting_xml(self, meeting: Meeting) -> str:
        return (
            f"<meetingName>{escape(meeting.params.get('name', ''))}</meetingName>"
            f"<meetingID>{escape(meeting.meeting_id)}</meetingID>"
            f"<createTime>{meeting.create_time}</createTime>"
            f"<running>{'true' if meeting.attendees else 'false'}</running>"
            f"<participantCount>{len(meeting.attendees)}</participantCount>"
        )

    async def api(self, request: Request) -> Response:
        call = request.path_params["call"]
        if self.mode == "timeout":
            await anyio.sleep(5)
        if self.mode == "error500":
            return Response("Internal Server Error", status_code=500)
        if self.mode == "garbage":
            return Response("<html><body>It works!", media_type="text/html")
        raw_query = request.scope["query_string"].decode()
        if not self.checksum_ok(call, raw_query):
            return self.failed(
                "checksumError",
                "You did not pass the checksum security check",
            )
        params = dict(parse_qsl(raw_query))
        params.pop("checksum")
        self.calls.append((call, params))
        handler = getattr(self, f"call_{call}", None)
        if handler is None:
            return self.failed("unsupportedRequest", "This request is not supported.")
        response: Response = handler(params)
        return response

    def call_create(self, params: dict[str, str]) -> Response:
        meeting_id = params.get("meetingID", "")
        if not meeting_id or len(meeting_id) > 256:
            return self.failed("missingParamMeetingID", "You must specify a meeting ID.")
        for name in BOOLEAN_PARAMS:
            if name in params and params[name] not in {"true", "false"}:
                return self.failed("invalidParam", f"{name} must be true or false")
        if params.get("guestPolicy", "ALWAYS_ACCEPT") not in GUEST_POLICIES:
            return self.failed("invalidParam", "guestPolicy is not valid")
        existing = self.meetings.get(meeting_id)
        if existing is not None:
            return self.xml(
                "SUCCESS",
                meetingID=meeting_id,
                createTime=existing.create_time,
                messageKey="duplicateWarning",
                message="This conference was already in existence and may currently be in "
                "progress.",
            )
        self.creates += 1
        create_time = str(int(time.time() * 1000) + next(self._clock))
        self.meetings[meeting_id] = Meeting(meeting_id, params, create_time)
        return self.xml(
            "SUCCESS",
            meetingID=meeting_id,
            internalMeetingID=secrets.token_hex(20),
            createTime=create_time,
            hasUserJoined="false",
            duration="0",
        )

    def call_join(self, params: dict[str, str]) -> Response:
        meeting = self.meetings.get(params.get("meetingID", ""))
        if not params.get("fullName"):
            return self.failed("missingParamFullName", "You must specify a name.")
        if meeting is None:
            return self.failed("invalidMeetingIdentifier", "The meeting ID is not valid.")
        if params.get("role") not in {"MODERATOR", "VIEWER"}:
            return self.failed("invalidPassword", "You either did not supply a role or password.")
        if params.get("createTime") and params["createTime"] != meeting.create_time:
            return self.failed("mismatchCreateTimeParam", "The createTime does not match.")
        meeting.attendees.append(
            {
                "fullName": params["fullName"],
                "role": params["role"],
                "userID": params.get("userID", ""),
                "guest": params.get("guest", "false"),
            }
        )
        token = secrets.token_hex(8)
        if params.get("redirect", "true") == "true":
            return RedirectResponse(f"/client?sessionToken={token}", status_code=302)
        return self.xml("SUCCESS", meeting_id=meeting.meeting_id, session_token=token)

    def call_isMeetingRunning(self, params: dict[str, str]) -> Response:
        meeting = self.meetings.get(params.get("meetingID", ""))
        return self.xml("SUCCESS", running="true" if meeting and meeting.attendees else "false")

    def call_getMeetingInfo(self, params: dict[str, str]) -> Response:
        meeting = self.meetings.get(params.get("meetingID", ""))
        if meeting is None:
            return self.failed("notFound", "A meeting with that ID does not exist")
        return Response(
            f"<response><returncode>SUCCESS</returncode>{self.meeting_xml(meeting)}</response>",
            media_type="text/xml",
        )

    def call_getMeetings(self, params: dict[str, str]) -> Response:
        meetings = "".join(
            f"<meeting>{self.meeting_xml(m)}</meeting>" for m in self.meetings.values()
        )
        return self.xml("SUCCESS", meetings=meetings)

    def call_end(self, params: dict[str, str]) -> Response:
        if self.meetings.pop(params.get("meetingID", ""), None) is None:
            return self.failed("notFound", "We could not find a meeting with that meeting ID")
        return self.xml(
            "SUCCESS",
            messageKey="sentEndMeetingRequest",
            message="A request to end the meeting was sent.",
        )

    async def client(self, request: Request) -> Response:
        return Response("<h1>BigBlueButton</h1>", media_type="text/html")

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/bigbluebutton/api/{call}", self.api),
                Route("/client", self.client),
            ]
        )
